"""Re-grading cached tasks: how long `iacgrade run` takes when every synth and rule output is stored.

The corpora's tasks are graded once into a result cache of the benchmark's own (kept between runs
under bench/regrade-cache, so a second `make bench` skips the fill), then N task gradings are
timed in one `iacgrade run` from the outside, process start and the batch tables included: the
tasks again under distinct ids (`<k>~<task>`, symlinks in a temporary folder) until N are
reached, into a new run directory. Copies of one task are graded a whole corpus apart, so what
the process keeps of its last few answers (parsed sources) does not serve the next copy. It
checks that every copy's result equals the filled run's, and prints tasks per second, seconds per
task and the projection to 1,000 tasks.

    python scripts/bench_regrade.py                                 # HCL, CloudFormation and CDKTF dev
    python scripts/bench_regrade.py --tasks 200 --corpus ../shared/corpus/dev-tf-hcl
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iacgrade.harness.core.tasks import discover  # noqa: E402 - the repository goes on the path first
from iacgrade.reports.writers import RUN_FACT_COLUMNS  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_CORPORA = [CORPUS / "dev-tf-hcl", CORPUS / "dev-cfn-yaml", CORPUS / "dev"]
SEP = "~"


def iacgrade_run(tasks: Path, out: Path, cache: Path, jobs: int, sandbox: str) -> tuple[float, float]:
    """One `iacgrade run`, timed from the outside: wall seconds, and the CPU seconds it used (what
    the wall time would be on an idle machine, less waits for the disk). Its auto-prune is left
    off, as the cache is the benchmark's own."""
    command = [sys.executable, "-m", "iacgrade.harness.cli", "run", str(tasks), "--out", str(out)]
    command += ["--jobs", str(jobs), "--sandbox", sandbox, "--cache-dir", str(cache)]
    env = {**os.environ, "IACGRADE_CACHE_MAX_SIZE": "none", "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"iacgrade run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def rows_by_task(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return {
            r["task_id"]: {k: v for k, v in r.items() if k not in RUN_FACT_COLUMNS and k != "task_id"}
            for r in rows
        }


def copies(task_dirs: list[Path], n: int, folder: Path) -> int:
    """`n` task folders under `folder`: the tasks again and again, each copy under its own id."""
    folder.mkdir(parents=True)
    for i in range(n):
        task = task_dirs[i % len(task_dirs)]
        (folder / f"{i // len(task_dirs)}{SEP}{task.name}").symlink_to(task.resolve())
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", help="a corpus (repeatable; default: three)")
    parser.add_argument("--tasks", type=int, default=1000, help="task gradings to time (default 1000)")
    parser.add_argument("--jobs", type=int, default=1, help="iacgrade run --jobs (default 1)")
    parser.add_argument("--sandbox", default="local", help="where the fill synthesizes (default local)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "bench" / "regrade-cache")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "regrade.json")
    args = parser.parse_args()
    corpora = args.corpus or [c for c in DEFAULT_CORPORA if c.is_dir()]
    task_dirs = discover(corpora)
    if not task_dirs:
        print(f"no tasks under {', '.join(map(str, corpora))}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="iacgrade-regrade-") as tmp:
        work = Path(tmp)
        print(f"fill: {len(task_dirs)} tasks into {args.cache_dir} ...", flush=True)
        fill = iacgrade_run_all(task_dirs, work / "fill-tasks", work / "fill", args)
        n = copies(task_dirs, args.tasks, work / "tasks")
        print(f"re-grade: {n} task gradings from the cache ...", flush=True)
        seconds, cpu = iacgrade_run(work / "tasks", work / "regrade", args.cache_dir, args.jobs, args.sandbox)
        filled, regraded = (
            rows_by_task(work / "fill" / "results.csv"),
            rows_by_task(work / "regrade" / "results.csv"),
        )
        differ = sorted(t for t, row in regraded.items() if filled.get(t.partition(SEP)[2]) != row)
    per_task = seconds / n
    results = {
        "tasks": len(task_dirs),
        "gradings": n,
        "fill_seconds": round(fill, 2),
        "regrade_seconds": round(seconds, 2),
        "tasks_per_second": round(n / seconds, 1),
        "seconds_per_task": round(per_task, 4),
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_task": round(cpu / n, 4),
        "projected_1000_seconds": round(per_task * 1000, 1),
        "results_match_fill": not differ,
        "jobs": args.jobs,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"re-grade from cache: {n} tasks in {seconds:.1f} s: {n / seconds:.1f} tasks/s, "
        f"{per_task * 1000:.0f} ms per task; 1,000 tasks: {per_task * 1000:.1f} s (fill {fill:.1f} s)"
    )
    print(f"CPU: {cpu:.1f} s, {cpu / n * 1000:.0f} ms per task (load average {os.getloadavg()[0]:.1f})")
    if differ:
        print(
            f"results differ from the filled run for {len(differ)} copies, e.g. {differ[:3]}", file=sys.stderr
        )
    print(f"written: {args.output}")
    return 0 if not differ else 1


def iacgrade_run_all(task_dirs: list[Path], folder: Path, out: Path, args: argparse.Namespace) -> float:
    """The fill: every task once (from the cache too, when an earlier benchmark filled it)."""
    folder.mkdir(parents=True)
    for task in task_dirs:
        (folder / task.name).symlink_to(task.resolve())
    return iacgrade_run(folder, out, args.cache_dir, args.jobs, args.sandbox)[0]


if __name__ == "__main__":
    sys.exit(main())
