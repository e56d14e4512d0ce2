"""The benchmark scripts still load against the packages they time (`make bench` is not run by the
suite: its figures are machine-specific), and the unit-test cost is read from a run's results."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

sys.path.insert(0, str(REPO / "scripts"))
as_graded = importlib.import_module("bench_tests").as_graded


def test_bench_loads_and_prints_its_usage() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--tasks" in done.stdout


def test_test_seconds_per_answer_come_from_the_runs_timings(tmp_path: Path) -> None:
    results = {
        "a": {"synth_model": 1.0, "synth_ideal": 1.0, "tests_model": 2.0, "tests_ideal": 4.0},
        "b": {"synth_model": 1.0},
    }
    for task, timings in results.items():
        (tmp_path / task).mkdir()
        (tmp_path / task / "result.json").write_text(json.dumps({"timings": timings}))
    graded = as_graded(tmp_path)
    assert graded["answers"] == 3 and graded["answers_with_tests_run"] == 2
    assert graded["test_seconds"] == 6.0 and graded["per_answer_seconds"] == 2.0
    assert graded["per_tested_answer_seconds"] == 3.0
