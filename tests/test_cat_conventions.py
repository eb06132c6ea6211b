"""Quick checks of the CAT-tool conventions in process (the real-HTTP runs are in
test_tmserver.py): CORS is off unless asked for, reads stay open when writes are disabled, a
write body is bounded, and `serve` refuses a malformed --cors-origin in one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from resolign.service.http.app import create_app
from resolign.service.memory import NO_ENCODER, Memory
from tests.cat_clients import resolign, weblate_unit_url
from tests.devset import devset_lines, devset_units


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, devset_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("cat") / "memory.db"
    with Memory.open(path, encoder=NO_ENCODER) as memory:
        memory.add_units(devset_units(0, 50))
    return path


def test_no_cors_unless_an_origin_is_allowed(db):
    origin = "https://weblate.example.org"
    with TestClient(create_app(db, api_key=None, encoder=NO_ENCODER)) as client:
        response = client.get("/tmserver/languages/", headers={"Origin": origin})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
    with TestClient(create_app(db, api_key=None, encoder=NO_ENCODER,
                               cors_origins=[origin])) as client:
        response = client.get("/tmserver/languages/", headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == origin
        assert "X-Request-ID" in response.headers["access-control-expose-headers"]


def test_reads_open_and_writes_refused_without_a_configured_key(db):
    french = devset_lines()["fr"][3]
    with TestClient(create_app(db, api_key=None, encoder=NO_ENCODER)) as client:
        read = client.get(weblate_unit_url("/tmserver", "fr", "en", french))
        assert read.status_code == 200 and read.json()[0]["source"] == french
        write = client.put(weblate_unit_url("/tmserver", "fr", "en", french),
                           json={"source": french, "target": "x"})
        assert write.status_code == 403 and "no API key" in write.json()["detail"]


def test_write_body_is_bounded(db, tmp_path):
    copy = tmp_path / "memory.db"
    copy.write_bytes(db.read_bytes())
    app = create_app(copy, api_key="k", encoder=NO_ENCODER, max_upload_bytes=1000)
    with TestClient(app) as client:
        big = [{"source": "mot " * 100, "target": "word " * 100}] * 5
        response = client.post("/tmserver/fr/en/store/big.po", json=big,
                               headers={"X-API-Key": "k"})
        assert response.status_code == 413 and response.json()["detail"]
        assert app.state.memory.count() == 50


def test_serve_refuses_a_malformed_cors_origin(db):
    done = resolign("serve", "--db", str(db), "--cors-origin", "weblate.example.org/path")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--cors-origin" in done.stderr
