"""What the command line shows while it works: a progress bar on a terminal, nothing in a pipe."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress(desc: str, unit: str) -> Iterator[Callable[[int], None]]:
    """A progress bar (`update(n)` adds n), shown on a terminal only, always closed."""
    from tqdm import tqdm

    bar = tqdm(unit=unit, desc=desc, disable=None, leave=False)
    try:
        yield bar.update
    finally:
        bar.close()
