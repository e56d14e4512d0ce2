"""Grading many tasks: resumable run directories, parallel slots, a progress bar, the CSV.

A run directory holds `<task_id>/result.json` and `<task_id>/analysis.md` per task, each written
atomically the moment the task is done, and `results.csv` for the batch, rebuilt from those
files at the end, so a killed run resumes where it stopped and ends with the same CSV.

A stored result counts as finished whatever rule versions graded it, so resuming never redoes
work behind the user's back. With `regrade`, a result graded by other rule versions (or not at
all) is graded again from stored synth output: the sandbox is then a `StoredSynth`, which never
starts a worker.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from graders.registry import rules_version
from harness.core.results import TaskResult, TaskStatus
from harness.core.tasks import discover
from harness.pipeline.cached import StoredSynth
from harness.pipeline.grade import GradeOptions, grade_path
from harness.sandbox.base import Sandbox
from reports.sarif import write_run_sarif, write_task_sarif
from reports.writers import write_findings_csv, write_results_csv, write_task_outputs

log = logging.getLogger(__name__)

# Finished results with these statuses are redone on resume: the infrastructure, not the
# task, was at fault.
RETRY_ON_RESUME = {TaskStatus.INFRA_ERROR}


@dataclass
class RunSummary:
    run_dir: Path
    total: int
    graded_now: int
    skipped: int
    results: list[TaskResult]
    seconds: float

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status.value] = out.get(r.status.value, 0) + 1
        return out


def task_out_dir(run_dir: Path, task_id: str) -> Path:
    return run_dir / task_id


def load_stored(run_dir: Path, task_id: str) -> TaskResult | None:
    """The result an earlier run stored for a task, whatever its status; None when there is none."""
    path = task_out_dir(run_dir, task_id) / "result.json"
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
    if result is None or result.status in RETRY_ON_RESUME:
        return None
    if rules is not None and result.status is TaskStatus.GRADED and result.versions.get("rules") != rules:
        return None
    return result


def run_batch(
    paths: Iterable[Path],
    run_dir: Path,
    sandbox: Sandbox,
    options: GradeOptions | None = None,
    jobs: int = 1,
    on_done: Callable[[TaskResult, bool], None] | None = None,
    regrade: bool = False,
) -> RunSummary:
    """Grade every task under `paths` into `run_dir`, skipping those already finished there.

    With `regrade`, results graded by other rule versions are graded again too.
    """
    start = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    task_dirs = unique_ids(discover(list(paths)))
    results: dict[str, TaskResult] = {}
    todo: list[Path] = []
    rules = rules_version() if regrade else None
    for task_dir in task_dirs:
        done = load_finished(run_dir, task_dir.name, rules)
        if done is None and isinstance(sandbox, StoredSynth):
            earlier = load_stored(run_dir, task_dir.name)
            if earlier is not None:
                sandbox.remember(earlier)
        if done is not None:
            results[task_dir.name] = done
            if on_done:
                on_done(done, True)
        else:
            todo.append(task_dir)
    lock = threading.Lock()

    def work(task_dir: Path) -> TaskResult:
        result = grade_path(task_dir, sandbox, options)
        write_task_result(result, task_out_dir(run_dir, result.task_id))
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade") as pool:
        pending: set[Future[TaskResult]] = {pool.submit(work, t) for t in todo}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                result = fut.result()
                with lock:
                    results[result.task_id] = result
                if on_done:
                    on_done(result, False)
    return finish_run(run_dir, task_dirs, results, len(todo), start)


def write_task_result(result: TaskResult, out_dir: Path) -> None:
    """All of one task's files; result.json goes last, so its presence means the task is done."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_task_sarif(result, out_dir)
    write_task_outputs(result, out_dir)


def finish_run(
    run_dir: Path, task_dirs: list[Path], results: dict[str, TaskResult], graded_now: int, start: float
) -> RunSummary:
    """Write the run's tables from every result, in task order, and summarise the run."""
    ordered = [results[t.name] for t in task_dirs if t.name in results]
    write_run_tables(ordered, run_dir)
    return RunSummary(
        run_dir=run_dir,
        total=len(task_dirs),
        graded_now=graded_now,
        skipped=len(task_dirs) - graded_now,
        results=ordered,
        seconds=time.perf_counter() - start,
    )


def write_run_tables(results: list[TaskResult], run_dir: Path) -> None:
    """The batch files, rebuilt from the stored results so a resumed run ends with the same ones."""
    write_results_csv(results, run_dir / "results.csv")
    write_findings_csv(results, run_dir / "findings.csv")
    write_run_sarif(results, run_dir / "results.sarif")


def unique_ids(task_dirs: list[Path]) -> list[Path]:
    """Task ids name folders in the run directory, so two tasks with one name would collide."""
    seen: dict[str, Path] = {}
    for t in task_dirs:
        if t.name in seen and seen[t.name].resolve() != t.resolve():
            log.warning("two tasks are named %s (%s and %s): grading the first only", t.name, seen[t.name], t)
            continue
        seen.setdefault(t.name, t)
    return list(seen.values())
