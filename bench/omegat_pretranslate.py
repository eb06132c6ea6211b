"""A CAT tool's view of resolign's TMX: OmegaT pre-translates a French document from it.

    python bench/omegat_pretranslate.py                 # seed 3, long document 0 (held out)
    python bench/omegat_pretranslate.py --seed 3 --doc 1

Steps, all real: build a long evaluation document (`build_long_eval_set`; parameters were tuned
on seed 1), run `resolign align --presegmented FR EN AR --tmx out.tmx`, then for English and
for Arabic make an OmegaT project (French source, one paragraph a block, sentence segmentation
off, the TMX in tm/auto so 100% matches are inserted) and run `omegat PROJECT
--mode=console-translate` (Debian package `omegat`, 3.6). The figure is the share of French
paragraphs that are 1-1 in truth whose line in OmegaT's target file is exactly their gold
translation. Needs `omegat` and a Java runtime on PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from common import machine_line  # bench/ is the script's folder

HERE = Path(__file__).resolve().parent
DEVSET = HERE.parent.parent / "shared" / "data" / "un-devset"

PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <source_dir_excludes>
      <mask>**/.svn/**</mask>
    </source_dir_excludes>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>FR</source_lang>
    <target_lang>{target}</target_lang>
    <source_tok>org.omegat.tokenizer.LuceneFrenchTokenizer</source_tok>
    <target_tok>{tokenizer}</target_tok>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""
TOKENIZERS = {"en": "org.omegat.tokenizer.LuceneEnglishTokenizer",
              "ar": "org.omegat.tokenizer.LuceneArabicTokenizer"}


def pretranslate(french: list[str], tmx: Path, lang: str, folder: Path) -> list[str]:
    """OmegaT's target file for the French paragraphs, one line each."""
    project = folder / f"omegat-{lang}"
    for sub in ("source", "target", "tm/auto", "glossary", "omegat", "dictionary"):
        (project / sub).mkdir(parents=True, exist_ok=True)
    (project / "omegat.project").write_text(
        PROJECT.format(target=lang.upper(), tokenizer=TOKENIZERS[lang]), encoding="utf-8")
    # OmegaT's text filter makes one segment per block between empty lines
    (project / "source" / "document.txt").write_text("\n\n".join(french) + "\n",
                                                     encoding="utf-8")
    shutil.copy(tmx, project / "tm" / "auto" / tmx.name)
    run = subprocess.run(["omegat", str(project), "--mode=console-translate"],
                         capture_output=True, text=True, timeout=3600,
                         env={**os.environ, "JAVA_TOOL_OPTIONS": "-Djava.awt.headless=true"})
    target = project / "target" / "document.txt"
    if run.returncode != 0 or not target.exists():
        raise RuntimeError(f"OmegaT failed ({run.returncode}): {run.stderr[-2000:]}")
    lines = [block.strip() for block in target.read_text(encoding="utf-8").split("\n\n")]
    if len(lines) != len(french):
        raise RuntimeError(f"OmegaT wrote {len(lines)} paragraphs for {len(french)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--doc", type=int, default=0, help="which long document of the seed")
    args = parser.parse_args(argv)
    if shutil.which("omegat") is None:
        sys.exit("omegat is not installed (Debian: apt-get install omegat)")

    from resolign.align.evaluation import build_long_eval_set

    doc = build_long_eval_set(args.devset, args.seed)[args.doc]
    with tempfile.TemporaryDirectory(prefix="omegat-bench-") as tmp:
        folder = Path(tmp)
        paths = []
        for lang in ("fr", "en", "ar"):
            path = folder / f"{lang}.txt"
            path.write_text("\n".join(doc.paragraphs[lang]) + "\n", encoding="utf-8")
            paths.append(str(path))
        tmx = folder / "resolign.tmx"
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "resolign.cli", "align",
                              "--presegmented", *paths, "--tmx", str(tmx)],
                             capture_output=True, text=True, timeout=3600)
        if run.returncode != 0:
            sys.exit(run.stderr)
        align_s = time.perf_counter() - start
        print(f"# OmegaT pre-translation from resolign's TMX — seed {args.seed}, long document "
              f"{args.doc} ({len(doc.paragraphs['fr'])} fr / {len(doc.paragraphs['en'])} en / "
              f"{len(doc.paragraphs['ar'])} ar paragraphs)\n")
        print(f"`resolign align --presegmented FR EN AR --tmx`: {align_s:.0f} s; "
              f"{run.stderr.strip().splitlines()[-1]}\n")
        print("| target | truly 1-1 French paragraphs | right translation inserted | "
              "wrong translation | left untranslated | rate |")
        print("|---|---|---|---|---|---|")
        for lang in ("en", "ar"):
            lines = pretranslate(doc.paragraphs["fr"], tmx, lang, folder)
            truly = [(s[0], t[0]) for s, t in doc.gold[lang] if len(s) == 1 == len(t)]
            # OmegaT writes NFC (Arabic shadda after its vowel sign): compare canonically
            right = sum(_same(lines[i], doc.paragraphs[lang][j]) for i, j in truly)
            untouched = sum(_same(lines[i], doc.paragraphs["fr"][i])
                            and not _same(lines[i], doc.paragraphs[lang][j]) for i, j in truly)
            wrong = len(truly) - right - untouched
            print(f"| {lang} | {len(truly)} | {right} | {wrong} | {untouched} | "
                  f"**{right / len(truly):.1%}** |")
    print(f"\n{machine_line()}")
    return 0


def _same(a: str, b: str) -> bool:
    """Equal as text: canonically equivalent Unicode (NFC), outer spaces ignored."""
    return unicodedata.normalize("NFC", a.strip()) == unicodedata.normalize("NFC", b.strip())


if __name__ == "__main__":
    raise SystemExit(main())
