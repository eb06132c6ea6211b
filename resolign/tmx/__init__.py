"""TMX 1.4b in and out: the only place in resolign where TMX/XML is read or written."""

from resolign.tmx.check import Problem, check_tmx
from resolign.tmx.reader import iter_tmx_units, read_tmx
from resolign.tmx.writer import WriteReport, iter_tmx_bytes, write_tmx

__all__ = [
    "Problem",
    "WriteReport",
    "check_tmx",
    "iter_tmx_bytes",
    "iter_tmx_units",
    "read_tmx",
    "write_tmx",
]
