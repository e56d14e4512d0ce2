"""What a platform is: it claims tasks by their metadata and lays an answer's files out as a
project (entry point, main stack, scaffold files)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from harness.core.workspace import ProjectLayout


class Platform(Protocol):
    name: str

    def matches(self, metadata: Mapping[str, Any]) -> bool: ...

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout: ...
