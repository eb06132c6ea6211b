"""A memory in PostgreSQL: the locations --db accepts, the schema resolign creates, vectors shared
through the database, and servers that share one memory.

Real PostgreSQL (the suite's server: $RESOLIGN_TEST_PG or a throwaway cluster, see
tests/pg_cluster.py), real devset units, the real encoder and real `resolign` processes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg
import pytest

from resolign.align.encoders import Encoder
from resolign.cli import main
from resolign.errors import InputError, StoreUnavailable
from resolign.service import pg_fulltext, pg_text
from resolign.service.locations import parse_location, redact
from resolign.service.memory import NO_ENCODER, Memory
from resolign.service.pg_schema import SCHEMA_VERSION
from resolign.service.store import phrase as phrase_match
from resolign.service.wordforms import form_keys
from resolign.tmx.reader import read_tmx
from resolign.tmx.writer import write_tmx
from resolign.units import Unit, Variant
from tests import pg_cluster
from tests.devset import devset_lines, devset_units
from tests.memory_checks import fingerprint, free_port, stop, uncommitted_bytes

ROOT = Path(__file__).resolve().parent.parent
KEY = "replica-test-key"


@pytest.fixture
def pg_memory(pg_server: str) -> str:
    """The URL of a new, empty database (dropped after the test)."""
    url = pg_cluster.create_database(pg_server)
    yield url
    pg_cluster.drop_database(pg_server, url)


def sql(url: str, query: str, params: tuple | None = None) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


# --- what --db accepts ------------------------------------------------------------------------

BOGUS = [
    ("mysql://me@db/tm", "unsupported memory location (scheme 'mysql:')"),
    ("sqlite:///tmp/tm.db", "unsupported memory location (scheme 'sqlite:')"),
    ("http://example.org/tm", "unsupported memory location (scheme 'http:')"),
    ("postgresql:tm", "unsupported memory location"),
    ("postgresql://me@db", "name one database"),
    ("postgresql://me@db:99999/tm", "bad port"),
    ("postgresql://me@db/tm?sslmode=maybe-ish&bogus=1", "not a usable PostgreSQL URL"),
    ("missing-folder/memory.db", "folder missing-folder does not exist"),
]


@pytest.mark.parametrize("value, reason", BOGUS)
@pytest.mark.parametrize("argv", [
    ["align", "FR", "EN", "--presegmented", "--db"],
    ["align-dir", "DIR", "DIR", "--db"],
    ["import", "TMX", "--db"],
    ["export", "OUT.tmx", "--db"],
    ["search", "paix", "--db"],
    ["concordance", "paix", "--db"],
    ["serve", "--db"],
    ["demo", "--no-serve", "--db"],
])
def test_a_bogus_location_is_refused_in_one_line_and_creates_nothing(
        argv: list[str], value: str, reason: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    monkeypatch.chdir(tmp_path)
    inputs = {"FR": "fr.txt", "EN": "en.txt", "DIR": "docs", "TMX": "in.tmx"}
    Path("fr.txt").write_text("Bonjour.\n", "utf-8")
    Path("en.txt").write_text("Hello.\n", "utf-8")
    Path("docs").mkdir()
    Path("in.tmx").write_bytes(b"<tmx/>")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as exit_:
        main([inputs.get(a, a) for a in argv] + [value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err, err
    assert "secret" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no postgresql: folder


def test_a_password_is_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture):
    url = "postgresql://me:secret@127.0.0.1:1/tm"
    assert redact(url) == "postgresql://me:***@127.0.0.1:1/tm"
    assert redact("postgresql://h/tm?password=secret&x=1") == "postgresql://h/tm?password=***&x=1"
    assert str(parse_location(url)) == "postgresql://me:***@127.0.0.1:1/tm"
    # Nothing listens on port 1: one line, exit 2, the reason from libpq, no password.
    assert main(["search", "paix", "--db", url, "--no-semantic"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not connect to postgresql://me:***@" in err
    assert "secret" not in err


def test_resolign_db_names_the_memory_when_no_db_is_given(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture):
    tmx = tmp_path / "in.tmx"
    write_tmx(devset_units(0, 12), tmx)
    monkeypatch.setenv("RESOLIGN_DB", pg_memory)
    assert main(["import", str(tmx), "--encoder", "none"]) == 0
    assert "imported 12 units" in capsys.readouterr().out
    assert main(["search", devset_units(3, 4)[0].texts["fr"], "--no-semantic", "--json"]) == 0
    assert '"kind": "exact"' in capsys.readouterr().out
    monkeypatch.setenv("RESOLIGN_DB", "mysql://me@db/tm")
    with pytest.raises(SystemExit):
        main(["search", "paix"])
    assert "unsupported memory location" in capsys.readouterr().err


# --- the schema -------------------------------------------------------------------------------

def test_a_new_memory_gets_its_tables_and_a_schema_version(pg_memory: str):
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        assert memory.count() == 0 and memory.store.backend == "postgresql"
        store_id = memory.store.store_id
    assert sql(pg_memory, "SELECT version FROM resolign.schema_version") == [
        (SCHEMA_VERSION,)]
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:  # opened again, not recreated
        assert memory.store.store_id == store_id


def test_a_database_without_a_memory_is_not_changed_when_only_reading(pg_memory: str):
    with pytest.raises(InputError, match="no translation memory at postgresql://"):
        Memory.open(pg_memory, create=False)
    assert sql(pg_memory, "SELECT count(*) FROM pg_namespace WHERE nspname = 'resolign'") == [
        (0,)]


def test_a_memory_from_a_newer_version_is_refused(pg_memory: str):
    Memory.open(pg_memory, encoder=NO_ENCODER).close()
    sql(pg_memory, "INSERT INTO resolign.schema_version(version) VALUES (99)")
    with pytest.raises(InputError, match="newer resolign"):
        Memory.open(pg_memory, encoder=NO_ENCODER)


FIRST_RELEASE = ROOT / "tests" / "data" / "memory" / "postgresql-schema-1.sql"


def load_first_release(url: str) -> None:
    """The memory the first PostgreSQL release wrote (schema 1), restored from its dump."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FIRST_RELEASE.read_text("utf-8"))


def test_a_first_release_memory_is_migrated_with_nothing_lost(pg_memory: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture):
    load_first_release(pg_memory)
    old_units = sql(pg_memory, "SELECT id, document, symbol, paragraph, score, created "
                    "FROM resolign.units ORDER BY id")
    old_texts = sql(pg_memory, "SELECT unit_id, lang, text FROM resolign.segments")
    old_vectors = sql(pg_memory, "SELECT encoder, unit_id, vector FROM resolign.vectors "
                      "ORDER BY unit_id")
    assert len(old_units) == 24 and len(old_vectors) == 24
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        units = list(memory.iter_units())
        assert [(u.id, u.document, u.symbol, u.paragraph, u.score, u.created.isoformat())
                for u in units] == old_units
        assert sorted((u.id, lang, text) for u in units for lang, text in u.texts.items()) == \
            sorted(old_texts)
        assert memory.count() == 24 and memory.tags() == {"fr", "en", "ar"}
        unit_id, lang, text = old_texts[0]
        [match] = memory.search(text, src=lang, tgt="en" if lang != "en" else "fr")
        assert match.kind == "exact" and match.unit_id == unit_id
        phrase = " ".join(text.split()[:3])
        assert unit_id in {hit.unit_id for hit in memory.concordance(phrase, lang=lang).hits}
    assert sql(pg_memory, "SELECT version FROM resolign.schema_version ORDER BY version") == [
        (1,), (SCHEMA_VERSION,)]
    assert sql(pg_memory, "SELECT encoder, unit_id, vector FROM resolign.vectors "
               "ORDER BY unit_id") == old_vectors
    assert sql(pg_memory, "SELECT to_regclass('resolign.segments')") == [(None,)]
    out = tmp_path / "out.tmx"
    assert main(["export", "--db", pg_memory, str(out)]) == 0
    assert sorted((lang, text) for u in read_tmx(out) for lang, text in u.texts.items()) == \
        sorted((lang, text) for _, lang, text in old_texts)


