"""The cost of running answers' own unit tests, apart from synth (TST002), for scripts/bench.py.

Two figures:
- as graded: the pytest seconds each answer's tests took inside `iacgrade run` (the `tests_model`
  and `tests_ideal` timings of every result.json), per graded answer and per answer whose tests ran;
- the references' suites: every reference of the benchmark tasks synthesized with its unit tests
  in one warm sandbox. References ship the largest suites of the corpus, so this is the cost when
  every answer brings its tests. pytest's seconds only: the worker each run replaces warms up
  again (~12 s here) while the pool's other workers serve, which the (b)-without-tests line shows.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from iacgrade.harness.core.tasks import load_task
from iacgrade.harness.pipeline.grade import GradeOptions, synth_plan
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.registry import platform_for
from iacgrade.harness.sandbox import make_sandbox


def as_graded(run_dir: Path) -> dict[str, Any]:
    """Test seconds per answer in a finished run directory."""
    seconds: list[float] = []
    answers = 0
    for path in sorted(run_dir.glob("*/result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        timings = result.get("timings") or {}
        for side in ("model", "ideal"):
            if f"synth_{side}" in timings:
                answers += 1
            if f"tests_{side}" in timings:
                seconds.append(float(timings[f"tests_{side}"]))
    return {
        "answers": answers,
        "answers_with_tests_run": len(seconds),
        "test_seconds": round(sum(seconds), 2),
        "per_answer_seconds": round(sum(seconds) / answers, 3) if answers else 0.0,
        "per_tested_answer_seconds": round(statistics.mean(seconds), 3) if seconds else 0.0,
    }


def reference_suites(task_dirs: list[Path], sandbox_kind: str) -> dict[str, Any]:
    """Each reference synthesized with its unit tests in one warm sandbox."""
    options = GradeOptions()
    sandbox = make_sandbox(sandbox_kind, slots=1)
    pytest_s: list[float] = []
    tests = 0
    failing: list[str] = []
    try:
        for task_dir in task_dirs:
            task = load_task(task_dir)
            platform = platform_for(task.metadata)
            if platform is None or not (task_dir / "ideal").is_dir():
                continue
            ws = build_workspace(task, "ideal", platform)
            if not ws.has_code or not ws.entry:
                continue
            with_tests = synth_plan(ws, options, run_tests=True)
            if not with_tests.runs_tests:
                continue
            run = sandbox.synth(with_tests.request).tests
            if run is None or not run.ran:
                continue
            pytest_s.append(run.seconds)
            tests += run.counts.get("collected", 0)
            if run.failed:
                failing.append(task.id)
    finally:
        sandbox.close()
    return {
        "suites": len(pytest_s),
        "tests": tests,
        "pytest_seconds_mean": round(statistics.mean(pytest_s), 3) if pytest_s else 0.0,
        "pytest_seconds_median": round(statistics.median(pytest_s), 3) if pytest_s else 0.0,
        "pytest_seconds_max": round(max(pytest_s), 3) if pytest_s else 0.0,
        "seconds_per_test": round(sum(pytest_s) / tests, 3) if tests else 0.0,
        "suites_with_failures": failing,
    }
