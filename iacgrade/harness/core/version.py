"""The installed iacgrade version, as packaging metadata records it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "iacgrade"


def package_version() -> str:
    """The version of the installed distribution; `0+unknown` when run from a tree never installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"
