"""One answer as a workspace: the files a sandbox synthesizes, and where each came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from iacgrade.harness.core.extraction import Extraction

SIDES = ("model", "ideal")


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


@dataclass(frozen=True)
class Workspace:
    """One side of a task as a project: the answer overlaid on the task's files and the scaffold."""

    task_id: str
    side: str
    files: dict[str, str]
    origins: dict[str, str]  # path -> "answer:<how the path was decided>" | "task" | "scaffold"
    entry: str
    entry_source: str
    stack_module: str | None
    stack_class: str | None
    has_code: bool
    extraction: Extraction | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Answer files whose text stops mid-statement: path -> the 1-based line where it stops. The
    # workspace holds the whole statements before that line (see
    # iacgrade.harness.platforms.cdktf_python.extract).
    truncated: dict[str, int] = field(default_factory=dict)
    # Binary archives the answer keeps beside its code (base64 by path): the reference's
    # committed Lambda zips. Written into the sandbox with the files; no rule reads them as text.
    archives: dict[str, str] = field(default_factory=dict)
    # The answer's own prose by name (its markdown): build steps it writes down (`zip -r ...`,
    # `pip install -t ...`) that no sandbox runs. Read by ENV001; nothing is synthesized from it.
    docs: dict[str, str] = field(default_factory=dict)
    # The registered platform that laid the workspace out (iacgrade/harness/platforms/registry.py).
    platform: str = "cdktf-python"

    @classmethod
    def from_layout(cls, task_id: str, side: str, layout: ProjectLayout, **extra: Any) -> Workspace:
        """A workspace with code, as the platform laid it out."""
        return cls(
            task_id=task_id,
            side=side,
            files=layout.files,
            origins=layout.origins,
            entry=layout.entry,
            entry_source=layout.entry_source,
            stack_module=layout.stack_module,
            stack_class=layout.stack_class,
            has_code=True,
            **extra,
        )

    @property
    def answer_paths(self) -> list[str]:
        return sorted(p for p, o in self.origins.items() if o.startswith("answer"))

    def python_files(self, answer_only: bool = True) -> dict[str, str]:
        paths = self.answer_paths if answer_only else sorted(self.files)
        return {p: self.files[p] for p in paths if p.endswith(".py")}

    def content_hash(self) -> str:
        """A hash of everything that decides the synth outcome (the cache key's workspace part)."""
        payload = json.dumps(
            {
                "files": self.files,
                "entry": self.entry,
                "stack": [self.stack_module, self.stack_class],
                **({"archives": self.archives} if self.archives else {}),
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()
