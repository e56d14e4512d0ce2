"""The registered platforms; the pipeline asks `platform_for(metadata)`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.platforms.base import Platform
from harness.platforms.cdktf_python.platform import CdktfPython


def registered() -> list[Platform]:
    """Every platform, the default first."""
    return [CdktfPython()]


def platform_for(metadata: Mapping[str, Any]) -> Platform:
    """The platform a task's metadata names; the default when it names none."""
    platforms = registered()
    return next((p for p in platforms if p.matches(metadata)), platforms[0])


def is_supported(metadata: Mapping[str, Any]) -> bool:
    return any(p.matches(metadata) for p in registered())
