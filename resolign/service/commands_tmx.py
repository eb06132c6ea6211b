"""Command-line commands of this group (filled in by its issue)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the `resolign` parser."""
