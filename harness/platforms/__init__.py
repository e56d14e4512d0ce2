"""Platforms are plug-ins: each knows how to turn an answer's files into a runnable project.

Adding a platform (CDKTF TypeScript, Terraform HCL, ...) means adding a module here with a
`Platform` and listing it in `registered()`; the pipeline asks `platform_for(metadata)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ProjectLayout:
    """What a platform decided about a workspace: its files, entry point and main stack."""

    files: dict[str, str]
    origins: dict[str, str]
    entry: str
    entry_source: str  # "answer", "task" or "scaffold"
    stack_module: str | None
    stack_class: str | None
    notes: tuple[str, ...] = ()


class Platform(Protocol):
    name: str

    def matches(self, metadata: Mapping[str, Any]) -> bool: ...

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout: ...


def registered() -> list[Platform]:
    """Every platform, the default first; imported here, not at the top, so a platform module
    may use the rest of `harness` without an import cycle."""
    from harness.platforms.cdktf_python import CdktfPython

    return [CdktfPython()]


def platform_for(metadata: Mapping[str, Any]) -> Platform:
    """The platform a task's metadata names; the default when it names none."""
    platforms = registered()
    return next((p for p in platforms if p.matches(metadata)), platforms[0])


def is_supported(metadata: Mapping[str, Any]) -> bool:
    return any(p.matches(metadata) for p in registered())
