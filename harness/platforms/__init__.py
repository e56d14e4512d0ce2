"""Platforms are plug-ins: each knows how to turn an answer's files into a runnable project.

Adding a platform (CDKTF TypeScript, Terraform HCL, ...) means adding a module here with a
`Platform` and listing it in `PLATFORMS`; the pipeline asks `platform_for(metadata)`.
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


def platform_for(metadata: Mapping[str, Any]) -> Platform:
    """The platform a task's metadata names; CDKTF Python when it names none."""
    from harness.platforms.cdktf_python import CdktfPython

    platforms: list[Platform] = [CdktfPython()]
    for p in platforms:
        if p.matches(metadata):
            return p
    return platforms[0]


def is_supported(metadata: Mapping[str, Any]) -> bool:
    from harness.platforms.cdktf_python import CdktfPython

    return CdktfPython().matches(metadata)
