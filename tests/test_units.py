"""The unit model: variants by full language tag, the old `texts` view, JSON, deduplication."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from resolign.languages import normalise_tag, primary, tag_matches
from resolign.service.store import StoredUnit
from resolign.units import (
    Annotation,
    Annotations,
    Unit,
    Variant,
    absorb_duplicate,
)


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("EN_us", "en-US"),
        ("fR-Ca", "fr-CA"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("sr-latn-rs", "sr-Latn-RS"),
        ("de-ch-1996", "de-CH-1996"),
        ("en-GB-x-Oxford", "en-GB-x-oxford"),
        ("x-Klingon", "x-klingon"),
        (" ar ", "ar"),
        ("fr FR", "fr FR"),  # not a tag: kept as written, never lost
    ],
)
def test_tags_take_bcp47_case(raw: str, tag: str) -> None:
    assert normalise_tag(raw) == tag
    assert Variant(raw, "x").lang == tag


def test_language_queries() -> None:
    assert primary("fr-CA") == "fr"
    assert tag_matches("fr-CA", "fr") and tag_matches("fr", "FR")
    assert tag_matches("fr-CA", "fr-ca") and not tag_matches("fr-FR", "fr-CA")
    assert not tag_matches("fr", "fr-CA")
    unit = Unit(variants=[Variant("fr-CA", "a"), Variant("fr", "b"), Variant("en-GB", "c")])
    assert [v.text for v in unit.variants_for("fr")] == ["a", "b"]
    assert unit.text_for("fr-FR") is None
    assert unit.text_for("en") == "c"


def test_texts_is_the_old_view_and_writes_through() -> None:
    unit = Unit(texts={"en": "Hello", "fr": "Bonjour"}, document="d.docx", score=0.5)
    assert unit.texts == {"fr": "Bonjour", "en": "Hello"}
    assert list(unit.texts) == ["fr", "en"]  # fr, en, ar first
    assert isinstance(unit.texts, dict)
    assert json.loads(json.dumps(unit.texts)) == {"fr": "Bonjour", "en": "Hello"}

    unit.texts["ar"] = "مرحبا"
    unit.texts["fr"] = "Salut"
    assert [(v.lang, v.text) for v in unit.variants] == [
        ("en", "Hello"), ("fr", "Salut"), ("ar", "مرحبا")
    ]
    del unit.texts["en"]
    assert unit.texts == {"fr": "Salut", "ar": "مرحبا"}
    unit.texts = {"en": "Hi", "fr": "Salut"}
    assert [(v.lang, v.text) for v in unit.variants] == [("en", "Hi"), ("fr", "Salut")]
    unit.document, unit.symbol, unit.score = "e.pdf", "A/RES/1", 0.9
    assert (unit.document, unit.symbol, unit.score) == ("e.pdf", "A/RES/1", 0.9)
    assert list(unit.texts) == ["fr", "en"]

    with pytest.raises(ValueError, match="either texts or variants"):
        Unit(texts={"fr": "a"}, variants=[Variant("en", "b")])


def test_texts_show_the_first_variant_with_text_and_keep_the_rest() -> None:
    unit = Unit(variants=[
        Variant("fr-CA", " "),
        Variant("fr-CA", "Allô", "<ph x=\"1\"/>Allô"),
        Variant("fr-FR", "Bonjour"),
        Variant("en-US", "Hi"),
    ])
    assert unit.texts == {"fr": "Allô", "en": "Hi"}
    unit.texts = dict(unit.texts)  # assigning the same view changes nothing
    assert len(unit.variants) == 4 and unit.variants[1].markup
    unit.texts["fr"] = "Allô!"  # a new text: the codes no longer fit and are dropped
    assert (unit.variants[1].text, unit.variants[1].markup) == ("Allô!", "")
    assert unit.variants[2].text == "Bonjour"


def test_stored_unit_of_the_current_store_still_builds_from_texts() -> None:
    unit = StoredUnit(texts={}, document="d", id=7)
    unit.texts["en"] = "b"
    unit.texts["fr"] = "a"
    unit.texts = dict(sorted(unit.texts.items()))
    assert (unit.texts, unit.id, unit.origin()["document"]) == ({"en": "b", "fr": "a"}, 7, "d")
    assert replace(unit, id=8).texts == unit.texts


def full_unit() -> Unit:
    tz = timezone(timedelta(hours=3))
    return Unit(
        document="res.docx",
        symbol="1/47-POL",
        paragraph="4",
        score=0.8125,
        created=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=tz),
        resolution="1/47-POL",
        resolution_title="On Palestine",
        provenance={"origin": "tmx", "original:fr": "La  Conférence"},
        variants=[
            Variant(
                "fr-CA",
                "La Conférence\t ",
                'La <bpt i="1">{\\b </bpt>Conférence<ept i="1">}</ept><ph>\\t</ph> ',
                Annotations(
                    attributes={"changedate": "20240101T000000Z", "xml:space": "preserve"},
                    entries=[Annotation("note", "vérifié", {"xml:lang": "fr"})],
                ),
            ),
            Variant("ar", "المؤتمر\u200f"),
            Variant("ar", "المؤتمر"),
        ],
        annotations=Annotations(
            attributes={"tuid": "0001", "usagecount": "3", "{urn:x}flag": "1"},
            entries=[Annotation("prop", "Politics", {"type": "x-Domain"})],
            xml=['<ude name="MacRoman" base="Macintosh"/>'],
        ),
    )


def test_json_round_trip_is_exact() -> None:
    unit = full_unit()
    text = json.dumps(unit.to_json(), ensure_ascii=False)
    back = Unit.from_json(json.loads(text))
    assert back == unit
    assert back.created.utcoffset() == timedelta(hours=3)
    assert json.dumps(back.to_json(), ensure_ascii=False) == text
    naive = Unit(texts={"fr": "a"}, created=datetime(2020, 1, 1))
    assert Unit.from_json(json.loads(json.dumps(naive.to_json()))) == naive


def test_dedup_key_counts_text_codes_and_tags_only() -> None:
    unit = full_unit()
    same = Unit(variants=[replace(v, annotations=Annotations()) for v in reversed(unit.variants)])
    assert same.dedup_key() == unit.dedup_key()  # order, annotations and fields aside
    spaced = Unit(variants=[replace(v, text=f"  {v.text} ") for v in unit.variants])
    assert spaced.dedup_key() == unit.dedup_key()  # whitespace aside, as the store did
    other_code = Unit(variants=[replace(unit.variants[0], markup=unit.variants[0].markup.replace(
        '"1"', '"2"')), *unit.variants[1:]])
    assert other_code.dedup_key() != unit.dedup_key()
    other_region = Unit(variants=[replace(unit.variants[0], lang="fr-FR"), *unit.variants[1:]])
    assert other_region.dedup_key() != unit.dedup_key()
    empty = Unit(variants=[*unit.variants, Variant("de", "")])
    assert empty.dedup_key() == unit.dedup_key()  # an empty segment carries nothing


def test_absorb_duplicate_keeps_what_the_duplicate_carries() -> None:
    kept, duplicate = full_unit(), full_unit()
    duplicate.annotations.attributes["tuid"] = "0002"
    duplicate.annotations.entries.append(Annotation("prop", "ctx", {"type": "x-Context"}))
    duplicate.variants[1].annotations.entries.append(Annotation("note", "RLM"))
    assert absorb_duplicate(kept, duplicate)
    assert kept.annotations.attributes["tuid"] == "0001"
    assert kept.annotations.props() == [("x-Domain", "Politics"), ("x-Context", "ctx")]
    assert kept.variants[1].annotations.notes() == ["RLM"]
    assert kept.variants[2].annotations.notes() == []
    assert not absorb_duplicate(kept, duplicate)  # nothing new the second time
