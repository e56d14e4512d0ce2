"""What a batch run must do: its tasks, the ones an earlier run finished, and the ones to grade now.

A run directory holds `<task_id>/result.json` (with `analysis.md` and `result.sarif`) per task and
the batch tables at its top. A stored result counts as finished whatever rule versions graded it,
so resuming never redoes work behind the user's back; a result the infrastructure spoiled
(`RETRY_ON_RESUME`) is redone. When regrading (`--regrade`), a result graded by other rule versions
is not finished either, and its stored synth output travels with the task to whatever grades it.
Every executor runs from the same plan, so a run directory resumes whichever one wrote it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from iacgrade.graders.registry import rules_version
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.core.tasks import discover
from iacgrade.reports.writers import RESULT_NAME

log = logging.getLogger(__name__)

# Finished results with these statuses are redone on resume: the infrastructure, not the
# task, was at fault.
RETRY_ON_RESUME = {TaskStatus.INFRA_ERROR}


@dataclass(frozen=True)
class Job:
    """One task to grade now, with the result an earlier run stored for it (to redo), if any."""

    task_dir: Path
    earlier: TaskResult | None = None

    @property
    def task_id(self) -> str:
        return self.task_dir.name


@dataclass(frozen=True)
class RunPlan:
    run_dir: Path
    # Every task of the run, in the order the batch tables list them.
    task_dirs: list[Path]
    # Results an earlier run stored that stand as they are, by task id.
    finished: dict[str, TaskResult]
    todo: list[Job]


def plan_run(paths: Iterable[Path], run_dir: Path, regrade: bool = False) -> RunPlan:
    """The tasks under `paths`, split into those `run_dir` already holds and those to grade now."""
    task_dirs = unique_ids(discover(list(paths)))
    rules = rules_version() if regrade else None
    finished: dict[str, TaskResult] = {}
    todo: list[Job] = []
    for task_dir in task_dirs:
        stored = load_stored(run_dir, task_dir.name)
        if stored is not None and is_finished(stored, rules):
            finished[task_dir.name] = stored
        else:
            todo.append(Job(task_dir, stored))
    return RunPlan(run_dir=run_dir, task_dirs=task_dirs, finished=finished, todo=todo)


def task_out_dir(run_dir: Path, task_id: str) -> Path:
    return run_dir / task_id


def is_finished(result: TaskResult, rules: str | None = None) -> bool:
    """Whether a stored result needs no redo; with `rules` (regrading), it must be graded by them."""
    if result.status in RETRY_ON_RESUME:
        return False
    return rules is None or result.status is not TaskStatus.GRADED or result.versions.get("rules") == rules


def load_stored(run_dir: Path, task_id: str) -> TaskResult | None:
    """The result an earlier run stored for a task, whatever its status; None when there is none."""
    path = task_out_dir(run_dir, task_id) / RESULT_NAME
    if not path.is_file():
        return None
    try:
        return TaskResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, json.JSONDecodeError, OSError):
        return None  # a torn or foreign file is redone, not trusted


def load_finished(run_dir: Path, task_id: str, rules: str | None = None) -> TaskResult | None:
    """The stored result of a task, if it finished in an earlier run and needs no redo.

    With `rules` (a `rules_version()` string: regrading), a result graded by other rule versions
    is not finished.
    """
    result = load_stored(run_dir, task_id)
    return result if result is not None and is_finished(result, rules) else None


def unique_ids(task_dirs: list[Path]) -> list[Path]:
    """Task ids name folders in the run directory, so two tasks with one name would collide."""
    seen: dict[str, Path] = {}
    for t in task_dirs:
        if t.name in seen and seen[t.name].resolve() != t.resolve():
            log.warning("two tasks are named %s (%s and %s): grading the first only", t.name, seen[t.name], t)
            continue
        seen.setdefault(t.name, t)
    return list(seen.values())
