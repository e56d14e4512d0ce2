"""Turning one answer into a workspace: the files a sandbox synthesizes, and where each came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from harness.extract import Extraction, extract_files
from harness.platforms import Platform
from harness.tasks import Task

SIDES = ("model", "ideal")


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

    @property
    def answer_paths(self) -> list[str]:
        return sorted(p for p, o in self.origins.items() if o.startswith("answer"))

    def python_files(self, answer_only: bool = True) -> dict[str, str]:
        paths = self.answer_paths if answer_only else sorted(self.files)
        return {p: self.files[p] for p in paths if p.endswith(".py")}

    def content_hash(self) -> str:
        """A hash of everything that decides the synth outcome (the cache key's workspace part)."""
        payload = json.dumps(
            {"files": self.files, "entry": self.entry, "stack": [self.stack_module, self.stack_class]},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def build_workspace(task: Task, side: str, platform: Platform) -> Workspace:
    """Materialise `side` ("model" or "ideal") of `task` as a workspace."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    extraction: Extraction | None = None
    if side == "ideal" and task.ideal_tree:
        answer = dict(task.ideal_tree)
        origins = {p: "answer:ideal-tree" for p in answer}
    else:
        markdown = task.model_md if side == "model" else (task.ideal_md or "")
        extraction = extract_files(markdown)
        answer, origins = {}, {}
        for f in extraction.files:
            # A partial snippet is not a file of the project: building with it would fail for a
            # reason the answer's author never wrote.
            if f.fragment:
                continue
            answer[f.path] = f.content
            origins[f.path] = f"answer:{f.how}"
    refused = _refused_notes(extraction)
    has_code = any(p.endswith(".py") for p in answer)
    if not has_code:
        return Workspace(
            task_id=task.id,
            side=side,
            files=answer,
            origins=origins,
            entry="",
            entry_source="",
            stack_module=None,
            stack_class=None,
            has_code=False,
            extraction=extraction,
            notes=("the answer contains no Python code", *refused),
        )
    layout = platform.layout(answer, task.shared_files, origins)
    return Workspace(
        task_id=task.id,
        side=side,
        files=layout.files,
        origins=layout.origins,
        entry=layout.entry,
        entry_source=layout.entry_source,
        stack_module=layout.stack_module,
        stack_class=layout.stack_class,
        has_code=True,
        extraction=extraction,
        notes=(*layout.notes, *refused),
    )


def _refused_notes(extraction: Extraction | None) -> tuple[str, ...]:
    """Blocks whose path would land outside the project: a reviewer must see they were dropped."""
    if extraction is None:
        return ()
    return tuple(
        f"the block at line {s.line} of the answer was not written: {s.reason}"
        for s in extraction.skipped
        if s.reason.startswith("unsafe path")
    )
