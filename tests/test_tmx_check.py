"""check_tmx and `resolign tmx-check` on hand-written samples, each broken in a known place."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from resolign.cli import tmx as tmx_commands
from resolign.errors import TmxError
from resolign.tmx import Problem, check_tmx

DATA = Path(__file__).parent / "data" / "tmx"


def test_valid_samples_have_no_problem() -> None:
    assert check_tmx(DATA / "valid_minimal.tmx") == []
    assert check_tmx(DATA / "other_tool_bilingual.tmx") == []


def test_broken_header() -> None:
    assert check_tmx(DATA / "broken_header.tmx") == [
        Problem(2, "<tmx> has no version attribute"),
        Problem(4, "<header> is missing required attribute creationtool"),
        Problem(4, "<header> is missing required attribute o-tmf"),
        Problem(4, "<header> segtype 'line' is not one of block, paragraph, sentence, phrase"),
    ]


def test_broken_units() -> None:
    assert check_tmx(DATA / "broken_units.tmx") == [
        Problem(11, "<tuv> has no xml:lang attribute"),
        Problem(15, "empty <seg> (xml:lang='en')"),
        Problem(17, "<tu> has no <tuv> in the source language 'fr' (srclang)"),
    ]


def test_missing_body() -> None:
    assert check_tmx(DATA / "broken_no_body.tmx") == [Problem(2, "missing <body>")]


def test_malformed_gives_one_problem_at_the_parser_line() -> None:
    [problem] = check_tmx(DATA / "malformed.tmx")
    assert problem.line == 8
    assert problem.message.startswith("not well-formed XML at line 8: Opening and ending tag")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<tmx version='2.7'/>", "unsupported TMX version '2.7' (expected 1.4)"),
        ("<tmx version='1.4'><body/></tmx>", "<body> without a <header> before it"),
        ("<TMX version='1.4'/>", "root element is <TMX>, expected <tmx>"),
    ],
)
def test_structure_rules(body: str, expected: str) -> None:
    messages = [problem.message for problem in check_tmx(body.encode())]
    assert expected in messages


def test_srclang_rules_follow_the_spec() -> None:
    """*all* needs no source tuv; a tu may name its own srclang; languages compare caselessly."""
    header = (
        '<header creationtool="t" creationtoolversion="1" datatype="plaintext" '
        'segtype="sentence" adminlang="en" srclang="{src}" o-tmf="t"/>'
    )
    tu = '<tu{attr}><tuv xml:lang="EN-us"><seg>a</seg></tuv><tuv lang="ar"><seg>b</seg></tuv></tu>'

    def problems(src: str, attr: str = "") -> list[Problem]:
        body = f"<body>{tu.format(attr=attr)}</body>"
        doc = f'<tmx version="1.4">{header.format(src=src)}{body}</tmx>'
        return check_tmx(doc.encode())

    assert problems("*all*") == []
    assert problems("en-US") == []
    assert problems("fr", ' srclang="ar"') == []
    assert [p.message for p in problems("fr")] == [
        "<tu> has no <tuv> in the source language 'fr' (srclang)"
    ]


def run_cli(argv: list[str]) -> int:
    """The tmx commands on their own parser: the full `resolign` parser imports every group."""
    parser = argparse.ArgumentParser(prog="resolign")
    tmx_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_reports_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "broken_units.tmx"
    assert run_cli(["tmx-check", str(path)]) == 1
    said = capsys.readouterr()
    lines = said.out.splitlines()
    assert lines[0] == f"{path}:11: <tuv> has no xml:lang attribute"
    assert [line.split(":")[1] for line in lines] == ["11", "15", "17"]
    # a single-language TU is valid TMX (one or more <tuv>), but a CAT tool should know
    assert f"{path}:6: warning: <tu> has a single <tuv>" in said.err


def test_cli_ok_summary(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "valid_minimal.tmx"
    assert run_cli(["tmx-check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: OK, TMX 1.4b, 1 translation units (ar, fr)\n"


def test_cli_unreadable_file_is_a_resolign_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Raised, not printed: resolign.cli turns it into one line and exit status 2."""
    with pytest.raises(TmxError, match="absent.tmx: no such file"):
        run_cli(["tmx-check", str(tmp_path / "absent.tmx")])
    assert capsys.readouterr().out == ""
