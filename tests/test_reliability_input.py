"""Bad input and access control, proved on real subprocesses, real files and a real server.

Every refusal must be clear (CLI: non-zero exit and ONE stderr line, no traceback; HTTP: 4xx
with a JSON `detail`) and must change nothing: the memory's unit count and a hash of every
stored unit are compared before and after each attempt, and no output file appears.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from resolign.service.memory import NO_ENCODER, Memory
from resolign.tmx.writer import write_tmx
from resolign.units import Unit
from tests.devset import devset_units
from tests.memory_checks import fingerprint, free_port

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT.parent / "shared" / "data" / "un-devset"
KEY = "reliability-input-key"
N_UNITS = 40
SECRET = "resolign-secret-canary-5f2b9c"
API_KEY_ENV = "RESOLIGN_API_KEY"


# --- helpers ----------------------------------------------------------------------------------





def cli(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(API_KEY_ENV, None)
    return subprocess.run([sys.executable, "-m", "resolign.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode != 0, proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    line = lines[0].lower()
    for needle in needles:
        assert needle.lower() in line, line
    return lines[0]




class Server:
    def __init__(self, db: Path, *, key: str | None, extra: tuple[str, ...] = ()) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop(API_KEY_ENV, None)
        if key is not None:
            env[API_KEY_ENV] = key
        self.log = db.with_suffix(".log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "resolign.cli", "serve", "--db", str(db),
             "--port", str(self.port), *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 90
        while True:
            assert self.proc.poll() is None, db.with_suffix(".log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)

    def rss(self, field: str = "VmRSS") -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(field)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.log.close()


def raw_get(server: Server, path: str, params: dict[str, str]) -> httpx.Response:
    """GET through http.client: httpx refuses to build URLs over 64 kB, a client may not."""
    import http.client
    from urllib.parse import urlencode

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", path + ("?" + urlencode(params) if params else ""))
        answer = conn.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        conn.close()


def assert_json_refusal(response: httpx.Response, *codes: int, needle: str = "") -> str:
    assert response.status_code in codes, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    assert needle.lower() in detail.lower(), detail
    return detail


# --- fixtures ---------------------------------------------------------------------------------

TMX_OK = ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="t" '
          'creationtoolversion="1" datatype="plaintext" segtype="sentence" adminlang="en" '
          'srclang="fr" o-tmf="t"/><body><tu><tuv xml:lang="fr"><seg>{fr}</seg></tuv>'
          '<tuv xml:lang="en"><seg>{en}</seg></tuv></tu></body></tmx>\n')


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real bad inputs written to disk (and a few good ones to pair them with)."""
    root = tmp_path_factory.mktemp("inputs")
    lines = {lang: (DEVSET / f"UNv1.0.devset.{lang}").read_text("utf-8").splitlines()[:30]
             for lang in ("fr", "en", "ar")}
    fr_text = "\n".join(lines["fr"]) + "\n"
    made: dict[str, bytes] = {
        "fr.txt": fr_text.encode(),
        "en.txt": ("\n".join(lines["en"]) + "\n").encode(),
        "ar.txt": ("\n".join(lines["ar"]) + "\n").encode(),
        "empty.txt": b"",
        "blank.txt": b" \n\n\t\n",
        "binary.txt": bytes(range(256)) * 40,
        "latin1.txt": fr_text.encode("latin-1", "replace"),
        "utf16.txt": fr_text.encode("utf-16-le"),  # no BOM
        "numbers.txt": b"1\n\n2\n\n- 3 -\n\f\n4\n",  # page numbers only: no paragraph
        "fr.odt": fr_text.encode(),
        "empty.tmx": b"",
        "binary.tmx": bytes(range(256)) * 40,
        "no_header.tmx": (
            b'<?xml version="1.0"?>\n<tmx version="1.4"><body><tu><tuv xml:lang="fr"><seg>'
            b'Texte sans en-tete</seg></tuv><tuv xml:lang="en"><seg>Text without header</seg>'
            b"</tuv></tu></body></tmx>\n"),
        "bomb.tmx": (ROOT / "tests" / "data" / "tmx" / "billion_laughs.tmx").read_bytes(),
        "xxe.tmx": ('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY x SYSTEM '
                    '"file:///etc/passwd">]>\n' + TMX_OK.split("\n", 1)[1]
                    .format(fr="&x;", en="b")).encode(),
        "ext_dtd.tmx": ('<?xml version="1.0"?>\n<!DOCTYPE tmx SYSTEM "http://127.0.0.1:9/x.dtd">'
                        "\n" + TMX_OK.split("\n", 1)[1].format(fr="a", en="b")).encode(),
        "param_entity.tmx": ('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY % p SYSTEM '
                             '"file:///etc/passwd"> %p;]>\n' + TMX_OK.split("\n", 1)[1]
                             .format(fr="a", en="b")).encode(),
        "latin1_as_utf8.tmx": TMX_OK.format(fr="Assemblée générale", en="General Assembly")
        .encode("latin-1"),
        "utf16_no_bom.tmx": TMX_OK.replace("UTF-8", "UTF-16").format(fr="Assemblée générale",
                                                                     en="General Assembly")
        .encode("utf-16-le"),
        "not_tmx.tmx": b'<?xml version="1.0"?><html><body>hello</body></html>',
        "truncated.tmx": TMX_OK.format(fr="a", en="b").encode()[:-30],
    }
    for name, data in made.items():
        (root / name).write_bytes(data)
    (root / "dir.tmx").mkdir()
    return {name: root / name for name in [*made, "dir.tmx"]}


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("memory") / "memory.db"
    with Memory.open(db, encoder=NO_ENCODER) as store:
        assert store.add_units(devset_units(0, N_UNITS)).added == N_UNITS
    return db


