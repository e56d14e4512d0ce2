"""A run killed with SIGKILL mid-batch, then started again, loses nothing and redoes nothing.

The batch runs as a real `iacgrade run` in its own process group, which is killed as a whole once
some but not all tasks have a result. The resumed run must leave the finished tasks' files
untouched and end with the same `results.csv` and `findings.csv` as a run never interrupted.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iacgrade.harness.core.results import TaskResult
from iacgrade.reports.writers import TIMING_COLUMNS
from tests.paths import REPO

pytestmark = pytest.mark.synth

ROOT = REPO
# Sorted by name, which is the order a one-slot run grades them in; the invalid task comes last
# so the kill lands while real synthesis is under way.
TASKS = {
    "t1-clean": "clean-s3-static-site",
    "t2-seed": "seed-multi-region-dr",
    "t3-prose": "prose-ideal",
    "t4-clean": "clean-s3-static-site",
    "t5-seed": "seed-multi-region-dr",
    "t6-malformed": "malformed-missing-model",
}
UNTIMED = {*TIMING_COLUMNS.values(), "seconds"}
RUN_TIMEOUT = 600


def command(tasks: Path, out: Path) -> list[str]:
    # No cache: each run must do its own grading, or the comparison would prove nothing.
    cli = [sys.executable, "-m", "iacgrade.harness.cli", "run", str(tasks), "--out", str(out)]
    return [*cli, "--sandbox", "local", "--jobs", "1", "--no-cache"]


def start(tasks: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(tasks, out),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, killed as one
    )


def finished(out: Path) -> list[Path]:
    return sorted(out.glob("*/result.json"))


def untimed_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if k not in UNTIMED} for row in csv.DictReader(handle)]


def test_a_killed_run_resumes_without_losing_or_redoing_work(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    for name, source in TASKS.items():
        shutil.copytree(ROOT / "tasks" / source, tasks / name)
    killed_dir, straight_dir = tmp_path / "killed", tmp_path / "straight"

    proc = start(tasks, killed_dir)
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while not finished(killed_dir) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        done = finished(killed_dir)
        assert proc.poll() is None, "the run ended before it could be killed"
        assert 0 < len(done) < len(TASKS)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    # Nothing torn: every result.json reads back whole, and its analysis.md was written first.
    before = {}
    for path in finished(killed_dir):
        TaskResult.model_validate_json(path.read_text(encoding="utf-8"))
        assert (path.parent / "analysis.md").stat().st_size > 0
        stat = path.stat()
        before[path] = (stat.st_ino, stat.st_mtime_ns)
    assert before

    # The resumed run and a run never interrupted go side by side: two warm workers cost less
    # wall time than one after the other.
    resumed, straight = start(tasks, killed_dir), start(tasks, straight_dir)
    for p in (resumed, straight):
        _, err = p.communicate(timeout=RUN_TIMEOUT)
        assert p.returncode == 0, err.decode(errors="replace")[-2000:]

    for path, identity in before.items():
        stat = path.stat()
        assert (stat.st_ino, stat.st_mtime_ns) == identity, f"{path.parent.name} was graded again"
    assert len(finished(killed_dir)) == len(TASKS)
    assert untimed_rows(killed_dir / "results.csv") == untimed_rows(straight_dir / "results.csv")
    assert (killed_dir / "findings.csv").read_text() == (straight_dir / "findings.csv").read_text()
