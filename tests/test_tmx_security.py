"""Hostile TMX is refused with a TmxError, and nothing outside the file is ever read or fetched."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolign.errors import TmxError
from resolign.tmx import check_tmx, read_tmx

DATA = Path(__file__).parent / "data" / "tmx"
HEADER = (
    '<header creationtool="t" creationtoolversion="1" datatype="plaintext" segtype="sentence" '
    'adminlang="en" srclang="fr" o-tmf="t"/>'
)


def tmx(doctype: str, seg: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<tmx version="1.4">{HEADER}<body><tu>'
        f'<tuv xml:lang="fr"><seg>{seg}</seg></tuv><tuv xml:lang="en"><seg>x</seg></tuv>'
        "</tu></body></tmx>"
    ).encode()


class Listener:
    """A local TCP port that counts connection attempts: proof that no fetch happened."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def refused(source: Path | bytes, *words: str) -> str:
    with pytest.raises(TmxError) as caught:
        read_tmx(source)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    problems = check_tmx(source)
    assert len(problems) == 1 and problems[0].message == message
    return message


def test_billion_laughs_is_refused_without_expansion() -> None:
    start = time.perf_counter()
    message = refused(DATA / "billion_laughs.tmx", "refused", "declares entities", "lol9")
    assert time.perf_counter() - start < 1.0
    assert "lollol" not in message


def test_external_file_entity_is_refused_and_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-FILE-CONTENT")
    doctype = f'<!DOCTYPE tmx [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    message = refused(tmx(doctype, "a&xxe;b"), "refused", "xxe")
    assert "TOPSECRET" not in message


def test_network_dtd_and_parameter_entity_are_refused_and_not_fetched(
    listener: Listener,
) -> None:
    url = f"http://127.0.0.1:{listener.port}"
    refused(tmx(f'<!DOCTYPE tmx SYSTEM "{url}/evil.dtd">', "a"), "external DTD", url)
    refused(tmx(f'<!DOCTYPE tmx [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>', "a"), "refused")
    refused(tmx(f'<!DOCTYPE tmx [<!ENTITY e SYSTEM "{url}/e.txt">]>', "&e;"), "refused")
    time.sleep(0.1)
    assert listener.connections == 0


def test_tmx_dtd_reference_is_accepted_but_never_fetched(listener: Listener) -> None:
    """Many tools write <!DOCTYPE tmx SYSTEM "tmx14.dtd">: fine to import, never loaded."""
    data = tmx(f'<!DOCTYPE tmx SYSTEM "http://127.0.0.1:{listener.port}/tmx14.dtd">', "Bonjour")
    assert read_tmx(data)[0].texts == {"fr": "Bonjour", "en": "x"}
    assert check_tmx(data) == []
    time.sleep(0.1)
    assert listener.connections == 0


def test_local_dtd_beside_the_file_is_not_loaded(tmp_path: Path) -> None:
    (tmp_path / "tmx14.dtd").write_text('<!ENTITY secret "TOPSECRET-DTD">')
    path = tmp_path / "uses_dtd.tmx"
    path.write_bytes(tmx('<!DOCTYPE tmx SYSTEM "tmx14.dtd">', "a &secret; b"))
    message = refused(path, "refused", "&secret;")
    assert "TOPSECRET" not in message


def test_undeclared_entity_is_malformed() -> None:
    refused(tmx("", "a &nbsp; b"), "not well-formed", "line 3", "nbsp")


def test_predefined_and_character_references_are_fine() -> None:
    data = tmx("", "&lt;&amp;&gt;&quot;&apos;&#x627;&#1604;")
    assert read_tmx(data)[0].texts["fr"] == "<&>\"'\u0627\u0644"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", ("not well-formed",)),
        (b"not xml at all", ("not well-formed", "line 1")),
        (b"<tmx version='1.4'><header>", ("not well-formed",)),
        (b"<html><body/></html>", ("not TMX", "<html>")),
    ],
)
def test_garbage_is_refused(data: bytes, words: tuple[str, ...]) -> None:
    with pytest.raises(TmxError) as caught:
        read_tmx(data)
    for word in words:
        assert word in str(caught.value)


def test_malformed_file_is_refused_with_its_line() -> None:
    refused(DATA / "malformed.tmx", "not well-formed XML at line 8", "mismatch")


def test_missing_file_is_a_tmx_error(tmp_path: Path) -> None:
    with pytest.raises(TmxError, match="no such file"):
        read_tmx(tmp_path / "absent.tmx")
    with pytest.raises(TmxError, match="no such file"):
        check_tmx(tmp_path / "absent.tmx")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(TmxError, match="not a file"):
        read_tmx(tmp_path)
