"""Write a file atomically with the permissions a user expects.

`tempfile.mkstemp` creates files mode 0600 whatever the umask, so an export renamed into place
was unreadable by a web server or a colleague. Here the partial file is opened like any new file
(mode 0666 minus the umask: 0644 normally), or given the mode of the file it replaces.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from resolign.errors import ResolignError


@contextlib.contextmanager
def atomic_write(path: Path, error: type[ResolignError] = ResolignError) -> Iterator[BinaryIO]:
    """Yield a binary handle; on success the data replaces `path` in one rename, on any error
    the partial file is removed and `path` is left as it was. OSError becomes `error`."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as failure:
        raise error(f"{path}: cannot write ({failure.strerror or failure})") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode != 0o666:
                os.fchmod(descriptor, mode)  # the umask must not narrow an existing file's mode
            yield handle
        os.replace(partial, path)
    except BaseException as failure:
        partial.unlink(missing_ok=True)
        if isinstance(failure, OSError):
            raise error(f"{path}: cannot write ({failure.strerror or failure})") from None
        raise
