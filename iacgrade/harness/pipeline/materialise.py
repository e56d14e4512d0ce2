"""Turning one side of a task into a workspace: extract the answer's files, then lay them out as
the task's platform builds a project."""

from __future__ import annotations

from iacgrade.harness.core.extraction import Extraction
from iacgrade.harness.core.tasks import Task
from iacgrade.harness.core.workspace import SIDES, Workspace
from iacgrade.harness.platforms.base import Platform


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
        extraction = platform.extract(markdown)
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
    if not platform.has_code(answer):
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
            notes=(f"the answer contains no {platform.code_kind} code", *extraction_notes),
            truncated=truncated,
            docs=docs,
            platform=platform.name,
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
        platform=platform.name,
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
