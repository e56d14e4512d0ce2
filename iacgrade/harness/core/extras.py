"""Optional dependencies (pyproject extras): whether one is installed, and how to install it."""

from __future__ import annotations

import importlib.util


def missing_extra(module: str, extra: str) -> str | None:
    """None when `module` can be imported; else a message naming the extra that installs it."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module blanked in sys.modules
        found = False
    if found:
        return None
    return f"{module} is not installed: pip install 'iacgrade[{extra}]'"
