"""One exception family, so the CLI and the HTTP app turn every user error into one clear line."""


class ResolignError(Exception):
    """A problem the user can fix: bad input, a missing model, a broken file."""


class InputError(ResolignError):
    """A document, query or upload that cannot be used as given."""


class ModelUnavailable(ResolignError):
    """An encoder that cannot be loaded here (not installed, not on disk, no hub)."""


class TmxError(ResolignError):
    """A TMX file that is malformed, unsafe or not TMX."""
