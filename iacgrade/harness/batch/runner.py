"""Grading many tasks: one orchestration, whatever executor grades them.

`run_batch` plans the run (plan.py: which tasks an earlier run finished, which to grade now), has
an executor (executor.py: threads; ray.py: Ray actors) grade the rest, writes each task's files
atomically the moment its result arrives (appending its rows to `results.csv` and `findings.csv`,
reports/live.py, so a dashboard can be built while the run goes), and at the end rebuilds
`results.csv`, `findings.csv` and `results.sarif` from every result, so a killed run resumes
where it stopped and ends with the same tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from iacgrade.harness.batch.executor import Executor
from iacgrade.harness.batch.gcpace import batch_pace
from iacgrade.harness.batch.plan import RunPlan, plan_run, task_out_dir
from iacgrade.harness.core.results import TaskResult
from iacgrade.reports.live import LiveTables
from iacgrade.reports.sarif import write_run_sarif, write_task_sarif
from iacgrade.reports.writers import write_findings_csv, write_results_csv, write_task_outputs

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    run_dir: Path
    total: int
    graded_now: int
    skipped: int
    results: list[TaskResult]
    seconds: float
    executor: str = ""

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status.value] = out.get(r.status.value, 0) + 1
        return out


def run_batch(
    paths: Iterable[Path],
    run_dir: Path,
    executor: Executor,
    on_done: Callable[[TaskResult, bool], None] | None = None,
) -> RunSummary:
    """Grade every task under `paths` into `run_dir` with `executor`, skipping those finished there.

    `on_done(result, reused)` hears of every task: first those reused from an earlier run, then
    each graded one as it finishes. An executor that regrades (`--regrade`) also redoes results
    graded by other rule versions.
    """
    start = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_run(paths, run_dir, regrade=executor.regrade)
    results = dict(plan.finished)
    tables = LiveTables(run_dir, plan.finished.values())
    if on_done:
        for done in plan.finished.values():
            on_done(done, True)

    def record(result: TaskResult) -> None:
        write_task_result(result, task_out_dir(run_dir, result.task_id))
        tables.add(result)
        results[result.task_id] = result
        if on_done:
            on_done(result, False)

    described = executor.describe()
    with batch_pace():
        if plan.todo:
            log.info("grading %d task(s) on %s", len(plan.todo), described)
            executor.grade(plan.todo, record)
        return finish_run(plan, results, start, described)


def write_task_result(result: TaskResult, out_dir: Path) -> None:
    """All of one task's files; result.json goes last, so its presence means the task is done."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_task_sarif(result, out_dir)
    write_task_outputs(result, out_dir)


def finish_run(plan: RunPlan, results: dict[str, TaskResult], start: float, executor: str) -> RunSummary:
    """Write the run's tables from every result, in task order, and summarise the run."""
    ordered = [results[t.name] for t in plan.task_dirs if t.name in results]
    write_run_tables(ordered, plan.run_dir)
    total, graded_now = len(plan.task_dirs), len(plan.todo)
    return RunSummary(
        run_dir=plan.run_dir,
        total=total,
        graded_now=graded_now,
        skipped=total - graded_now,
        results=ordered,
        seconds=time.perf_counter() - start,
        executor=executor,
    )


def write_run_tables(results: list[TaskResult], run_dir: Path) -> None:
    """The batch files, rebuilt from the stored results so a resumed run ends with the same ones."""
    write_results_csv(results, run_dir / "results.csv")
    write_findings_csv(results, run_dir / "findings.csv")
    write_run_sarif(results, run_dir / "results.sarif")
