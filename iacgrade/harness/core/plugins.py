"""Loading plug-in modules: the built-ins by name, then what installed distributions declare."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import import_module
from importlib.metadata import entry_points

log = logging.getLogger(__name__)


def import_plugins(builtins: Iterable[str], group: str) -> None:
    """Import each built-in module, then every module of the `group` entry points; a module that
    registers something does so when imported. A broken plug-in is logged and skipped: it must not
    take the built-ins down."""
    for module in builtins:
        import_module(module)
    for ep in entry_points(group=group):
        try:
            import_module(ep.value.partition(":")[0])
        except ImportError as exc:
            log.warning("%s plug-in %s could not be loaded: %s", group, ep.name, exc)