def test_a_failed_migration_leaves_the_database_as_it_was(pg_memory: str):
    load_first_release(pg_memory)
    sql(pg_memory, "CREATE TABLE resolign.variants(x int)")  # in the way: the migration fails
    before = sql(pg_memory, "SELECT unit_id, lang, text, nkey FROM resolign.segments "
                 "ORDER BY unit_id, lang")
    with pytest.raises(StoreUnavailable, match="already exists"):
        Memory.open(pg_memory, encoder=NO_ENCODER)
    assert sql(pg_memory, "SELECT version FROM resolign.schema_version") == [(1,)]
    assert sql(pg_memory, "SELECT unit_id, lang, text, nkey FROM resolign.segments "
               "ORDER BY unit_id, lang") == before
    assert sql(pg_memory, "SELECT count(*) FROM information_schema.columns WHERE "
               "table_schema = 'resolign' AND table_name = 'units' "
               "AND column_name = 'deleted'") == [(0,)]


def test_rows_made_under_older_word_form_rules_are_rebuilt_on_open(pg_memory: str):
    units = devset_units(0, 12)
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        memory.add_units(units)
        memory.delete_unit(memory.add_units(devset_units(12, 13)).ids[0], who="test")
        before = sql(pg_memory, "SELECT variant_id, tsv::text FROM resolign.fulltext "
                     "ORDER BY variant_id")
    sql(pg_memory, "UPDATE resolign.meta SET value = 'older' WHERE key = 'wordforms'")
    sql(pg_memory, "UPDATE resolign.variants SET nkey = 'stale'")
    sql(pg_memory, "DELETE FROM resolign.fulltext")
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        [hit] = memory.search(units[5].texts["fr"], src="fr", tgt="en", semantic=False,
                              limit=1)
        assert hit.kind == "exact" and hit.target == units[5].texts["en"]
    assert sql(pg_memory, "SELECT variant_id, tsv::text FROM resolign.fulltext "
               "ORDER BY variant_id") == before  # deleted unit: still no rows
    assert sql(pg_memory, "SELECT count(*) FROM resolign.variants WHERE nkey = 'stale'") == [
        (0,)]


def as_schema(url: str, version: int) -> None:
    """Make a memory look as an older schema left it (what a test takes away is gone)."""
    if version < 6:
        sql(url, "ALTER TABLE resolign.fulltext DROP COLUMN ordered")
    if version < 5:
        sql(url, "ALTER TABLE resolign.langstats DROP COLUMN repeated")
    sql(url, f"UPDATE resolign.schema_version SET version = {version} "
             "WHERE version = (SELECT max(version) FROM resolign.schema_version)")


def test_a_version_2_memory_gets_its_runs_on_open(pg_memory: str):
    """Version 2 kept no run lexemes: opening it rebuilds every full-text row with them (as a
    new memory has them) in the migration's one transaction, and phrases find their units."""
    units = devset_units(0, 30)
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        memory.add_units(units)
    rows = "SELECT variant_id, tsv::text FROM resolign.fulltext ORDER BY variant_id"
    before = sql(pg_memory, rows)
    sql(pg_memory, "UPDATE resolign.fulltext SET tsv = ts_delete(tsv, ARRAY(SELECT t FROM "
                   "unnest(tsvector_to_array(tsv)) AS t WHERE strpos(t, ' ') > 0))")
    as_schema(pg_memory, 2)
    assert sql(pg_memory, rows) != before
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        phrase = " ".join(units[4].texts["fr"].split()[2:5])
        assert units[4].texts["fr"] in [
            hit.text for hit in memory.concordance(phrase, lang="fr", limit=100).hits]
    assert sql(pg_memory, rows) == before
    assert sql(pg_memory, "SELECT version FROM resolign.schema_version ORDER BY version") == [
        (2,), (SCHEMA_VERSION,)]


def test_a_version_5_memory_gets_its_ordered_terms_and_counts_ahead_on_open(
        pg_memory: str, monkeypatch: pytest.MonkeyPatch):
    """Version 5 checked a phrase's order on its rows' tsvectors: opening it rebuilds every
    full-text row with its terms in order (once, in the migration's transaction), its
    phrases find what they found before, and its common phrases, whose kept counts went
    with the old rows, are counted ahead again, each equal to a count of the rows."""
    from resolign.service import pg_phrases, store_postgres

    monkeypatch.setattr(pg_phrases, "KEEP_FROM", 12)
    monkeypatch.setattr(pg_phrases, "KEEP_IN_ORDER_FROM", 4)
    monkeypatch.setattr(store_postgres, "COUNT_AHEAD_FROM", 100)
    monkeypatch.setattr(store_postgres, "COMMON_SAMPLE_ROWS", 10**6)
    queries = [("fr", "de l'Organisation des Nations Unies"), ("fr", "des Nations Unies"),
               ("en", "of the United Nations"), ("ar", "الأمم المتحدة"), ("fr", "la de")]

    def pages(memory: Memory) -> list[tuple[int, list[int]]]:
        found = [memory.concordance(q, lang=lang, limit=50, equivalents=False)
                 for lang, q in queries]
        return [(c.total, [hit.unit_id for hit in c.hits]) for c in found]

    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        memory.add_units(devset_units(0, 200))
        before = pages(memory)
    counted = kept_and_live_phrase_counts(pg_memory)
    assert len(counted[0]) >= 20 and counted[0] == counted[1]
    as_schema(pg_memory, 5)
    sql(pg_memory, "DELETE FROM resolign.phrase_counts")
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        assert pages(memory) == before
        assert min(total for total, _ in before[:4]) >= 3 and before[4] == (0, [])
    assert kept_and_live_phrase_counts(pg_memory) == counted
    assert sql(pg_memory, "SELECT count(*) FROM resolign.fulltext WHERE ordered LIKE ' % "
                          "\t %'") == sql(pg_memory, "SELECT count(*) FROM resolign.fulltext")
    assert sql(pg_memory, "SELECT version FROM resolign.schema_version ORDER BY version") == [
        (5,), (SCHEMA_VERSION,)]


def test_phrase_look_ups_read_no_tsvector(pg_memory: str):
    """Searching and concordance (words, runs, phrases of four words or more, exact
    wording, AND, NOT, fr-CA) read no TOAST: the tsvectors are only read through the GIN
    index, and word order is checked on each row's `ordered` terms, kept in its heap row.
    (PostgreSQL's `<->` rechecked each row's tsvector, read from TOAST: at 1M units, 11-150
    microseconds a row the first time.)"""
    lines = devset_lines()
    units = devset_units(0, 300) + [
        Unit(variants=[Variant("fr", lines["fr"][i]), Variant("fr-CA", lines["fr"][i - 1]),
                       Variant("en", lines["en"][i])]) for i in range(300, 320)]
    queries = [("fr", "de l'Organisation des Nations Unies"), ("fr", "droits de l'homme"),
               ("fr", "des Nations Unies"), ("fr-CA", "de la paix et de la sécurité"),
               ("fr", '"de l\'Organisation"'), ("en", "of the United Nations General"),
               ("ar", "الأمم المتحدة"), ("fr", "paix")]
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        memory.add_units(units)
    sql(pg_memory, "ALTER TABLE resolign.fulltext SET (autovacuum_enabled = false, "
                   "toast.autovacuum_enabled = false)")
    before = fulltext_reads(pg_memory, None)
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        totals = [memory.concordance(q, lang=lang, limit=20, offset=at, equivalents=False).total
                  for lang, q in queries for at in (0, 20)]
        hits = [memory.search(lines["fr"][i], src="fr", tgt="en", semantic=False, limit=5)
                for i in (10, 100, 310)]
        pieces = memory.search(f"{lines['fr'][20]} {lines['fr'][21]}", src="fr", tgt="en",
                               semantic=False, limit=5)
    heap, toast = fulltext_reads(pg_memory, before[0])
    assert min(totals[:4]) >= 3 and all(hits) and pieces
    assert heap > before[0] and toast == before[1]


def fulltext_reads(url: str, heap_before: int | None) -> tuple[int, int]:
    """(heap, TOAST) blocks of `fulltext` read so far (from the cache or not), once the
    statistics of the backends that read them are in (a backend sends them when it ends):
    past `heap_before` if given, and no longer changing."""
    seen, deadline = None, time.monotonic() + 20
    while time.monotonic() < deadline:
        found = sql(url, "SELECT coalesce(heap_blks_read, 0) + coalesce(heap_blks_hit, 0), "
                         "coalesce(toast_blks_read, 0) + coalesce(toast_blks_hit, 0) FROM "
                         "pg_statio_user_tables WHERE relid = 'resolign.fulltext'::regclass")[0]
        if found == seen and (heap_before is None or found[0] > heap_before):
            return found
        seen = found
        time.sleep(0.5)
    raise AssertionError(f"the statistics did not settle: {seen}")