@pytest.fixture(scope="module")
def server(memory: Path) -> Iterator[Server]:
    srv = Server(memory, key=KEY, extra=("--encoder", NO_ENCODER))
    yield srv
    srv.stop()


# --- 1. CLI: one line, nothing changed --------------------------------------------------------

ALIGN_CASES = {
    "empty": (["empty.txt", "en.txt"], ["empty.txt", "empty"]),
    "blank": (["blank.txt", "en.txt"], ["blank.txt", "empty"]),
    "binary": (["binary.txt", "en.txt"], ["binary.txt", "binary"]),
    "latin-1": (["latin1.txt", "en.txt"], ["latin1.txt", "utf-8", "byte offset"]),
    "utf-16 without BOM": (["utf16.txt", "en.txt"], ["utf16.txt", "utf-8"]),
    "French given as Arabic": (["fr.txt", "en.txt", "fr.txt"], ["looks like french", "arabic"]),
    "English given as French": (["en.txt", "en.txt"], ["looks like english", "french"]),
    "French given as English": (["fr.txt", "fr.txt"], ["looks like french", "english"]),
    # two files: the second's language is detected; stated wrongly, it is refused
    "Arabic stated as English": (["fr.txt", "ar.txt", "--langs", "fr,en"],
                                 ["looks like arabic", "english"]),
    "no paragraphs": (["numbers.txt", "en.txt"], ["numbers.txt", "no paragraphs"]),
    "unsupported type": (["fr.odt", "en.txt"], ["fr.odt", "unsupported"]),
    "missing file": (["nowhere.txt", "en.txt"], ["not found"]),
}


@pytest.mark.parametrize("case", list(ALIGN_CASES))
def test_cli_align_refuses_bad_documents_in_one_line(case: str, files: dict[str, Path],
                                                     memory: Path, tmp_path: Path):
    names, needles = ALIGN_CASES[case]
    paths = [files.get(n, tmp_path / n) if n.endswith((".txt", ".odt")) else n for n in names]
    out = tmp_path / "out.tmx"
    before = fingerprint(memory)
    mode = [] if case == "no paragraphs" else ["--presegmented"]  # page numbers are dropped
    proc = cli("align", *paths, *mode, "--tmx", out, "--db", memory)
    assert_one_line_error(proc, "resolign align: error:", *needles)
    assert fingerprint(memory) == before
    assert list(tmp_path.iterdir()) == [], "a refused alignment wrote a file"


IMPORT_CASES = {
    "empty.tmx": ["not well-formed", "no element"],
    "binary.tmx": ["not well-formed"],
    "no_header.tmx": ["header"],
    "bomb.tmx": ["refused", "entities"],
    "xxe.tmx": ["refused", "entities"],
    "param_entity.tmx": ["refused"],
    "ext_dtd.tmx": ["refused", "external dtd"],
    "latin1_as_utf8.tmx": ["line 2", "encoding"],
    "not_tmx.tmx": ["not tmx", "<html>"],
    "truncated.tmx": ["not well-formed"],
    "dir.tmx": ["dir.tmx"],
    "latin1.txt": ["not well-formed"],
}


