"""Turning one answer into a workspace: the files a sandbox synthesizes, and where each came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from harness.extract import Extraction, extract_files
from harness.platforms import Platform, ProjectLayout
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
    # Answer files whose text stops mid-statement: path -> the 1-based line where it stops. The
    # workspace holds the whole statements before that line (see harness.extract).
    truncated: dict[str, int] = field(default_factory=dict)
    # Binary archives the answer keeps beside its code (base64 by path): the reference's
    # committed Lambda zips. Written into the sandbox with the files; no rule reads them as text.
    archives: dict[str, str] = field(default_factory=dict)
    # The answer's own prose by name (its markdown): build steps it writes down (`zip -r ...`,
    # `pip install -t ...`) that no sandbox runs. Read by ENV001; nothing is synthesized from it.
    docs: dict[str, str] = field(default_factory=dict)

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


def build_workspace(task: Task, side: str, platform: Platform) -> Workspace:
    """Materialise `side` ("model" or "ideal") of `task` as a workspace."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    extraction: Extraction | None = None
    archives: dict[str, str] = {}
    markdown = task.model_md if side == "model" else (task.ideal_md or "")
    docs = {f"{side.upper()}_RESPONSE.md": markdown} if markdown.strip() else {}
    if side == "ideal" and task.ideal_tree:
        answer = dict(task.ideal_tree)
        archives = dict(task.ideal_archives)
        origins = {p: "answer:ideal-tree" for p in answer}
    else:
        extraction = extract_files(markdown)
        answer, origins = {}, {}
        for f in extraction.files:
            # A partial snippet is not a file of the project: building with it would fail for a
            # reason the answer's author never wrote.
            if f.fragment:
                continue
            answer[f.path] = f.content
            origins[f.path] = f"answer:{f.how}"
    truncated = {p: line for p, line in (extraction.truncated if extraction else {}).items() if p in answer}
    extraction_notes = (*_refused_notes(extraction), *_truncated_notes(truncated, answer))
    # Code is any Python file placed: a file cut off mid-statement counts, as do the statements it keeps.
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
            notes=("the answer contains no Python code", *extraction_notes),
            truncated=truncated,
            docs=docs,
        )
    layout = platform.layout(answer, task.shared_files, origins)
    return Workspace.from_layout(
        task.id,
        side,
        layout,
        extraction=extraction,
        notes=(*layout.notes, *extraction_notes),
        truncated=truncated,
        archives=archives,
        docs=docs,
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


def _truncated_notes(truncated: dict[str, int], answer: dict[str, str]) -> tuple[str, ...]:
    """What was built from a file cut off mid-statement: a reviewer must know lines were dropped."""
    notes = []
    for path, line in sorted(truncated.items()):
        kept = len(answer[path].splitlines())
        notes.append(
            f"{path} stops mid-statement at line {line}: the workspace keeps its whole statements "
            f"before it ({kept} lines) so that what was written can be synthesized"
        )
    return tuple(notes)
