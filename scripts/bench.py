"""Benchmark grading N corpus tasks three ways, and write bench/results.json.

(a) per process: what a user does by hand, one fresh `python <entry>` per answer (the workspace
    iacgrade builds, the environment its worker gets), one after the other;
(b) cold: `iacgrade run --jobs J` with an empty result cache and a new run directory;
(c) cached: the same again with the cache (b) filled, into another new run directory.

It prints wall time, answers per minute, the speed-ups a/b and a/c, the peak memory of a warm
worker (its Python and its jsii node kernel together, sampled from /proc while (b) runs), the
time a fresh process takes to load the provider API index, and apart from all of it what running
answers' own unit tests costs (scripts/bench_tests.py): per answer as (b) graded them, against (b)
again with `--no-tests`, and (d) the references' suites run in warm workers.

    python scripts/bench.py                 # 20 tasks of ../shared/corpus/dev
    python scripts/bench.py --tasks 5 --jobs 2 --sandbox local
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_tests import as_graded, reference_suites  # noqa: E402

from iacgrade.harness.core.tasks import discover, load_task  # noqa: E402
from iacgrade.harness.core.workspace import Workspace  # noqa: E402
from iacgrade.harness.pipeline.materialise import build_workspace  # noqa: E402
from iacgrade.harness.platforms.cdktf_python.worker.worker import DEFAULT_ENV  # noqa: E402 - the repository goes on the path first
from iacgrade.harness.platforms.registry import platform_for  # noqa: E402
from iacgrade.harness.sandbox.local import default_jsii_cache, group_memory, worker_env  # noqa: E402
from iacgrade.reports.writers import TIMING_COLUMNS  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dev"
ANSWER_TIMEOUT = 300.0
SAMPLE_SECONDS = 0.2


@dataclass
class Mode:
    seconds: float
    answers: int
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def per_minute(self) -> float:
        return self.answers * 60.0 / self.seconds if self.seconds else 0.0


def answers_of(task_dirs: list[Path]) -> list[Workspace]:
    """Every answer (model and reference) that has code to run, as iacgrade lays it out."""
    found: list[Workspace] = []
    for task_dir in task_dirs:
        try:
            task = load_task(task_dir)
        except Exception:  # noqa: BLE001 - an unreadable task has no answer to time
            continue
        plat = platform_for(task.metadata)
        if plat is None:
            continue
        sides = ("model", "ideal") if task.has_reference else ("model",)
        for side in sides:
            ws = build_workspace(task, side, plat)
            if ws.has_code and ws.entry:
                found.append(ws)
    return found


def run_per_process(answers: list[Workspace]) -> Mode:
    """(a) One fresh interpreter per answer running its entry point, as `cdktf synth` would."""
    jsii_cache = default_jsii_cache()
    outcomes = {"ok": 0, "failed": 0, "timeout": 0}
    start = time.perf_counter()
    for ws in answers:
        with tempfile.TemporaryDirectory(prefix="iacgrade-bench-app-") as tmp:
            root = Path(tmp)
            (root / "tmp").mkdir()
            for rel, text in ws.files.items():
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            env = worker_env(root, DEFAULT_ENV, jsii_cache)
            env["PYTHONPATH"] = str(root)  # the worker puts the workspace on sys.path too
            try:
                proc = subprocess.run(
                    [sys.executable, ws.entry],
                    cwd=root,
                    env=env,
                    capture_output=True,
                    timeout=ANSWER_TIMEOUT,
                    check=False,
                )
                outcomes["ok" if proc.returncode == 0 else "failed"] += 1
            except subprocess.TimeoutExpired:
                outcomes["timeout"] += 1
    return Mode(time.perf_counter() - start, len(answers), {"outcomes": outcomes})


class WorkerSampler:
    """Samples the RSS of every synth worker (with its node kernel) under a process, keeping the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            for worker in _workers_under(self.pid):
                self.peak = max(self.peak, group_memory(worker)[0])

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _workers_under(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        for child in _children(current):
            if _is_worker(child):
                found.append(child)  # its node kernel is counted by group_memory
            else:
                pending.append(child)
    return found


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(c) for c in handle.read().split()]
    except (OSError, ValueError):
        return []


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"worker.py" in handle.read()
    except OSError:
        return False


def run_iacgrade(
    tasks: Path, out: Path, cache: Path, jobs: int, sandbox: str, answers: int, *extra: str
) -> Mode:
    """(b) and (c): one `iacgrade run`, timed from the outside like a user would."""
    command = [str(Path(sys.executable).with_name("iacgrade")), "run", str(tasks), "--out", str(out)]
    command += ["--jobs", str(jobs), "--sandbox", sandbox, "--cache-dir", str(cache), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = WorkerSampler(proc.pid)
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    peak = sampler.stop()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"iacgrade run failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return Mode(seconds, answers, {"worker_peak_rss_bytes": peak, "exit_code": proc.returncode})


def untimed_rows(path: Path) -> list[dict[str, str]]:
    skip = {*TIMING_COLUMNS.values(), "seconds"}
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if k not in skip} for row in csv.DictReader(handle)]