@pytest.mark.parametrize("name", list(IMPORT_CASES))
def test_cli_import_refuses_bad_tmx_and_keeps_the_memory(name: str, files: dict[str, Path],
                                                          memory: Path):
    before = fingerprint(memory)
    proc = cli("import", files[name], "--db", memory, "--encoder", NO_ENCODER)
    assert_one_line_error(proc, "resolign import: error:", *IMPORT_CASES[name])
    assert fingerprint(memory) == before


def test_cli_import_reads_utf16_without_bom_when_the_xml_says_so(files: dict[str, Path],
                                                                tmp_path: Path):
    """XML detects UTF-16 from `<\\0?\\0`: such a file is valid and its accents survive."""
    db = tmp_path / "m.db"
    proc = cli("import", files["utf16_no_bom.tmx"], "--db", db, "--encoder", NO_ENCODER)
    assert proc.returncode == 0, proc.stderr
    with Memory.open(db, encoder=NO_ENCODER, create=False) as store:
        assert [u.texts["fr"] for u in store.iter_units()] == ["Assemblée générale"]


QUERY_CASES = {
    "search --src xx": (["search", "x", "--src", "xx", "--no-semantic"], ["'xx'", "fr, en, ar"]),
    "search --tgt zz": (["search", "x", "--tgt", "zz", "--no-semantic"], ["'zz'"]),
    "concordance --lang xx": (["concordance", "x", "--lang", "xx"], ["'xx'"]),
    "export --pair fr-xx": (["export", "OUT", "--pair", "fr-xx"], ["'xx'"]),
    "search 100 kB": (["search", "a" * 100_000, "--no-semantic"], ["too long"]),
    "concordance 100 kB": (["concordance", "a " * 50_000], ["too long"]),
    "missing memory": (["search", "x", "--no-semantic", "--db", "NOWHERE"], ["no translation"]),
    "serve --workers 0": (["serve", "--workers", "0"], ["--workers must be 1-64, not 0"]),
}


@pytest.mark.parametrize("case", list(QUERY_CASES))
def test_cli_queries_refuse_unknown_languages_and_huge_queries(case: str, memory: Path,
                                                              tmp_path: Path):
    args, needles = QUERY_CASES[case]
    args = [str(tmp_path / "out.tmx") if a == "OUT" else a for a in args]
    if "--db" in args:
        args = [str(tmp_path / "none.db") if a == "NOWHERE" else a for a in args]
    else:
        args += ["--db", str(memory)]
    before = fingerprint(memory)
    assert_one_line_error(cli(*args), f"resolign {args[0]}: error:", *needles)
    assert fingerprint(memory) == before
    assert list(tmp_path.iterdir()) == []


def test_cli_control_characters_in_queries_and_documents(files: dict[str, Path], tmp_path: Path):
    """Controls, bidi overrides and NULs are data: searched safely, stripped from TMX with a
    warning, never a crash or an invalid file."""
    db = tmp_path / "m.db"
    with Memory.open(db, encoder=NO_ENCODER) as store:
        store.add_units(devset_units(0, 5))
    before = fingerprint(db)
    # (argv cannot carry NUL; lone surrogates cannot be encoded into argv either)
    for query in ("\x01\x07\x1b[31m", "Assemblée\u202e\u200f\x0b générale", "\ufeff\ud7ff"):
        proc = cli("search", query, "--db", db, "--no-semantic", "--json")
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        json.loads(proc.stdout)
        proc = cli("concordance", query, "--db", db, "--json")
        assert "Traceback" not in proc.stderr
        if proc.returncode == 0:
            json.loads(proc.stdout)
        else:
            assert_one_line_error(proc, "no words")
    assert fingerprint(db) == before
    # A TMX whose texts carry C0 controls: stripped on export, a valid file comes back in.
    units = [Unit(texts={"fr": f"Texte\x07 {i} \x1b[0m\u202e", "en": f"Text\x00 {i}\x0c"})
             for i in range(3)]
    write_tmx(units, tmp_path / "ctrl.tmx")
    proc = cli("import", tmp_path / "ctrl.tmx", "--db", db, "--encoder", NO_ENCODER)
    assert proc.returncode == 0, proc.stderr
    assert fingerprint(db)[0] == before[0] + 3


