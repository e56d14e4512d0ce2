"""The cost of running answers' own unit tests, apart from synth (TST002), for scripts/bench.py.

Two figures:
- as graded: the pytest seconds each answer's tests took inside `iacgrade run` (the `tests_model`
  and `tests_ideal` timings of every result.json), per graded answer and per answer whose tests ran;
- the references' suites: every reference of the benchmark tasks synthesized once with its unit
  tests and once without, in the same warm workers. References ship the largest suites of the
  corpus, so this is the cost when every answer brings its tests.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from harness.core.tasks import load_task
from harness.pipeline.grade import GradeOptions, synth_plan
from harness.pipeline.materialise import build_workspace
from harness.platforms.registry import platform_for
from harness.sandbox import make_sandbox


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
    """Each reference synthesized with and without its unit tests in one warm sandbox."""
    options = GradeOptions()
    sandbox = make_sandbox(sandbox_kind, slots=1)
    pytest_s: list[float] = []
    extra_s: list[float] = []
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
            plain = _timed(sandbox, synth_plan(ws, options).request)[1]
            result, tested = _timed(sandbox, with_tests.request)
            run = result.tests
            if run is None or not run.ran:
                continue
            pytest_s.append(run.seconds)
            extra_s.append(max(0.0, tested - plain))
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
        "added_wall_seconds_mean": round(statistics.mean(extra_s), 3) if extra_s else 0.0,
        "suites_with_failures": failing,
    }


def _timed(sandbox: Any, request: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = sandbox.synth(request)
    return result, time.perf_counter() - start
