"""The registered platforms: built-ins and installed plug-ins, declared as rules are.

A platform class registers itself with `@register_platform`; its module is loaded from
`BUILTIN_PLATFORMS` or from the `iacgrade.platforms` entry-point group of an installed
distribution. The registry names modules, never imports them statically: a platform imports the
registry, so the registry cannot import it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from iacgrade.harness.core.plugins import import_plugins
from iacgrade.harness.platforms.base import Platform

# The shipped platforms, the default first: a task whose metadata names no platform is its.
BUILTIN_PLATFORMS = (
    "iacgrade.harness.platforms.cdktf_python.platform",
    "iacgrade.harness.platforms.tf_hcl.platform",
    "iacgrade.harness.platforms.cfn.platform",
)

_REGISTRY: dict[str, Platform] = {}
_loaded = False

P = TypeVar("P")


def register_platform(cls: type[P]) -> type[P]:
    """Declare a platform class; one instance serves every task it matches."""
    platform: Platform = cls()  # type: ignore[assignment]  # checked against the protocol below
    if not isinstance(getattr(platform, "name", None), str):
        raise TypeError(f"{cls.__name__} has no platform name")
    known = _REGISTRY.get(platform.name)
    if known is not None and type(known) is not cls:
        raise ValueError(f"platform {platform.name!r} is declared twice")
    _REGISTRY[platform.name] = platform
    return cls


def load_platforms() -> dict[str, Platform]:
    """Every platform by name, the default first; built-ins and plug-ins are imported once."""
    global _loaded
    if not _loaded:
        import_plugins(BUILTIN_PLATFORMS, "iacgrade.platforms")
        _loaded = True
    # Ordered as BUILTIN_PLATFORMS, whatever imported a platform's module first (a grader
    # reading one of its helpers may): the default stays the first built-in.
    return dict(sorted(_REGISTRY.items(), key=lambda item: _rank(item[1])))


def _rank(platform: Platform) -> int:
    module = type(platform).__module__
    return BUILTIN_PLATFORMS.index(module) if module in BUILTIN_PLATFORMS else len(BUILTIN_PLATFORMS)


def registered() -> list[Platform]:
    """Every platform, the default first."""
    return list(load_platforms().values())


def platform_for(metadata: Mapping[str, Any]) -> Platform | None:
    """The platform a task's metadata names (None: no registered platform takes it)."""
    return next((p for p in registered() if p.matches(metadata)), None)


def platform_named(name: str) -> Platform:
    """The registered platform called `name` (a workspace records the one that laid it out)."""
    platforms = load_platforms()
    if name not in platforms:
        raise KeyError(f"no platform {name!r} is registered (registered: {supported()})")
    return platforms[name]


def default_platform() -> Platform:
    return registered()[0]


def supported() -> str:
    """The registered platforms as a user reads them ("cdktf-python (CDKTF Python)")."""
    return ", ".join(f"{p.name} ({p.label})" for p in registered())