# --- 1. HTTP: 4xx with a JSON reason, nothing changed -----------------------------------------

HTTP_IMPORT_CASES = {
    "empty.tmx": ("is empty", 400),
    "binary.tmx": ("not well-formed", 400),
    "no_header.tmx": ("header", 400),
    "bomb.tmx": ("entities", 400),
    "xxe.tmx": ("entities", 400),
    "param_entity.tmx": ("refused", 400),
    "ext_dtd.tmx": ("external dtd", 400),
    "latin1_as_utf8.tmx": ("encoding", 400),
    "not_tmx.tmx": ("not tmx", 400),
    "truncated.tmx": ("not well-formed", 400),
    "utf16.txt": ("not well-formed", 400),
}


@pytest.mark.parametrize("name", list(HTTP_IMPORT_CASES))
def test_http_import_refuses_bad_tmx_and_keeps_the_memory(name: str, files: dict[str, Path],
                                                           server: Server):
    needle, code = HTTP_IMPORT_CASES[name]
    before = fingerprint(server.db)
    response = httpx.post(server.url + "/api/import", headers={"X-API-Key": KEY}, timeout=60,
                          files={"file": (name, files[name].read_bytes(), "application/xml")})
    assert_json_refusal(response, code, needle=needle)
    assert fingerprint(server.db) == before


HTTP_ALIGN_CASES = {
    "French given as Arabic": ({"fr": "fr.txt", "en": "en.txt", "ar": "fr.txt"},
                               "looks like French"),
    "English given as French": ({"fr": "en.txt", "en": "en.txt"}, "looks like English"),
    "empty": ({"fr": "empty.txt", "en": "en.txt"}, "empty"),
    "binary": ({"fr": "binary.txt", "en": "en.txt"}, "binary"),
    "latin-1": ({"fr": "latin1.txt", "en": "en.txt"}, "utf-8"),
    "no paragraphs": ({"fr": "numbers.txt", "en": "en.txt"}, "no paragraphs"),  # not presegmented
    "French only": ({"fr": "fr.txt"}, "at least one"),
}


@pytest.mark.parametrize("case", list(HTTP_ALIGN_CASES))
def test_http_align_refuses_bad_documents(case: str, files: dict[str, Path], server: Server):
    sent, needle = HTTP_ALIGN_CASES[case]
    before = fingerprint(server.db)
    response = httpx.post(
        server.url + "/api/align", headers={"X-API-Key": KEY}, timeout=60,
        data={"presegmented": "false" if case == "no paragraphs" else "true"},
        files={lang: (name, files[name].read_bytes(), "text/plain") for lang, name in
               sent.items()})
    assert_json_refusal(response, 400, needle=needle)
    assert fingerprint(server.db) == before


HTTP_QUERY_CASES = [
    ("/api/search", {"q": "x", "src": "xx"}, 422, "'xx'"),
    ("/api/search", {"q": "x", "tgt": "zz"}, 422, "'zz'"),
    ("/api/search", {"q": "x", "src": "en", "tgt": "en"}, 422, "different"),
    ("/api/concordance", {"q": "x", "lang": "xx"}, 422, "'xx'"),
    ("/api/export.tmx", {"pair": "fr-xx"}, 422, "'xx'"),
    ("/api/export.tmx", {"segtype": "word"}, 400, "segtype"),
    ("/api/search", {"q": "a" * 100_000}, 413, "too long"),
    ("/api/concordance", {"q": "ab " * 34_000}, 413, "too long"),
    ("/api/search", {"q": "   "}, 422, "empty"),
    ("/api/search", {"q": "x", "limit": "100000"}, 422, "limit"),
    ("/api/search", {"q": "x", "min_score": "nan"}, 422, "min_score"),
    ("/api/units/abc", {}, 422, "unit_id"),
    ("/api/units/99999999999999999999999", {}, 422, "unit_id"),
    ("/api/units/123456", {}, 404, "no unit"),
]


@pytest.mark.parametrize("path,params,code,needle", HTTP_QUERY_CASES)
def test_http_queries_refuse_bad_parameters_with_a_json_reason(path, params, code, needle,
                                                               server: Server):
    assert_json_refusal(raw_get(server, path, params), code, needle=needle)