def too_long_for_runs() -> Unit:
    """A unit of 120 devset lines in fr, en and ar: each text over 2,000 words, too long for
    run lexemes (pg_text.RUNS_UP_TO)."""
    lines = devset_lines()
    return Unit(texts={lang: " ".join(lines[lang][300:420]) for lang in ("fr", "en", "ar")},
                document="long")


def test_phrases_find_on_postgresql_what_they_find_on_sqlite(pg_memory: str, tmp_path: Path):
    """PostgreSQL matches a phrase through its runs of 2-3 words (one lexeme each: no word
    positions to recheck) and a longer one through all its 3-word runs, then in order. The
    same devset memory in both stores gives the same totals and hits for phrases of 1-6
    words in fr, en and ar, as typed and in other forms; a phrase whose words are all there
    but not in that order finds nothing; a segment too long for runs (over 2,000 words) is
    still found by a phrase near its end."""
    units = devset_units(0, 300)
    long_unit = too_long_for_runs()
    assert len(long_unit.texts["fr"].split()) > 2000
    queries = [("fr", "État Membre"), ("fr", "des Nations Unies"), ("fr", "unies des nations"),
               ("en", "United Nations"), ("ar", "الأمم المتحدة")]
    for lang in ("fr", "en", "ar"):
        for k, unit in enumerate(units[::25]):
            words = unit.texts[lang].split()
            size = 1 + k % 6
            queries.append((lang, " ".join(words[len(words) // 3:][:size])))
        tail = long_unit.texts[lang].split()[-40:]
        queries += [(lang, " ".join(tail[:2])), (lang, " ".join(tail[10:14]))]
    found = {}
    for location in (str(tmp_path / "tm.db"), pg_memory):
        with Memory.open(location, encoder=NO_ENCODER, create=True) as memory:
            memory.add_units([*units, long_unit])
            found[location] = [
                (page.total, [(hit.text, hit.exact) for hit in page.hits])
                for page in (memory.concordance(q, lang=lang, limit=500, equivalents=False)
                             for lang, q in queries)]
    sqlite, postgresql = found.values()
    assert postgresql == sqlite
    by_query = dict(zip(queries, sqlite, strict=True))
    assert by_query[("fr", "unies des nations")][0] == 0
    assert by_query[("fr", "des Nations Unies")][0] >= 10
    for lang in ("fr", "en", "ar"):
        tail = long_unit.texts[lang].split()[-40:]
        for phrase in (" ".join(tail[:2]), " ".join(tail[10:14])):
            assert long_unit.texts[lang] in [text for text, _ in by_query[(lang, phrase)][1]]


def test_an_estimated_count_of_a_long_phrase_reads_its_runs_only(pg_memory: str,
                                                                  tmp_path: Path):
    """A count that feeds statistics (`estimate`: learning a phrase's translations) counts a
    phrase of four words or more by its three-word runs, without checking each row's word
    order against its tsvector (at 1M units: 30 four-word runs in 0.4 s instead of 7-9 s).
    On devset units it gives the exact count, or a little more where both runs of a phrase
    are in a segment apart; SQLite counts exactly either way."""
    units = devset_units(0, 300)
    apart = Unit(texts={"en": "The report of the Secretariat and the work of the Committee.",
                        "fr": "Rapport."})
    queries = []
    for unit in units[::10]:
        keys = form_keys(unit.texts["en"], "en")
        queries += [keys[i:i + size] for size in (4, 5) for i in (0, len(keys) // 2)
                    if len(keys) >= i + size]
    counts = {}
    for location in (str(tmp_path / "tm.db"), pg_memory):
        with Memory.open(location, encoder=NO_ENCODER, create=True) as memory:
            memory.add_units([*units, apart])
            counts[location] = [
                (memory.store.fts_count("en", phrase_match(run)),
                 memory.store.fts_count("en", phrase_match(run), estimate=True))
                for run in [*queries, ["report", "of", "the", "committee"]]]
    sqlite, postgresql = counts.values()
    assert all(exact == estimated for exact, estimated in sqlite)
    assert [exact for exact, _ in postgresql] == [exact for exact, _ in sqlite]
    assert len(queries) >= 40 and all(exact >= 1 for exact, _ in postgresql[:-1])
    assert all(estimated >= exact for exact, estimated in postgresql)
    assert sum(exact == estimated for exact, estimated in postgresql) >= len(queries) - 2
    exact, estimated = postgresql[-1]  # `apart` has both runs, not the phrase
    assert estimated == exact + 1


def pages_on_both(units: list[Unit], queries: list[tuple[str, str]], limits: tuple[int, ...],
                  offsets: tuple[int, ...], *locations: str) -> list[list[list[tuple]]]:
    """Every concordance page (unit id, exact, text) of `queries` at each size and offset, in
    a new memory of `units` at each location."""
    pages = []
    for location in locations:
        with Memory.open(location, encoder=NO_ENCODER, create=True) as memory:
            memory.add_units(units)
            pages.append([
                [(hit.unit_id, hit.exact, hit.text) for hit in memory.concordance(
                    q, lang=lang, limit=limit, offset=at, equivalents=False).hits]
                for lang, q in queries for limit in limits for at in offsets])
    return pages


@pytest.mark.parametrize("first, most, keep_from", [(1000, 4000, 2000), (8, 600, 2000),
                                                    (1000, 4000, 3)])
def test_a_common_phrases_page_read_from_the_newest_rows_is_the_same_page(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: int, most: int,
        keep_from: int):
    """A page of a phrase common enough is read from the newest rows of its language, not
    from all its matches; a rarer one falls back to them. Either way every page (sizes 1-7,
    offsets 0-40, fr, fr-CA, en, ar, as typed and in other forms) is the page SQLite gives,
    with units holding fr and fr-CA (two rows of one language, one hit) among the newest.
    With fewer rows read first than a page needs (8 of at most 600), more are read from
    where the first ones stopped, as many as the share they held says. With counts kept
    (from 3 units), their shares decide; without, a long phrase's exact wording is bounded
    by the count of its forms. A phrase of common words that its count shows rare ("the of")
    is never read from the newest rows."""
    from resolign.service import pg_phrases

    monkeypatch.setattr(pg_phrases, "KEEP_FROM", keep_from)
    monkeypatch.setattr(pg_phrases, "KEEP_IN_ORDER_FROM", keep_from)
    monkeypatch.setattr(pg_fulltext, "NEWEST_ROWS", first)
    monkeypatch.setattr(pg_fulltext, "NEWEST_ROWS_MAX", most)
    monkeypatch.setattr(pg_fulltext, "ROW_CHECK_COST", 1)  # (a small memory's rows are few)
    statements: list[str] = []
    walked: list[str] = []  # the phrases (` a b `) each read of the newest rows looks for
    fts_rows = pg_fulltext._fts_rows
    monkeypatch.setattr(pg_fulltext, "_fts_rows", lambda query, sql, values: (
        statements.append(sql), walked.extend(
            v for v in values if ") AS n" in sql and isinstance(v, str) and v.startswith(" ")),
        fts_rows(query, sql, values))[2])
    lines = devset_lines()
    units = devset_units(0, 560)
    for i in range(560, 600):
        variants = [Variant("fr", lines["fr"][i]), Variant("en", lines["en"][i])]
        if i % 3 == 0:
            variants.insert(1, Variant("fr-CA", lines["fr"][i - 150]))
        units.append(Unit(variants=variants))
    units.insert(300, Unit(texts={"fr": "Rapport du Comité", "en": "Report of the of the "
                                  "Committee"}))  # a typo: "the of", common words, one unit
    units += [Unit(texts={"fr": lines["fr"][i], "en": lines["en"][i]})  # a common long phrase
              for i in range(600, 4000) if "droits de l'homme" in lines["fr"][i]]
    queries = [("fr", "de la"), ("fr", "des Nations Unies"), ("fr", "Etats membres"),
               ("fr", "de"), ("fr-CA", "de la"), ("en", "the United Nations"),
               ("ar", "الأمم المتحدة"), ("fr", "la de"), ("en", "of the"), ("en", "the of"),
               ("fr", "de l'Organisation des Nations"), ("en", "of the United Nations"),
               ("fr", "droits de l'homme")]
    read_newest: list[bool] = []
    newest = pg_fulltext._newest_matching

    def reading(*args: object) -> list[int] | None:
        found = newest(*args)
        read_newest.append(found is not None)
        return found

    monkeypatch.setattr(pg_fulltext, "_newest_matching", reading)
    sqlite, postgresql = pages_on_both(units, queries, (1, 7), (0, 3, 40),
                                       str(tmp_path / "tm.db"), pg_memory)
    assert postgresql == sqlite
    assert sum(page != [] for page in sqlite) > 30
    assert read_newest.count(True) >= 5 and False in read_newest
    assert not [q for q in walked if "the \ue000of" in q or "the of" in q]  # counted: rare
    # a long phrase (four words or more) whose page a count of its forms bounds, kept or not
    assert [q for q in walked if len(q.split()) > 3]
    read_more = sum("f.unit_id <= %s" in sql for sql in statements)
    assert read_more >= 3 if first < 600 else read_more == 0
    kept = sql(pg_memory, "SELECT count(*) FROM resolign.phrase_counts")[0][0]
    assert kept >= 8 if keep_from < 10 else kept == 0


def test_a_long_phrases_page_holds_its_words_in_order(pg_memory: str, tmp_path: Path):
    """A page of a phrase of 4-6 words takes the rows holding all its three-word runs and
    checks their words' order. Every page (sizes 1-7, offsets 0-12, fr, fr-CA, en, ar, as
    typed and in other forms) is SQLite's page: a unit holding the runs out of order is left
    out, a unit with the phrase in four French variants is one hit, a segment too long for
    runs is found."""
    lines = devset_lines()
    units = devset_units(0, 300)
    phrase_fr = "de l'Organisation des Nations Unies"
    for i in range(14):  # newest: the phrase in four French variants each
        units.append(Unit(variants=[Variant(tag, f"{lines['fr'][400 + i]} {phrase_fr}.")
                                    for tag in ("fr", "fr-CA", "fr-BE", "fr-CH")]
                          + [Variant("en", lines["en"][400 + i])]))
    units.append(Unit(texts={"fr": "Le maintien de la sécurité et de la paix de la région.",
                             "en": "Runs apart."}))  # "maintien de la", "de la paix": not in order
    long_unit = too_long_for_runs()
    units.insert(150, long_unit)
    tail = {lang: long_unit.texts[lang].split()[-40:] for lang in ("fr", "en", "ar")}
    queries = [("fr", phrase_fr), ("fr-CA", phrase_fr), ("fr", "Organisation des nations unies"),
               ("fr", "maintien de la paix"), ("fr", "de la paix de la"),
               ("en", "of the United Nations"), ("en", "the Secretary-General of the United"),
               ("ar", "الأمم المتحدة"), ("fr", " ".join(tail["fr"][10:14])),
               ("en", " ".join(tail["en"][20:25])), ("ar", " ".join(tail["ar"][5:9]))]
    sqlite, postgresql = pages_on_both(units, queries, (1, 3, 7), (0, 2, 12),
                                       str(tmp_path / "tm.db"), pg_memory)
    assert postgresql == sqlite
    assert sum(page != [] for page in sqlite) >= 60
    fr_pages = dict(zip([(lang, q, limit, at) for lang, q in queries for limit in (1, 3, 7)
                         for at in (0, 2, 12)], sqlite, strict=True))
    assert [text for _, _, text in fr_pages[("fr", "maintien de la paix", 7, 0)]
            if text.startswith("Le maintien de la sécurité")] == []
    assert len({unit for unit, _, _ in fr_pages[("fr", phrase_fr, 7, 12)]}) == 7
    assert any(long_unit.texts["fr"] == text for page in sqlite for _, _, text in page)


def test_a_look_up_reads_the_revision_and_count_once(pg_memory: str,
                                                     monkeypatch: pytest.MonkeyPatch):
    """A search and a concordance each read the revision and unit count their caches are keyed
    by in one statement (they asked three times); outside a look-up every read is current."""
    units = devset_units(0, 200)
    with Memory.open(pg_memory, encoder=NO_ENCODER, create=True) as memory:
        memory.add_units(units[:150])
        before = memory.revision
        statements: list[str] = []
        one = memory.store._one
        monkeypatch.setattr(memory.store, "_one", lambda sql, params=(): (
            statements.append(sql), one(sql, params))[1])
        query = " ".join(units[3].texts["fr"].split()[1:])  # a word short: fuzzy
        found = memory.lookup(query, semantic=False)
        assert found.matches and found.matches[0].unit_id == memory.ids()[3]
        page = memory.concordance("Nations Unies", lang="fr")
        assert page.total >= 5 and page.groups
        assert sum(sql.startswith("SELECT key, value FROM meta") for sql in statements) == 2
        memory.add_units(units[150:])
        assert memory.count() == 200 and memory.revision > before
        assert memory.concordance("Nations Unies", lang="fr").total > page.total


def kept_and_recounted_counts(url: str) -> tuple[list[tuple], list[tuple]]:
    """(terms and language counts the writers keep, the same counted from the full-text rows)."""
    kept = sql(url, "SELECT term, docs FROM resolign.terms WHERE docs <> 0 ORDER BY term") + \
        sql(url, "SELECT base, rows, words, repeated FROM resolign.langstats WHERE rows <> 0 "
                 "ORDER BY base")
    recounted = sql(url, "SELECT t.term, count(*) FROM resolign.fulltext, "
                    "unnest(tsvector_to_array(tsv)) AS t(term) WHERE strpos(t.term, ' ') = 0 "
                    "AND strpos(t.term, chr(57345)) = 0 GROUP BY t.term ORDER BY t.term"
                    ) + sql(url, "SELECT base, count(*), sum(nwords), count(*) - count(DISTINCT "
                            "unit_id) FROM resolign.fulltext GROUP BY base ORDER BY base")
    return [tuple(row) for row in kept], [tuple(row) for row in recounted]


def test_term_counts_stay_what_the_full_text_rows_hold(pg_memory: str,
                                                      monkeypatch: pytest.MonkeyPatch):
    """The term and language counts that rank full-text hits are added up over a whole
    transaction and written once before it commits: after a many-batch import with
    duplicates, an edit, a delete, their undo and a rebuild under new word-form rules they
    equal a count of the full-text rows, and a failed import leaves them as they were. So do
    the rows beyond a unit's first in a language (units with fr and fr-CA)."""
    from resolign.service import store_postgres

    monkeypatch.setattr(store_postgres, "WRITE_CHUNK", 40)  # several batches per import
    units = devset_units(0, 200)
    for i in range(3, 200, 4):
        units[i].variants.insert(1, Variant("fr-CA", units[i - 1].texts["fr"]))
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        report = memory.add_units(units + units[:30])
        assert (report.added, report.duplicates) == (200, 30)
        kept, recounted = kept_and_recounted_counts(pg_memory)
        assert kept == recounted and len(kept) > 1000
        french = next(row for row in kept if row[0] == "fr")
        assert (french[1], french[3]) == (250, 50)  # 200 units, 50 of them twice in fr
        ids = memory.ids()
        edited = memory.edit_unit(ids[3], {"fr": "Texte corrigé par un réviseur."}, who="t")
        memory.delete_unit(ids[7], who="t")
        after_edits = kept_and_recounted_counts(pg_memory)
        assert after_edits[0] == after_edits[1] != kept
        for change in memory.history(edited) + memory.history(ids[7]):
            if change.action in {"edit", "delete"} and change.undone_by is None:
                memory.undo(change.id, who="t")
        assert kept_and_recounted_counts(pg_memory) == (kept, recounted)

        def failing():
            yield from devset_units(200, 300)
            raise RuntimeError("the file ended badly")

        with pytest.raises(RuntimeError):
            memory.add_units(failing())
        assert kept_and_recounted_counts(pg_memory) == (kept, recounted)
    sql(pg_memory, "UPDATE resolign.meta SET value = 'older' WHERE key = 'wordforms'")
    sql(pg_memory, "UPDATE resolign.terms SET docs = docs + 1")
    with Memory.open(pg_memory, encoder=NO_ENCODER):
        assert kept_and_recounted_counts(pg_memory) == (kept, recounted)


def test_a_words_total_is_its_term_count_while_no_unit_has_two_rows_in_its_language(
        pg_memory: str, tmp_path: Path):
    """A concordance total counts units. While no unit holds two rows of a language, a word's
    rows are its units, and PostgreSQL reads its term count; once a unit holds fr and fr-CA,
    it counts units again. Every total (words and phrases) equals SQLite's: before the twin
    unit, with it, after its delete and undo, and after a memory of schema 4 is opened (the
    rows beyond a unit's first are counted then)."""
    lines = devset_lines()
    units = devset_units(0, 150)
    held = next(i for i in range(150, 4000) if "paix" in lines["fr"][i]
                and "l'Organisation des Nations Unies" in lines["fr"][i])
    twin = Unit(variants=[Variant("fr", lines["fr"][held]),
                          Variant("fr-CA", lines["fr"][held] + " Au Canada."),
                          Variant("en", lines["en"][held])])
    queries = [("fr", "Nations"), ("fr", "paix"), ("fr", "Nations Unies"),
               ("fr", "des Nations Unies"), ("fr", "l'Organisation des Nations Unies"),
               ("fr-CA", "Nations Unies"), ("en", "United Nations"), ("ar", "الأمم المتحدة")]

    def totals(memory: Memory) -> list[int]:
        return [memory.concordance(q, lang=lang, limit=1, equivalents=False).total
                for lang, q in queries]

    steps: dict[str, list[list[int]]] = {}
    for location in (str(tmp_path / "tm.db"), pg_memory):
        with Memory.open(location, encoder=NO_ENCODER, create=True) as memory:
            memory.add_units(units)
            found = [totals(memory)]
            memory.add_units([twin])
            found.append(totals(memory))
            twin_id = memory.ids()[-1]
            memory.delete_unit(twin_id, who="t")
            found.append(totals(memory))
            memory.undo(memory.history(twin_id)[-1].id, who="t")
            found.append(totals(memory))
            steps[location] = found
    sqlite, postgresql = steps.values()
    assert postgresql == sqlite
    assert sqlite[1][:5] == [n + 1 for n in sqlite[0][:5]] == sqlite[3][:5]
    assert sqlite[2][:5] == sqlite[0][:5]
    repeated = "SELECT base, repeated FROM resolign.langstats ORDER BY base"
    assert sql(pg_memory, repeated) == [("ar", 0), ("en", 0), ("fr", 1)]
    as_schema(pg_memory, 4)
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        assert sql(pg_memory, repeated) == [("ar", 0), ("en", 0), ("fr", 1)]
        assert totals(memory) == sqlite[3]


def kept_and_live_phrase_counts(url: str) -> tuple[list[tuple], list[tuple]]:
    """(the kept phrase counts, each of those phrases counted over the full-text rows now, by
    PostgreSQL's own phrase match on the tsvectors' word positions, which look-ups never use)."""
    kept = [tuple(row) for row in sql(
        url, "SELECT phrase, units FROM resolign.phrase_counts ORDER BY phrase")]
    live = []
    for name, _ in kept:
        base, words = name.split(":", 1)
        tsquery = " <-> ".join(f"'{base}:{word}'" for word in words.split(" "))
        live.append((name, sql(url, "SELECT count(DISTINCT unit_id) FROM resolign.fulltext "
                                    "WHERE tsv @@ %s::tsquery", (tsquery,))[0][0]))
    return kept, live


def test_a_kept_phrase_count_is_the_count_after_every_write(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A common phrase's count is kept after its first count (phrases of 1-5 words, as typed
    and in other forms, fr/en/ar, one in a segment too long for runs) and every write keeps it
    exact: a many-batch import, an edit, a split, a merge, a delete, an edit to a text that
    holds every run of a kept five-word phrase but not the phrase, their undo, a failed
    import. After each, every total equals SQLite's, and every kept count equals a count of
    the full-text rows. A count made while a writer holds the memory, or before a write that
    has committed since, or by a look-up that read the memory before a write committed (what
    rows exist decides how it counts), is not kept."""
    from resolign.service import pg_phrases, store_postgres

    monkeypatch.setattr(pg_phrases, "KEEP_FROM", 4)
    monkeypatch.setattr(pg_phrases, "KEEP_IN_ORDER_FROM", 4)
    monkeypatch.setattr(store_postgres, "WRITE_CHUNK", 40)
    units = devset_units(0, 240)
    long_unit = too_long_for_runs()
    queries = [("fr", "de"), ("fr", "des Nations Unies"), ("fr", "Etats membres"),
               ("fr", "de l'Organisation des Nations Unies"), ("fr", "la paix et la sécurité"),
               ("en", "United Nations"), ("en", "of the United Nations"), ("en", "the"),
               ("ar", "الأمم المتحدة"), ("fr", "Nations"), ("fr-CA", "de la")]
    long_words = long_unit.texts["fr"].split()
    queries.append(("fr", " ".join(long_words[-30:-26])))  # in the long segment too

    def totals(memory: Memory) -> list[int]:
        return [memory.concordance(q, lang=lang, limit=1, equivalents=False).total
                for lang, q in queries]

    def review(memory: Memory) -> None:
        ids = memory.ids()
        first = ids[:240]
        with_phrase = [i for i in first
                       if "Nations Unies" in (memory.get_unit(i).texts.get("fr") or "")]
        memory.edit_unit(with_phrase[0], {"fr": "Texte corrigé par un réviseur."}, who="t")
        memory.split_unit(with_phrase[1], [{"fr": "des Nations Unies", "en": "United Nations"},
                                           {"fr": "de la paix", "en": "of peace"}], who="t")
        memory.merge_units([with_phrase[2], first[0]], who="t")
        memory.delete_unit(ids[150], who="t")  # the long unit
        memory.edit_unit(with_phrase[3], {"fr": "Rapport de l'Organisation des Nations, et "
                                                "l'Organisation des Nations Unies."},
                         who="t")  # every run of "de l'Organisation des Nations Unies", apart

    def undo_all(memory: Memory) -> None:
        done = {change.id: change for unit_id in memory.ids()
                for change in memory.history(unit_id)}
        for change in sorted(done.values(), key=lambda c: -c.id):
            if change.action != "undo" and change.undone_by is None:
                memory.undo(change.id, who="t")

    def failing():
        yield from devset_units(240, 300)
        raise RuntimeError("the file ended badly")

    steps: dict[str, list[list[int]]] = {}
    for location in (str(tmp_path / "tm.db"), pg_memory):
        with Memory.open(location, encoder=NO_ENCODER, create=True) as memory:
            memory.add_units([*units[:150], long_unit])
            found = [totals(memory)]
            if location == pg_memory:
                kept, live = kept_and_live_phrase_counts(pg_memory)
                names = [name for name, _ in kept]
                assert len(kept) >= 9 and kept == live
                assert {len(name.split(" ")) for name in names} >= {1, 2, 3, 4, 6}, names
                assert found[0] == totals(memory)  # read from the kept counts
            for write in (lambda m: m.add_units(units[150:]), review, undo_all):
                write(memory)
                found.append(totals(memory))
                if location == pg_memory:
                    kept, live = kept_and_live_phrase_counts(pg_memory)
                    assert kept == live and [name for name, _ in kept] == names
            with pytest.raises(RuntimeError):
                memory.add_units(failing())
            found.append(totals(memory))
            steps[location] = found
    sqlite, postgresql = steps.values()
    assert postgresql == sqlite
    assert len({tuple(step) for step in sqlite}) >= 3  # the writes changed the totals
    assert sqlite[2][-1] == sqlite[1][-1] - 1 == sqlite[3][-1] - 1  # the long segment's phrase

    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        before = kept_and_live_phrase_counts(pg_memory)[0]
        with psycopg.connect(pg_memory, autocommit=True) as writer, writer.transaction():
            # a writer holding the memory, as every write does
            writer.execute("SELECT 1 FROM resolign.meta WHERE key = 'revision' FOR UPDATE")
            assert memory.concordance("Conseil de sécurité", lang="fr").total >= 4
            assert kept_and_live_phrase_counts(pg_memory)[0] == before
        memory.concordance("Conseil de sécurité", lang="fr")
        kept = kept_and_live_phrase_counts(pg_memory)[0]
        assert len(kept) == len(before) + 1
        assert not pg_fulltext.keep_count(memory.store._one, "fr:paix", 5, memory.revision - 1)
        assert pg_fulltext.keep_count(memory.store._one, "fr:paix", 5, memory.revision)
        # a look-up that read the revision (and what rows exist) before a write committed
        match = phrase_match(form_keys("et de", "fr"))
        assert "fr:et de" not in dict(kept)
        with memory.store.reading():
            assert memory.store.revision == memory.revision
            memory.add_units(devset_units(300, 310))
            counted = memory.store.fts_count("fr", match)
        assert len(kept_and_live_phrase_counts(pg_memory)[0]) == len(kept) + 1  # fr:paix
        assert memory.store.fts_count("fr", match) == counted
        assert len(kept_and_live_phrase_counts(pg_memory)[0]) == len(kept) + 2


def test_the_common_phrases_are_counted_ahead_as_the_memory_grows(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture):
    """Once imports have grown the memory by COUNT_AHEAD_FROM units and by a tenth (in one
    import or several), the count of every phrase of 2 to 6 form keys held by as many units
    as makes its count kept (KEEP_FROM up to three words, KEEP_IN_ORDER_FROM for longer
    ones) is kept (a full sample finds them all, a third of the rows the commonest; at most
    COUNT_AHEAD_MOST, those slowest to count first: a longer phrase's rows are checked in
    order), each equal to a count of the rows and to SQLite's total; an import whose
    counting ahead fails still stands."""
    from resolign.service import pg_phrases, store_postgres
    from resolign.service.wordforms import index_phrases

    monkeypatch.setattr(pg_phrases, "KEEP_FROM", 12)
    monkeypatch.setattr(pg_phrases, "KEEP_IN_ORDER_FROM", 4)
    monkeypatch.setattr(store_postgres, "COUNT_AHEAD_FROM", 100)
    units = devset_units(0, 600)

    def common(url: str, times: int = 1) -> dict[str, int]:
        """Phrases of 2-6 form keys in `times` their keep_from rows or more, with their rows
        (a devset unit has one row per language), counted on every row's text."""
        held: dict[str, int] = {}
        for base, text in sql(url, "SELECT f.base, v.text FROM resolign.fulltext AS f "
                                   "JOIN resolign.variants AS v ON v.id = f.variant_id"):
            keys = index_phrases(text, base)[0]
            for name in {f"{base}:{' '.join(keys[at:at + size])}"
                         for size in range(2, 7) for at in range(len(keys) - size + 1)}:
                held[name] = held.get(name, 0) + 1
        return {name: n for name, n in held.items()
                if n >= times * pg_phrases.keep_from(name.count(" ") + 1)}

    def cost(name: str, rows: int) -> float:
        return rows * (1 if name.count(" ") < 3 else pg_phrases.IN_ORDER_ROW_COST)

    def kept_names() -> set[str]:
        kept, live = kept_and_live_phrase_counts(pg_memory)
        assert kept == live
        return {name for name, _ in kept}

    with (Memory.open(str(tmp_path / "tm.db"), encoder=NO_ENCODER, create=True) as lite,
          Memory.open(pg_memory, encoder=NO_ENCODER, create=True) as memory):
        lite.add_units(units[:450])
        monkeypatch.setattr(store_postgres, "COMMON_SAMPLE_ROWS", 10**6)  # every row
        memory.add_units(units[:60])
        memory.add_units(units[60:90])  # 90 units: not grown enough yet
        assert kept_names() == set()
        memory.add_units(units[90:140])  # grown by 140 in three imports
        assert kept_names() == set(common(pg_memory)) != set()
        memory.add_units(units[140:230])  # grown by 90 since: a count ahead waits
        held = kept_names()
        monkeypatch.setattr(store_postgres, "COUNT_AHEAD_MOST", 5)
        memory.add_units(units[230:400])  # grown by more than 100 and a tenth: five more
        more = kept_names() - held
        rows = common(pg_memory)
        assert len(more) == 5 and len(rows) > len(held) + 5
        assert min(cost(name, rows[name]) for name in more) >= max(
            cost(name, n) for name, n in rows.items() if name not in held | more)
        monkeypatch.setattr(store_postgres, "COUNT_AHEAD_MOST", 10**6)
        monkeypatch.setattr(store_postgres, "COUNT_AHEAD_FROM", 20)
        memory.add_units(units[400:430])  # grown by 30: more than 20, less than 400 / 10
        assert kept_names() == held | more
        memory.add_units(units[430:450])  # grown by 50 since
        kept = kept_and_live_phrase_counts(pg_memory)[0]
        assert {name for name, _ in kept} == set(common(pg_memory))
        assert len(kept) >= 20 and {name[:3] for name, _ in kept} == {"fr:", "en:", "ar:"}
        assert {len(name.split(" ")) for name, _ in kept} >= {2, 3, 4, 5}
        for name, units_held in kept:
            base, words = name.split(":", 1)
            assert lite.store.fts_count(base, phrase_match(words.split(" "))) == units_held

        sql(pg_memory, "TRUNCATE resolign.phrase_counts")
        every_row = int(sql(pg_memory, "SELECT sum(rows) FROM resolign.langstats")[0][0])
        monkeypatch.setattr(store_postgres, "COMMON_SAMPLE_ROWS", every_row // 3)
        assert memory.store.count_common_phrases() >= len(common(pg_memory, 3))
        assert kept_names() >= set(common(pg_memory, 3))

        def failing(*_args: object) -> list:
            raise psycopg.OperationalError("the server went away")

        monkeypatch.setattr(pg_fulltext, "common_phrases", failing)
        report = memory.add_units(units[450:])
        assert report.added == 150 and memory.count() == 450 + 150
        assert "not counted ahead" in caplog.text


def test_phrase_queries_look_for_rows_too_long_for_runs_only_while_there_are_some(
        pg_memory: str, monkeypatch: pytest.MonkeyPatch):
    """A row too long for runs (over 2,000 words) is matched word by word, a branch of every
    phrase query that costs the index a look into each word's postings. The writers count
    such rows (meta `long_rows`), and a look-up leaves the branch out while there is none:
    before a long unit is added, after it is deleted, and not after its delete is undone. A
    memory of schema 3 gets the count on open."""
    long_unit = too_long_for_runs()
    tail = " ".join(long_unit.texts["fr"].split()[-30:-26])

    def looked_up(memory: Memory) -> tuple[int, bool, int]:
        """(long rows counted, whether a query looked for a long row, the tail's total)."""
        params: list[str] = []
        one = memory.store._one
        monkeypatch.setattr(memory.store, "_one", lambda sql, values=(): (
            params.extend(map(str, values)), one(sql, values))[1])
        total = memory.concordance(tail, lang="fr", equivalents=False).total
        memory.concordance("Nations Unies", lang="fr", equivalents=False)
        memory.search("de l'Organisation des Nations Unies", src="fr", semantic=False)
        monkeypatch.setattr(memory.store, "_one", one)
        counted = int(sql(pg_memory, "SELECT value FROM resolign.meta "
                                     "WHERE key = 'long_rows'")[0][0])
        return counted, any(pg_text.LONG_MARK in value for value in params), total

    with Memory.open(pg_memory, encoder=NO_ENCODER, create=True) as memory:
        memory.add_units(devset_units(0, 200))
        without = looked_up(memory)
        memory.add_units([long_unit])
        with_long = looked_up(memory)
        long_id = memory.ids()[-1]
        memory.delete_unit(long_id, who="t")
        deleted = looked_up(memory)
        memory.undo(memory.history(long_id)[-1].id, who="t")
        back = looked_up(memory)
    assert without[:2] == (0, False) and deleted[:2] == (0, False)
    assert with_long[:2] == back[:2] == (3, True)  # its fr, en and ar rows
    assert with_long[2] == back[2] == deleted[2] + 1 == without[2] + 1
    sql(pg_memory, "DELETE FROM resolign.meta WHERE key = 'long_rows'")
    sql(pg_memory, "DROP TABLE resolign.phrase_counts")
    as_schema(pg_memory, 3)
    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        assert looked_up(memory) == back


def test_a_missing_database_is_a_one_line_error(pg_server: str):
    url = pg_cluster.with_database(pg_server, "resolign_no_such_database")
    with pytest.raises(StoreUnavailable, match='database "resolign_no_such_database" does '):
        Memory.open(url)


def test_two_servers_creating_the_memory_at_once_create_it_once(pg_memory: str):
    from concurrent.futures import ThreadPoolExecutor

    def open_and_close(_: int) -> str:
        with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
            return memory.store.store_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = set(pool.map(open_and_close, range(4)))
    assert len(ids) == 1
    assert sql(pg_memory, "SELECT version FROM resolign.schema_version") == [
        (SCHEMA_VERSION,)]


def test_close_closes_every_connection(pg_memory: str):
    from concurrent.futures import ThreadPoolExecutor

    def ours() -> int:
        return sql(pg_memory, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                   "current_database() AND application_name = 'resolign'")[0][0]

    memory = Memory.open(pg_memory, encoder=NO_ENCODER)
    memory.add_units(devset_units(0, 20))
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(lambda _: memory.count(), range(60))) == {20}
    assert ours() >= 1
    memory.close()
    deadline = time.monotonic() + 10
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ours() == 0
    with pytest.raises(psycopg.InterfaceError):
        memory.count()


def test_a_passages_pieces_read_no_term_twice_and_rank_as_if_reading_alone(
        pg_memory: str, monkeypatch: pytest.MonkeyPatch):
    """A pasted passage's pieces share its words: within one look-up the rows of a term the
    whole passage read are not read again for its pieces (two pieces looking up at once may
    each read a term of their own), and every candidate search still ranks exactly as it does
    reading everything itself. Rows read under a filter are never reused without it, nor
    for a phrase. The connections run without JIT (it cost 5 ms of a 15 ms search)."""
    units = devset_units(0, 400)
    with Memory.open(pg_memory, encoder=NO_ENCODER, create=True) as memory:
        memory.add_units(units)
        store = memory.store
        batches: list[list[str]] = []
        reading = store._one

        def counting(statement: str, params=()) -> list[tuple]:
            if "unnest(%s::tsquery[])" in statement:
                batches.append(list(params[0]))
            return reading(statement, params)

        def read() -> list[str]:
            return [term.strip("()'") for batch in batches for term in batch]

        monkeypatch.setattr(store, "_one", counting)
        chosen = [u for u in units[5::37] if len(u.texts["fr"].split()) >= 8][:6]
        passage = "\n".join(u.texts["fr"] for u in chosen)
        shared = memory.lookup(passage, src="fr", tgt="en", semantic=False)
        whole, *pieces = batches
        assert len(shared.pieces) >= 6 and pieces
        assert not set(whole) & {term for batch in pieces for term in batch}
        shared_reads = len(read())

        kept: dict = {}
        some, more = '"conseil" OR "securite"', '"securite" OR "conseil" OR "paix"'
        batches.clear()
        assert store.fts_candidates("fr", some, limit=50, postings=kept) == \
            store.fts_candidates("fr", some, limit=50)
        assert store.fts_candidates("fr", more, limit=50, postings=kept) == \
            store.fts_candidates("fr", more, limit=50)
        assert read() == ["fr:conseil", "fr:securite",  # the first search: all its terms
                          "fr:conseil", "fr:securite",  # the same, alone
                          "fr:paix",  # the second search: only the term not kept yet
                          "fr:securite", "fr:conseil", "fr:paix"]
        symbol = next(u.symbol for u in units if "Conseil de sécurité" in u.texts["fr"])
        everywhere = store.fts_candidates("fr", some, limit=50)
        batches.clear()
        filtered = store.fts_candidates("fr", some, limit=50, symbol=symbol, postings=kept)
        assert filtered == store.fts_candidates("fr", some, limit=50, symbol=symbol)
        assert 0 < len(filtered) < len(everywhere)
        assert store.fts_candidates("fr", '"conseil securite"', limit=50, postings=kept) == \
            store.fts_candidates("fr", '"conseil securite"', limit=50)
        assert len(read()) == 2 * 2 + 2 * 2  # filtered, then the phrase: read each time
        monkeypatch.setattr(store, "fts_candidates", lambda *a, postings=None, **k: type(
            store).fts_candidates(store, *a, **k))
        batches.clear()
        alone = memory.lookup(passage, src="fr", tgt="en", semantic=False)
        assert len(read()) > shared_reads

        def answers(found) -> list[tuple]:
            return [(m.unit_id, m.score, m.kind, m.pieces) for m in found.matches] + [
                (p.text, [(m.unit_id, m.score) for m in p.matches]) for p in found.pieces]

        assert answers(shared) == answers(alone)

        with reading.__self__._connection() as conn:
            assert conn.execute("SHOW jit").fetchone()[0] == "off"


def test_an_aligned_document_is_really_in_the_database(pg_server: str, pg_memory: str,
                                                       tmp_path: Path):
    lines = devset_lines()
    for lang in ("fr", "en", "ar"):
        (tmp_path / f"{lang}.txt").write_text("\n".join(lines[lang][300:312]) + "\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "resolign.cli", "align", *(str(tmp_path / f"{lang}.txt")
                                                         for lang in ("fr", "en", "ar")),
         "--presegmented", "--db", pg_memory], env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "12 units added" in done.stderr and not list(Path.cwd().glob("postgresql:*"))
    dump = subprocess.run([str(pg_cluster.postgres_bin() / "pg_dump"), "--data-only",
                           "--schema=resolign", pg_memory], capture_output=True, text=True,
                          check=True).stdout
    for lang in ("fr", "en", "ar"):
        for paragraph in lines[lang][300:312]:
            assert paragraph in dump, paragraph
    # and the vectors of its units, for every other server
    assert sql(pg_memory, "SELECT count(*), min(length(vector)) FROM resolign.vectors") == [
        (12, 512 * 4)]


# --- vectors shared through the database ------------------------------------------------------

class CountingEncoder:
    """The real encoder, counting the texts it embeds for units (batches of more than one)."""

    def __init__(self, real: Encoder) -> None:
        self.real, self.unit_texts = real, 0

    def wrap(self) -> Encoder:
        return Encoder(name=self.real.name, dim=self.real.dim, embed=self._embed)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) > 1:
            self.unit_texts += len(texts)
        return self.real.embed(texts)


def open_counting(location: str, cache: Path, monkeypatch: pytest.MonkeyPatch):
    """A second server's view of the memory: its own FAISS folder and a counting encoder."""
    from resolign.align import encoders

    monkeypatch.setenv("RESOLIGN_CACHE_DIR", str(cache))
    counter: list[CountingEncoder] = []
    real_load = encoders.load_encoder

    def load(spec: str) -> Encoder:
        counter.append(CountingEncoder(real_load(spec)))
        return counter[-1].wrap()

    monkeypatch.setattr(encoders, "load_encoder", load)
    memory = Memory.open(location)
    return memory, counter[0]


def test_a_second_server_builds_its_index_from_stored_vectors(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    units = devset_units(400, 440)
    with Memory.open(pg_memory) as first:
        first.add_units(units)
        assert first.index.size == 40
    assert sql(pg_memory, "SELECT count(*) FROM resolign.vectors") == [(40,)]
    second, counting = open_counting(pg_memory, tmp_path / "elsewhere", monkeypatch)
    with second:
        assert second.index.size == 40 and second.index.rebuilt
        assert counting.unit_texts == 0  # not one unit embedded again
        query = units[17].texts["en"]
        top = second.search(query, src="fr", tgt="en", min_score=0)[0]
        assert top.kind == "exact" or top.target == query
        near = second.index.nearest(query, 1)[0]
        assert second.get_unit(near[0]).texts["en"] == query


def test_units_nobody_embedded_are_embedded_by_the_next_server_to_catch_up(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with Memory.open(pg_memory) as server:
        server.add_units(devset_units(500, 510))
        server.index.follow(0.2)
        # An import without an encoder (or one killed between its commit and its vectors)
        with Memory.open(pg_memory, encoder=NO_ENCODER) as importer:
            importer.add_units(devset_units(510, 525))
        deadline = time.monotonic() + 60
        while server.index.size < 25 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.index.size == 25 and server.index.state()["lag"] == 0
        assert sql(pg_memory, "SELECT count(*) FROM resolign.vectors") == [(25,)]
        query = devset_units(520, 521)[0].texts["en"]
        assert server.get_unit(server.index.nearest(query, 1)[0][0]).texts["en"] == query


def test_a_server_waits_for_the_vectors_of_a_writer_that_is_embedding(
        pg_memory: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with Memory.open(pg_memory) as writer:
        writer.add_units(devset_units(600, 605))
        reader, counting = open_counting(pg_memory, tmp_path / "reader", monkeypatch)
        with reader:
            token = writer.store.vectors.claim(writer.encoder)  # the writer is embedding
            try:
                with Memory.open(pg_memory, encoder=NO_ENCODER) as other:
                    other.add_units(devset_units(605, 615))
                reader.index.sync()
                assert reader.index.size == 5 and reader.index.pending == 10
                assert counting.unit_texts == 0  # left to the writer, not embedded twice
            finally:
                writer.store.vectors.release(token)
            writer.index.sync()  # the writer stores them ...
            reader.index.sync()  # ... and the reader takes them
            assert reader.index.size == 15 and reader.index.pending == 0
            assert counting.unit_texts == 0


# --- two servers, one memory ------------------------------------------------------------------

class Replica:
    """`resolign serve --db postgresql://...` in a subprocess, with its own cache folder."""

    def __init__(self, url: str, folder: Path, name: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cache = folder / f"cache-{name}"
        cache.mkdir()
        shared = Path(os.environ["RESOLIGN_CACHE_DIR"])
        for file in shared.glob("*"):  # the suite's embedding cache: encoder warm-up only
            if file.is_file():
                shutil.copy(file, cache / file.name)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RESOLIGN_API_KEY": KEY,
               "RESOLIGN_CACHE_DIR": str(cache)}
        self.log_path = folder / f"{name}.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "resolign.cli", "serve", "--db", url, "--port",
             str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 240
        while True:
            assert self.proc.poll() is None, self.log_path.read_text()
            assert time.monotonic() < deadline, "replica did not start"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)

    def get(self, path: str, **params: str) -> dict:
        response = httpx.get(self.base + path, params=params, timeout=120)
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        if self.proc.poll() is None:
            stop(self.proc)
        self.log.close()


@pytest.fixture(scope="module")
def replica_memory(pg_server: str) -> str:
    """A PostgreSQL memory of 30 devset units for the two replica tests (in file order: the
    second one kills replica 1)."""
    url = pg_cluster.create_database(pg_server)
    with Memory.open(url) as memory:
        memory.add_units(devset_units(0, 30))
    yield url
    pg_cluster.drop_database(pg_server, url)


@pytest.fixture(scope="module")
def replicas(replica_memory: str, tmp_path_factory: pytest.TempPathFactory):
    """Two servers on one PostgreSQL memory."""
    folder = tmp_path_factory.mktemp("replicas")
    started: list[Replica] = []
    try:
        started.append(Replica(replica_memory, folder, "one"))
        started.append(Replica(replica_memory, folder, "two"))
        yield started
    finally:
        for replica in started:
            replica.close()


def test_two_replicas_share_one_memory(replicas: list[Replica], tmp_path: Path):
    one, two = replicas
    health = two.get("/healthz")
    assert health["backend"] == "postgresql" and health["units"] == 30
    assert health["index"]["vectors"] == 30 and health["index"]["lag"] == 0
    # exact look-ups through replica 2
    for unit in devset_units(0, 30)[::7]:
        top = two.get("/api/search", q=unit.texts["fr"], src="fr", tgt="ar",
                      semantic="false")["matches"][0]
        assert (top["kind"], top["target"]) == ("exact", unit.texts["ar"])
    # a TMX POSTed to replica 1 ...
    new = devset_units(700, 720)
    tmx = tmp_path / "new.tmx"
    write_tmx(new, tmx)
    posted = httpx.post(one.base + "/api/import", headers={"X-API-Key": KEY},
                        files={"file": ("new.tmx", tmx.read_bytes())}, timeout=300)
    assert posted.status_code == 200 and posted.json()["added"] == 20
    # ... is found through replica 2 at once (exact) ...
    probe = new[11]
    top = two.get("/api/search", q=probe.texts["fr"], src="fr", tgt="en",
                  semantic="false")["matches"][0]
    assert (top["kind"], top["target"]) == ("exact", probe.texts["en"])
    assert two.get("/api/concordance", q=probe.texts["fr"], lang="fr")["hits"]
    assert two.get("/healthz")["units"] == 50
    # ... and by meaning (English among French segments) within 30 seconds
    deadline = time.monotonic() + 30
    while True:
        matches = two.get("/api/search", q=probe.texts["en"], src="fr", tgt="en")["matches"]
        found = [m for m in matches if m["kind"] == "semantic"
                 and m["source"] == probe.texts["fr"]]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert found, two.get("/healthz")
    assert two.get("/healthz")["index"] == {**two.get("/healthz")["index"], "vectors": 50,
                                            "lag": 0}


def test_an_import_killed_halfway_adds_all_or_nothing_and_replica_2_answers_throughout(
        replicas: list[Replica], replica_memory: str, tmp_path: Path):
    pg_memory = replica_memory
    one, two = replicas
    before = fingerprint(pg_memory)
    lines = devset_lines()
    big = tmp_path / "big.tmx"
    write_tmx((Unit(texts={lang: f"{lines[lang][i]} [{v}]" for lang in ("fr", "en", "ar")},
                    document="big", paragraph=str(i)) for v in range(4) for i in range(4000)),
              big)
    probe = devset_units(5, 6)[0]
    answers: list[int] = []
    stop_polling = threading.Event()

    def poll() -> None:  # replica 2, all along: health, exact search, concordance
        with httpx.Client(base_url=two.base, timeout=60) as client:
            while not stop_polling.is_set():
                for path, params in (("/healthz", {}),
                                     ("/api/search", {"q": probe.texts["fr"], "semantic":
                                                      "false"}),
                                     ("/api/concordance", {"q": "Nations Unies"})):
                    try:
                        answers.append(client.get(path, params=params).status_code)
                    except httpx.HTTPError:
                        answers.append(0)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    written_before = uncommitted_bytes(pg_memory)
    posting = threading.Thread(target=_post_quietly, args=(one.base, big), daemon=True)
    posting.start()
    try:
        deadline = time.monotonic() + 300
        while uncommitted_bytes(pg_memory) < written_before + 4_000_000:
            assert one.proc.poll() is None, one.log_path.read_text()
            assert time.monotonic() < deadline, "the import never got halfway"
            time.sleep(0.05)
        one.proc.send_signal(signal.SIGKILL)
        assert one.proc.wait(timeout=30) == -signal.SIGKILL
        time.sleep(2)  # replica 2 keeps answering after the kill too
    finally:
        stop_polling.set()
        poller.join(60)
        posting.join(60)
    assert answers and set(answers) == {200}, answers
    # none of the import's units: the memory is exactly as before, and still writable
    deadline = time.monotonic() + 30
    while sql(pg_memory, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
              "current_database() AND state LIKE 'idle in transaction%'")[0][0]:
        assert time.monotonic() < deadline, "the killed import's transaction stayed open"
        time.sleep(0.1)
    assert fingerprint(pg_memory) == before
    assert two.get("/healthz")["units"] == before[0]
    posted = httpx.post(two.base + "/api/import", headers={"X-API-Key": KEY}, timeout=300,
                        files={"file": ("small.tmx", _tmx_bytes(devset_units(800, 805)))})
    assert posted.status_code == 200 and posted.json()["added"] == 5


def _post_quietly(base: str, tmx: Path) -> None:
    with contextlib.suppress(httpx.HTTPError), tmx.open("rb") as data:
        httpx.post(base + "/api/import", headers={"X-API-Key": KEY},
                   files={"file": ("big.tmx", data)}, timeout=600)


def _tmx_bytes(units: list[Unit]) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    write_tmx(units, buffer)
    return buffer.getvalue()


def test_a_write_leaves_no_full_text_entries_pending(pg_memory: str):
    """GIN keeps new entries in a pending list that every search scans whole until it is
    merged (by autovacuum, on a large memory only after a fifth of its size is added): right
    after a 700-unit import the first searches took 0.1-1.7 s instead of 5-40 ms. A write
    merges its own entries, so the index has none pending after an import or a review edit."""
    def pending() -> tuple[int, int]:
        with psycopg.connect(pg_memory, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
            return conn.execute("SELECT pending_pages, pending_tuples FROM "
                                "pgstatginindex('resolign.fulltext_tsv')").fetchone()

    with Memory.open(pg_memory, encoder=NO_ENCODER) as memory:
        memory.add_units(devset_units(0, 300))
        assert pending() == (0, 0)
        first = memory.ids()[0]
        memory.store.replace_units([first], [Unit(texts={
            "fr": "Un texte revu.", "en": "A reviewed text.", "ar": "نص منقح."})],
            who="test", action="edit")
        assert pending() == (0, 0)
        with psycopg.connect(pg_memory, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM resolign.fulltext").fetchone()[0] >= 900