def index_load_ms(runs: int = 3) -> float:
    """Median cold load of the provider API index in a fresh interpreter (scripts/bench_index.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_index import probe

    env = dict(os.environ)
    probe(env)  # builds the index once if its cache is empty, so the loads below are loads
    return statistics.median(probe(env)["load"] for _ in range(runs)) * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20, help="how many corpus tasks (default 20)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, default=2, help="iacgrade run --jobs (default 2)")
    parser.add_argument("--sandbox", default="local", help="iacgrade run --sandbox (default local)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    # A stopped benchmark unwinds, so the app or `iacgrade run` it is timing is killed with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    task_dirs = discover([args.corpus])[: args.tasks]
    if not task_dirs:
        print(f"no tasks under {args.corpus}", file=sys.stderr)
        return 2
    answers = answers_of(task_dirs)
    print(f"{len(task_dirs)} tasks, {len(answers)} answers with code; {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="iacgrade-bench-") as tmp:
        work = Path(tmp)
        tasks = work / "tasks"
        tasks.mkdir()
        for task_dir in task_dirs:
            (tasks / task_dir.name).symlink_to(task_dir.resolve())
        print("(b) iacgrade run, cold ...", flush=True)
        cold = run_iacgrade(tasks, work / "cold", work / "cache", args.jobs, args.sandbox, len(answers))
        print("(c) iacgrade run, from cache ...", flush=True)
        cached = run_iacgrade(tasks, work / "cached", work / "cache", args.jobs, args.sandbox, len(answers))
        same = untimed_rows(work / "cold" / "results.csv") == untimed_rows(work / "cached" / "results.csv")
        graded_tests = as_graded(work / "cold")
        print("(b) again, cold, without running answers' unit tests ...", flush=True)
        bare = run_iacgrade(
            tasks,
            work / "no-tests",
            work / "cache-no-tests",
            args.jobs,
            args.sandbox,
            len(answers),
            "--no-tests",
        )
        added = (cold.seconds - bare.seconds) / len(answers)
        graded_tests.update(
            cold_seconds_without_tests=round(bare.seconds, 2), added_wall_per_answer_seconds=round(added, 3)
        )
        print("(d) the references' unit tests, in warm workers ...", flush=True)
        suites = reference_suites(task_dirs, args.sandbox)
        print("(a) one process per answer ...", flush=True)
        per_process = run_per_process(answers)
    index_ms = index_load_ms()

    peak = int(cold.detail["worker_peak_rss_bytes"])  # type: ignore[call-overload]
    results = {
        "tasks": len(task_dirs),
        "answers": len(answers),
        "jobs": args.jobs,
        "sandbox": args.sandbox,
        "per_process_seconds": round(per_process.seconds, 2),
        "cold_seconds": round(cold.seconds, 2),
        "cached_seconds": round(cached.seconds, 2),
        "answers_per_minute": {
            "per_process": round(per_process.per_minute, 1),
            "cold": round(cold.per_minute, 1),
            "cached": round(cached.per_minute, 1),
        },
        "cold_speedup": round(per_process.seconds / cold.seconds, 2),
        "cached_speedup": round(per_process.seconds / cached.seconds, 2),
        "worker_peak_rss_mb": round(peak / 2**20, 1),
        "index_load_ms": round(index_ms, 1),
        "cached_results_match_cold": same,
        "unit_tests": {"as_graded": graded_tests, "reference_suites": suites},
        "per_process_outcomes": per_process.detail["outcomes"],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    rows = [("(a) per process", per_process), ("(b) iacgrade cold", cold), ("(c) iacgrade cached", cached)]
    print(f"\n{'way':<22}{'wall s':>10}{'answers/min':>14}{'vs (a)':>10}")
    for label, mode in rows:
        ratio = per_process.seconds / mode.seconds
        print(f"{label:<22}{mode.seconds:>10.1f}{mode.per_minute:>14.1f}{ratio:>9.1f}x")
    print(f"\nworker peak RSS (python + node): {results['worker_peak_rss_mb']} MB")
    print(f"provider API index load (fresh process): {results['index_load_ms']} ms")
    print(f"cached results equal cold results: {same}")
    print(
        f"unit tests as graded in (b): {graded_tests['answers_with_tests_run']} of {graded_tests['answers']} "
        f"answers ran theirs, {graded_tests['test_seconds']} s in all: "
        f"{graded_tests['per_answer_seconds']} s per answer, "
        f"{graded_tests['per_tested_answer_seconds']} s per answer whose tests ran; (b) without tests "
        f"{graded_tests['cold_seconds_without_tests']} s: {graded_tests['added_wall_per_answer_seconds']} s "
        "of wall per answer (pytest and the workers test runs replace)"
    )
    print(
        f"(d) references' suites: {suites['suites']} suites, {suites['tests']} tests; pytest "
        f"{suites['pytest_seconds_mean']} s mean, {suites['pytest_seconds_median']} s median, "
        f"{suites['pytest_seconds_max']} s max per answer ({suites['seconds_per_test']} s per test)"
    )
    print(f"written: {args.output}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