def test_http_control_characters_in_queries_are_answered(server: Server):
    for q in ("\x00\x01\x07", "Assemblée\u202e\u200f\x0b générale", "\ufeff\x1b[31m", "\ud7ff",
              "%00%0d%0aSet-Cookie: x=1"):
        for path, params in (("/api/search", {"q": q, "semantic": "false"}),
                             ("/api/concordance", {"q": q}), ("/", {"q": q})):
            response = httpx.get(server.url + path, params=params, timeout=60)
            assert response.status_code in (200, 400, 422), (q, response.text[:200])
            assert "set-cookie" not in response.headers
            if path != "/":
                response.json()


def test_http_upload_of_100_mb_is_refused_before_it_is_read(server: Server):
    """A declared 100 MB body is refused on its headers; an undeclared (chunked) one once it
    passes the limit. Either way the server's memory does not grow by the upload's size."""
    limit = 50 * 1024 * 1024  # `resolign serve` default
    before = fingerprint(server.db)
    rss_before = server.rss()
    chunk = b"<tu>" + b"x" * (1024 * 1024 - 4)
    for chunked in (False, True):
        head = (f"POST /api/import HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
                "Content-Type: multipart/form-data; boundary=BOUNDARY\r\n"
                + ("Transfer-Encoding: chunked\r\n" if chunked else
                   f"Content-Length: {100 * 1024 * 1024}\r\n") + "\r\n").encode()
        first = (b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; '
                 b'filename="big.tmx"\r\n\r\n')
        sent, answer = 0, b""
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(head)
            data = first
            deadline = time.monotonic() + 60
            for _ in range(100):  # at most 100 MB
                piece = (f"{len(data):x}\r\n".encode() + data + b"\r\n") if chunked else data
                try:
                    sock.sendall(piece)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(data)
                data = chunk
                if select.select([sock], [], [], 0)[0] or time.monotonic() > deadline:
                    break
            sock.settimeout(30)
            with contextlib.suppress(ConnectionResetError):
                while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                    more = sock.recv(65536)
                    if not more:
                        break
                    answer += more
        status, _, rest = answer.partition(b"\r\n")
        assert b" 413 " in status, answer[:300]
        assert b'"detail":"upload too large' in rest
        if chunked:
            assert sent <= limit + 16 * 1024 * 1024  # the limit plus socket buffers, never 100 MB
        else:
            assert sent <= 16 * 1024 * 1024
    assert server.rss("VmHWM") - rss_before < 40 * 1024 * 1024
    assert fingerprint(server.db) == before
    assert httpx.get(server.url + "/healthz", timeout=10).json()["units"] == before[0]


# --- 4. Access: keys, binding, paths ----------------------------------------------------------

def test_write_endpoints_need_the_right_key(server: Server, files: dict[str, Path]):
    before = fingerprint(server.db)
    tmx = TMX_OK.format(fr="Une unité nouvelle", en="A new unit").encode()
    for path in ("/api/import", "/api/align"):
        upload = ({"file": ("a.tmx", tmx)} if path == "/api/import" else
                  {"fr": ("fr.txt", files["fr.txt"].read_bytes()),
                   "en": ("en.txt", files["en.txt"].read_bytes())})
        for headers, needle in (({}, "missing"), ({"X-API-Key": "wrong"}, "wrong"),
                                ({"X-API-Key": KEY + "x"}, "wrong"), ({"X-API-Key": ""}, ""),
                                ({"X-API-Key": KEY[:-1]}, "wrong"),
                                ({"X-API-Key": KEY.upper()}, "wrong")):
            response = httpx.post(server.url + path, headers=headers, files=upload, timeout=60)
            assert_json_refusal(response, 401, 403, needle=needle)
    assert fingerprint(server.db) == before
    assert httpx.get(server.url + "/healthz", timeout=10).json()["writes"] == "enabled"


