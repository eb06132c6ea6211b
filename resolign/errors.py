"""One exception family, so the CLI and the HTTP app turn every user error into one clear line.

The CLI prints any ResolignError as one line and exits 2; HTTP answers `{"detail": reason}`
with the status that the error's class names (`http_status`).
"""


class ResolignError(Exception):
    """A problem the user can fix: bad input, a missing model, a broken file."""

    http_status = 400


class InputError(ResolignError):
    """A document, query or upload that cannot be used as given."""


class InvalidParameter(InputError):
    """A parameter outside what is accepted: an unknown language, an empty query, a bad range."""

    http_status = 422


class TooLarge(InputError):
    """A query or upload over its size limit."""

    http_status = 413


class NotFound(InputError):
    """Something named by the request that does not exist (a unit id, a memory file)."""

    http_status = 404


class ModelUnavailable(ResolignError):
    """An encoder that cannot be loaded here (not installed, not on disk, no hub)."""

    http_status = 503


class TmxError(ResolignError):
    """A TMX file that is malformed, unsafe or not TMX."""
