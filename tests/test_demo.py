"""The README's main job: `resolign demo` aligns the bundled example, builds a memory, serves it."""

from __future__ import annotations

import json
import subprocess
import sys

from resolign.tmx.check import check_tmx


def test_demo_builds_everything_and_the_served_memory_answers(tmp_path):
    run = subprocess.run([sys.executable, "-m", "resolign.cli", "demo", "--out",
                          str(tmp_path), "--check", "--port", "0"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "/api/search found the sentence" in run.stdout
    beads = [json.loads(line) for line in (tmp_path / "beads.jsonl").read_text().splitlines()]
    assert len(beads) == 43 and all(b["fr"] == b["en"] == b["ar"] for b in beads)
    assert check_tmx(tmp_path / "example.tmx") == []
    assert (tmp_path / "memory.db").is_file()
    # a second run adds nothing new: the memory deduplicates
    again = subprocess.run([sys.executable, "-m", "resolign.cli", "demo", "--out",
                            str(tmp_path), "--no-serve"], capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert "memory: 0 paragraph and sentence units added" in again.stdout