def test_write_endpoints_are_disabled_without_a_configured_key(memory: Path, tmp_path: Path):
    db = tmp_path / "copy.db"
    db.write_bytes(memory.read_bytes())
    srv = Server(db, key=None, extra=("--encoder", NO_ENCODER))
    try:
        before = fingerprint(db)
        assert httpx.get(srv.url + "/healthz", timeout=10).json()["writes"] == "disabled"
        tmx = TMX_OK.format(fr="Une unité nouvelle", en="A new unit").encode()
        for headers in ({}, {"X-API-Key": KEY}, {"X-API-Key": ""}):
            for path in ("/api/import", "/api/align"):
                response = httpx.post(srv.url + path, headers=headers, timeout=30,
                                      files={"file": ("a.tmx", tmx), "fr": ("f.txt", b"x")})
                assert_json_refusal(response, 403, needle="disabled")
        assert fingerprint(db) == before
    finally:
        srv.stop()
    assert "RESOLIGN_API_KEY is not set" in db.with_suffix(".log").read_text()


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket LISTENing on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].rsplit(":", 1)
                if int(hex_port, 16) == port and fields[3] == "0A":
                    found.append(address)
    return found


def _outward_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 9))  # no packet is sent for UDP connect
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_serve_binds_loopback_only_by_default(server: Server):
    assert _listening(server.port) == ["0100007F"]  # 127.0.0.1, and nothing on IPv6
    outward = _outward_address()
    if outward is not None:
        with pytest.raises(OSError), socket.create_connection((outward, server.port), timeout=3):
            pass


TRAVERSALS = ["../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd", "....//....//etc/passwd",
              "..\\..\\etc\\passwd", "file:///etc/passwd", "/proc/self/environ"]


def test_no_parameter_reads_a_path(server: Server, tmp_path: Path):
    canary = tmp_path / "canary.txt"
    canary.write_text(SECRET)
    probes = [*TRAVERSALS, str(canary), f"../../../../..{canary}"]
    bodies = []
    for value in probes:
        for path, params in (
            ("/api/search", {"q": value, "src": "fr", "document": value, "symbol": value}),
            ("/api/search", {"q": "x", "src": value}),
            ("/api/concordance", {"q": value, "lang": "fr", "document": value}),
            ("/api/export.tmx", {"segtype": value}),
            ("/api/export.tmx", {"pair": value}),
            ("/", {"q": value, "src": value, "tgt": value, "mode": value}),
        ):
            response = httpx.get(server.url + path, params=params, timeout=60)
            assert response.status_code < 500
            bodies.append(response.text)
        for raw in (f"/api/units/{value}", f"/units/{value}", f"/static/{value}",
                    f"/static/..%2f..%2f..%2f..%2f..%2f..{canary}", f"/{value}"):
            response = httpx.get(server.url + raw, timeout=60)
            assert response.status_code in (400, 404, 405, 422), (raw, response.status_code)
            bodies.append(response.text)
    for text in bodies:
        assert SECRET not in text and "root:x:0:0" not in text
        assert "PYTHONPATH" not in text


def test_upload_filenames_are_never_paths(server: Server, files: dict[str, Path],
                                          tmp_path: Path):
    """Traversal and absolute file names: nothing is written or read there; the memory only
    records the base name."""
    target = tmp_path / "written_here"
    before = fingerprint(server.db)
    for i, name in enumerate([f"../../../../../..{target}/evil.tmx", f"{target}/abs.tmx",
                              "../../etc/passwd", "/etc/passwd", "..\\..\\x.tmx"]):
        tmx = TMX_OK.format(fr=f"Unité de chemin {i}", en=f"Path unit {i}").encode()
        response = httpx.post(server.url + "/api/import", headers={"X-API-Key": KEY},
                              files={"file": (name, tmx)}, timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()["added"] == 1
    assert not target.exists()
    # An upload named after a real file is read from the upload, not from that file.
    response = httpx.post(server.url + "/api/import", headers={"X-API-Key": KEY}, timeout=60,
                          files={"file": (str(files["fr.txt"]), b"")})
    assert_json_refusal(response, 400, needle="empty")
    response = httpx.post(server.url + "/api/align", headers={"X-API-Key": KEY}, timeout=60,
                          data={"presegmented": "true"},
                          files={"fr": (f"{target}/../../{files['fr.txt'].name}", b"\x00\x01"),
                                 "en": (str(files["en.txt"]), b"")})
    assert_json_refusal(response, 400)
    assert not target.exists()
    count, _ = fingerprint(server.db)
    assert count == before[0] + 5
    with Memory.open(server.db, encoder=NO_ENCODER, create=False) as store:
        added = [u for u in store.iter_units() if u.texts.get("fr", "").startswith("Unité de")]
        assert len(added) == 5
