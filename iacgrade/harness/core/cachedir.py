"""Where iacgrade keeps what it can compute again: one root for every cache it writes.

`$IACGRADE_CACHE` when set, else `$XDG_CACHE_HOME/iacgrade` (`~/.cache/iacgrade`). The result
cache lives in `results/`, the sandbox image's wheelhouse in `wheelhouse/`, the checkov venv that
`iacgrade doctor --fix` makes in `checkov-venv/`. A user folder, not the source tree, so an
installed iacgrade (a wheel in site-packages) writes nowhere near its own files.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "IACGRADE_CACHE"


def cache_home() -> Path:
    """The root every iacgrade cache lives under (read from the environment at each call)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(xdg) / "iacgrade"
