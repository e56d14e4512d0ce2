"""What a platform is: it claims tasks by their metadata and lays an answer's files out as a
project (entry point, main stack, scaffold files)."""

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
