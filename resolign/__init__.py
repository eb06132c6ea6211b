"""resolign: French–English–Arabic alignment and translation memory for resolutions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("resolign")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
