"""CAT-tool clients as their own code builds requests, a held-out document, and a served memory:
shared by the tests of the CAT-tool APIs.

The URL builders copy what the clients do (read from their sources), not what resolign expects:
- Weblate's tmserver machinery joins `base.rstrip("/")` and each part quoted with
  `urllib.parse.quote(part, b"")`, the text being `text[:500].replace("\\r", " ").encode()`,
  and maps language codes with `.replace("-", "_").lower()`; `languages` is asked with a
  trailing empty part (`{base}/languages/`).
- Virtaal's amaGama plugin joins its base `.../api/v1/` with `/%s/%s/unit` and then
  `"/" + urllib.quote(text, safe="")`, hence `/api/v1//fr/en/unit/...`.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx

from resolign.align.evaluation import load_parallel_documents, make_eval_document
from tests.conftest import DEVSET
from tests.memory_checks import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resolign" / "examples" / "un"
SERVER_START_SECONDS = 120


# --- the clients' URLs -------------------------------------------------------------------------


def weblate_code(code: str) -> str:
    """Weblate's TMServerTranslation.map_language_code."""
    return code.replace("-", "_").lower()


def weblate_url(base: str, *parts: str | bytes) -> str:
    """Weblate's MachineTranslation.get_api_url: base without trailing slash, parts quoted."""
    return "/".join([base.rstrip("/"), *(quote(part, b"") for part in parts)])


def weblate_unit_url(base: str, src: str, tgt: str, text: str) -> str:
    """The URL of Weblate's tmserver download_translations for one text."""
    return weblate_url(base, weblate_code(src), weblate_code(tgt), "unit",
                       text[:500].replace("\r", " ").encode())


def virtaal_unit_url(base: str, src: str, tgt: str, text: str) -> str:
    """Virtaal's TMClient.translate_unit + RESTRequest (base as configured, with its slash)."""
    return base + f"/{src}/{tgt}/unit" + "/" + quote(text.encode("utf-8"), safe="")


def omegat_retrieve(url: str, out: Path, etags: dict[str, str]) -> int:
    """OmegaT's HTTPRemoteRepository.retrieve for one mapped file: If-None-Match with the ETag
    it kept; 200 replaces the local copy and keeps the new ETag, 304 keeps both, anything else
    fails the team sync. The status, for the caller to check."""
    headers = {"If-None-Match": etags[out.name]} if out.name in etags else {}
    response = httpx.get(url, headers=headers, timeout=60)
    if response.status_code == 304:
        return 304
    if response.status_code != 200:
        raise RuntimeError(f"HTTP response code: {response.status_code}")
    out.write_bytes(response.content)
    if "etag" in response.headers:
        etags[out.name] = response.headers["etag"]
    return 200


# --- a held-out document -----------------------------------------------------------------------


def example_symbols() -> set[str]:
    """Documents of the bundled example (aligned by `resolign demo`): never held out."""
    return {line.strip() for line in (EXAMPLE / "fr.txt").read_text("utf-8").splitlines()
            if line.strip().startswith(("A/", "E/", "S/"))}


def held_out_document(min_paragraphs: int, seed: int = 11) -> dict[str, list[str]]:
    """Paragraphs of real UN devset documents (fr/en/ar translations, Ziemski et al. 2016)
    outside the bundled example, grouped 1-3 sentences a paragraph, nothing merged or dropped:
    the documents whose French has a `/` first (UN text like A/RES/71/1 must survive URLs),
    then others in symbol order until `min_paragraphs` French paragraphs."""
    rng = random.Random(seed)
    excluded = {s.lower().replace(".", "_") for s in example_symbols()}
    documents = sorted((d for d in load_parallel_documents(DEVSET)
                        if d.symbol.split("/", 1)[1] not in excluded),
                       key=lambda d: (not any("/" in s for s in d.sentences["fr"]), d.symbol))
    paragraphs: dict[str, list[str]] = {"fr": [], "en": [], "ar": []}
    for doc in documents:
        if len(paragraphs["fr"]) >= min_paragraphs:
            break
        built = make_eval_document(doc, rng, [], p_merge=0, p_split=0, p_drop=0)
        for lang in paragraphs:
            paragraphs[lang] += built.paragraphs[lang]
    return paragraphs


def write_document(paragraphs: dict[str, list[str]], folder: Path) -> dict[str, Path]:
    """One paragraph per line (what `resolign align --presegmented` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for lang, lines in paragraphs.items():
        paths[lang] = folder / f"{lang}.txt"
        paths[lang].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def resolign(*args: str, env: dict[str, str] | None = None,
             timeout: float = 900) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "resolign.cli", *args], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


# --- a served memory ---------------------------------------------------------------------------


@contextmanager
def served(db: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, Path]]:
    """`resolign serve --db DB` on a free port: (base URL, its log file); always stopped."""
    port = free_port()
    log_path = db.parent / f"serve-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "resolign.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
         "--port", str(port), *args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"resolign serve exited: {log_path.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"resolign serve not up after {SERVER_START_SECONDS}s")
            time.sleep(0.2)
        yield base, log_path
    finally:
        stop(proc, timeout=10)
        log.close()
