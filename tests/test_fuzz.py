"""Fuzzing: the HTTP API from its own OpenAPI schema (schemathesis), and the TMX reader with
random and mutated bytes (hypothesis). Bounded in examples and time.

API: no 5xx, and every response conforms to the schema (status, content type, JSON shape).
TMX: every input gives units or a TmxError — never another exception, never a hang.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from resolign.errors import TmxError
from resolign.service.http.app import create_app
from resolign.service.memory import NO_ENCODER, Memory
from resolign.tmx.reader import read_tmx
from resolign.tmx.writer import write_tmx
from resolign.units import Unit
from tests.devset import devset_units

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT.parent / "shared" / "data" / "un-devset"
DATA = ROOT / "tests" / "data" / "tmx"
KEY = "fuzz-key"
TRIED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def counts():
    yield
    print("\nfuzz inputs tried: " + ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items())))


# --- the HTTP API from its schema ---------------------------------------------------------------

_MEMORY = Path("/tmp") / f"resolign-fuzz-{time.time_ns()}"


def _app():
    _MEMORY.mkdir(parents=True, exist_ok=True)
    db = _MEMORY / "memory.db"
    with Memory.open(db, encoder=NO_ENCODER) as store:
        store.add_units(devset_units(0, 20))
    # Semantic search off: the fuzzer explores parameters, not the encoder (tested elsewhere).
    return create_app(db, api_key=KEY, encoder=NO_ENCODER)


APP = _app()


async def _without_lifespan(scope, receive, send):
    """The app closes its store on lifespan shutdown; the fuzzer's client starts and stops a
    lifespan per call, so those events are answered here and the store stays open."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await APP(scope, receive, send)


schema = schemathesis.openapi.from_asgi("/openapi.json", _without_lifespan)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module", autouse=True)
def _cleanup_memory():
    yield
    shutil.rmtree(_MEMORY, ignore_errors=True)


@schema.exclude(path="/api/align").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_fuzz_no_server_error_and_conforming(case):
    TRIED[f"api {case.method} {case.path}"] += 1
    headers = {"X-API-Key": KEY} if case.method == "POST" else None
    before = APP.state.memory.count()
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    if response.status_code >= 400:
        assert response.json()["detail"]  # every refusal says why, in JSON
        assert APP.state.memory.count() == before  # and wrote nothing


@schema.include(path="/api/align").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_fuzz_align_refuses_cleanly(case):
    """Random forms to the aligner: a clean 4xx (or 503 when the encoder is off), never 500."""
    TRIED["api POST /api/align"] += 1
    before = APP.state.memory.count()
    response = case.call(headers={"X-API-Key": KEY})
    assert response.status_code < 500 or response.status_code == 503, response.text[:300]
    assert response.json()["detail"] if response.status_code >= 400 else True
    if response.status_code >= 400:
        assert APP.state.memory.count() == before


# --- the TMX reader -----------------------------------------------------------------------------

def _seeds() -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted(DATA.glob("*.tmx"))]
    path = _MEMORY / "seed.tmx"
    _MEMORY.mkdir(parents=True, exist_ok=True)
    write_tmx(devset_units(0, 3), path)
    seeds.append(path.read_bytes())
    return seeds


SEEDS = _seeds()


def _read(data: bytes, kind: str) -> None:
    TRIED[kind] += 1
    started = time.monotonic()
    try:
        units = read_tmx(data)
    except TmxError as error:
        assert str(error)
        TRIED[f"{kind}: TmxError"] += 1
    else:
        TRIED[f"{kind}: units"] += 1
        # a unit has text or inline codes (a code-only TU is kept, not dropped)
        assert all(isinstance(u, Unit) and any(v.has_content() for v in u.variants)
                   for u in units)
    assert time.monotonic() - started < 5, "the reader took too long on a small input"


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=2000)
def test_tmx_reader_on_random_bytes(data: bytes):
    _read(data, "tmx random bytes")


@st.composite
def mutated_tmx(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "flip", "duplicate", "truncate", "tag"]))
        at = draw(st.integers(0, len(data)))
        if op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from([
                b"<tu>", b"</tu>", b"<tuv xml:lang='fr'><seg>", b"</seg></tuv>", b"&amp;",
                b"&foo;", b"<!DOCTYPE tmx [<!ENTITY a 'b'>]>", b"<![CDATA[x]]>", b"<bpt i='1'>",
                b"<prop type='x-score'>nan</prop>", b"\x00", b"\xff\xfe", b"<?pi x?>",
                b"<!-- c -->", "é\u202e".encode(), b"xml:lang=''", b"creationdate='99999'"]))
    return bytes(data)


@given(mutated_tmx())
@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
def test_tmx_reader_on_mutated_valid_tmx(data: bytes):
    _read(data, "tmx mutated")
