"""Importing TMX written by other tools: bilingual, *all*, region codes, `lang`, inline markup."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from resolign.tmx import read_tmx
from resolign.tmx.reader import Refusal, read_tmx_report

SAMPLE = Path(__file__).parent / "data" / "tmx" / "other_tool_bilingual.tmx"


def test_other_tool_sample_imports() -> None:
    first, second, third, fourth = read_tmx(SAMPLE)

    # region codes back to primary subtags; bpt/ept codes dropped, <hi> text kept
    assert first.texts == {
        "fr": "La Conférence réaffirme la centralité de la cause de Palestine.",
        "en": "The Conference reaffirms the centrality of the cause of Palestine.",
    }
    assert (first.document, first.symbol, first.paragraph, first.score) == (
        "OIC-CFM-46-RES-1",
        "OIC/CFM-46/2019/PAL/RES/1",
        "4",
        0.91,
    )
    assert first.created == datetime(2019, 3, 1, 8, 30, tzinfo=UTC)

    # TMX 1.1 `lang`, upper case; ph with a <sub> footnote and an isolated <it> are codes only
    assert second.texts == {"en": "See footnote and annex I.", "fr": "Voir la note et l'annexe I."}
    assert (second.document, second.score) == ("", None)

    # escaped markup stays text, tabs kept, <ut> dropped; Arabic and RLMs byte-exact; the
    # <ph>&lt;br/&gt;</ph> before the final dot stands for a line break and reads as one
    assert third.texts == {
        "en": "Tab\tand & ampersand <kept>",
        "ar": "يؤكد المؤتمر على \u200fمركزية\u200f قضية فلسطين\n.",
    }
    assert third.paragraph == "7"
    # no creationdate on the tu: the header's date is the default
    assert third.created == datetime(2019, 3, 5, 10, 15, tzinfo=UTC)

    # a language resolign does not align is kept under its primary subtag
    assert fourth.texts == {"es": "La Conferencia", "en": "The Conference"}


def test_arabic_bytes_unchanged_from_file() -> None:
    raw = SAMPLE.read_bytes()
    arabic = read_tmx(SAMPLE)[2].texts["ar"]
    assert arabic[:-2].encode("utf-8") in raw  # "\n." stands for the <ph> line break and "."


def test_multilingual_tu_with_tuv_dates_and_duplicates() -> None:
    data = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="x" creationtoolversion="1" datatype="plaintext"
 segtype="paragraph" adminlang="en" srclang="fr-FR" o-tmf="x"/><body>
<tu><tuv xml:lang="fr-FR" creationdate="20200102T030405Z"><seg>Un <hi>deux <ph>&lt;b/&gt;</ph>
trois</hi> quatre</seg></tuv>
<tuv xml:lang="en-GB"><seg>One</seg></tuv><tuv xml:lang="en-US"><seg>Second English</seg></tuv>
<tuv xml:lang="ar-SA"><seg>واحد</seg></tuv><tuv xml:lang="de"><seg> </seg></tuv></tu>
<tu><tuv xml:lang="fr"><seg/></tuv><tuv xml:lang="en"><seg>   </seg></tuv></tu>
</body></tmx>""".encode()
    [unit] = read_tmx(data)
    assert unit.texts == {"fr": "Un deux \ntrois quatre", "en": "One", "ar": "واحد"}
    assert unit.created == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_utf16_and_bom_files_import() -> None:
    """TMX allows UTF-16 (some Trados versions export it) and a UTF-8 BOM is common."""
    text = (SAMPLE.parent / "valid_minimal.tmx").read_text("utf-8")
    expected = {"fr": "Bonjour", "ar": "مرحبا"}
    assert read_tmx(text.replace("UTF-8", "UTF-16").encode("utf-16"))[0].texts == expected
    assert read_tmx(text.encode("utf-8-sig"))[0].texts == expected


def test_report_counts_what_was_kept_and_says_what_was_refused() -> None:
    """broken_units.tmx: one tuv alone, a tuv without language, an empty seg, codes only."""
    data = (SAMPLE.parent / "broken_units.tmx").read_bytes().replace(
        b"</body>", b'<tu><tuv xml:lang="fr"><seg> </seg></tuv></tu>\n</body>'
    )
    units, report = read_tmx_report(data)
    assert [u.annotations.attributes.get("tuid") for u in units] == [
        "one-tuv", "no-lang", "empty-seg", "no-source", "codes-only-is-fine"
    ]
    assert (report.tus, report.units, report.refused, report.tuvs_left_out) == (6, 5, 1, 1)
    assert (report.one_sided, report.code_only, report.empty_segments) == (3, 2, 1)
    assert report.details == [
        Refusal(11, "<tuv> without xml:lang left out"),
        Refusal(25, "<tu> refused: no text or inline code in any <tuv>"),
    ]
    assert report.summary() == (
        "6 TUs read, 5 units, 3 one-sided, 2 code-only segment(s), 1 empty segment(s), "
        "1 TU(s) refused, 1 tuv(s) left out"
    )
    assert report.header.attributes["creationtool"] == "hand"
