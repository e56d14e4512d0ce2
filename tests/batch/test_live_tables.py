"""results.csv and findings.csv grow while a run goes, and end as they always did.

An executor that hands back hand-made results lets the test look at the run directory between
two finished tasks: each finished task has its row, no row is torn, the dashboard renders the
partial run, and the files the run ends with are byte for byte those written from every result.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from iacgrade.harness.batch.executor import OnResult
from iacgrade.harness.batch.plan import Job
from iacgrade.harness.batch.runner import run_batch, write_task_result
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.reports.dashboard import render_dashboard
from iacgrade.reports.live import LIVE_RESULTS_COLUMNS, LiveTables, complete_lines
from iacgrade.reports.writers import write_findings_csv, write_results_csv
from tests.reports.test_dashboard import AWS, PY, SYN, make_failure, make_result, parse


def results() -> dict[str, TaskResult]:
    return {
        "a1": make_result("a1", 6.5, [make_failure(*SYN), make_failure(*PY)]),
        "a2": make_result(
            "a2", None, status=TaskStatus.INVALID, reason="no answer:\nline two", metadata={}, ideal=None
        ),
        "a3": make_result("a3", 9.0, [make_failure(*AWS)], metadata={"training_quality": 8}),
        "a4": make_result("a4", 10.0, []),
    }


class Scripted:
    """Grades by looking the result up; between two results, records what a reader would see."""

    regrade = False

    def __init__(self, run_dir: Path, done: dict[str, TaskResult]) -> None:
        self.run_dir = run_dir
        self.done = done
        self.seen: list[pd.DataFrame] = []
        self.pages: list[list[str]] = []

    def describe(self) -> str:
        return "scripted"

    def grade(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        # Finished last to first: a live table lists tasks in the order they finish.
        for job in reversed(jobs):
            on_result(self.done[job.task_id])
            text = (self.run_dir / "results.csv").read_text(encoding="utf-8")
            self.seen.append(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
            page = parse(render_dashboard([self.run_dir], self.run_dir / "index.html"))
            self.pages.append([r["data-task"] for r in page.rows["task-table"]])


def test_tables_grow_per_task_and_end_as_before(tmp_path: Path) -> None:
    done = results()
    run_dir = tmp_path / "run"
    # An earlier run finished a1: its row is there from the start.
    write_task_result(done["a1"], run_dir / "a1")
    executor = Scripted(run_dir, done)
    summary = run_batch([tmp_path / "tasks" / t for t in done], run_dir, executor)
    assert summary.graded_now == 3

    assert [list(frame["task_id"]) for frame in executor.seen] == [
        ["a1", "a4"],
        ["a1", "a4", "a3"],
        ["a1", "a4", "a3", "a2"],
    ]
    assert executor.pages == [["a1", "a4"], ["a1", "a4", "a3"], ["a1", "a4", "a3", "a2"]]
    partial = executor.seen[-1]
    assert tuple(partial.columns) == LIVE_RESULTS_COLUMNS
    # A line break in a cell would make a row two lines while the run goes: it is a space there.
    assert partial.set_index("task_id").loc["a2", "reason"] == "no answer: line two"
    assert partial.set_index("task_id").loc["a3", "training_quality"] == "8"

    # The run ends with the tables it always wrote: task order, present columns, cells as they are.
    expected = tmp_path / "expected"
    ordered = [done[t] for t in sorted(done)]
    write_results_csv(ordered, expected / "results.csv")
    write_findings_csv(ordered, expected / "findings.csv")
    for name in ("results.csv", "findings.csv"):
        assert (run_dir / name).read_bytes() == (expected / name).read_bytes(), name


def test_findings_grow_with_their_task(tmp_path: Path) -> None:
    done = results()
    run_dir = tmp_path / "run"
    seen: list[list[str]] = []

    class Peek(Scripted):
        def grade(self, jobs: Sequence[Job], on_result: OnResult) -> None:
            for job in jobs:
                on_result(self.done[job.task_id])
                findings = pd.read_csv(run_dir / "findings.csv", dtype=str)
                seen.append(list(findings["rule_id"]))

    run_batch([tmp_path / "tasks" / t for t in done], run_dir, Peek(run_dir, done))
    # a1, a2 (invalid: no failures), a3, a4 (none either)
    first, third = ["SYN001", "PY001"], ["SYN001", "PY001", "AWS003"]
    assert seen == [first, first, third, third]


def test_a_reader_drops_an_unfinished_line() -> None:
    assert complete_lines("a,b\n1,2\n3,") == "a,b\n1,2\n"
    assert complete_lines("a,b\n1,2\n") == "a,b\n1,2\n"
    assert complete_lines("") == ""


def test_the_dashboard_skips_a_row_being_written(tmp_path: Path) -> None:
    done = results()
    run_dir = tmp_path / "run"
    for task_id in ("a1", "a3"):
        write_task_result(done[task_id], run_dir / task_id)
    LiveTables(run_dir, [done["a1"]])
    # a3's row, caught halfway through its write.
    with (run_dir / "results.csv").open("a", encoding="utf-8") as handle:
        handle.write("a3,graded,,9.0,")
    page = parse(render_dashboard([run_dir], run_dir / "index.html"))
    assert [r["data-task"] for r in page.rows["task-table"]] == ["a1"]
