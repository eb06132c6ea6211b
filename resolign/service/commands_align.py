"""`resolign align` and `resolign align-dir` (the alignment core)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the alignment commands to the `resolign` parser."""
