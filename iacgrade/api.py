"""iacgrade's Python API: what the `iacgrade grade`, `run` and `rules` commands do, as functions.

    import iacgrade

    result = iacgrade.grade("tasks/tf-hcl-logs-bucket", sandbox="local")
    result.score.value, [f.rule_id for f in result.failures]

    summary = iacgrade.run(["tasks"], "out/run", jobs=1, sandbox="local")
    summary.results  # one TaskResult per task; out/run/results.csv holds the table

The keyword arguments mirror the command line's options and defaults. Nothing here raises for a
bad task or a broken sandbox: the result says so (`TaskResult.status`, `reason`). A bad argument
(an unknown sandbox, a missing rubric or task path, an unknown profile) raises `ValueError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from iacgrade.graders.registry import RuleMeta, load_rules
from iacgrade.harness.batch.executor import ThreadExecutor
from iacgrade.harness.batch.plan import load_stored
from iacgrade.harness.batch.runner import RunSummary, run_batch, write_task_result
from iacgrade.harness.core.extras import missing_extra
from iacgrade.harness.core.profile import Profile, ProfileError, load_profile, parse_date
from iacgrade.harness.core.results import TaskResult
from iacgrade.harness.core.selection import RuleSelection
from iacgrade.harness.pipeline.cache import ResultCache
from iacgrade.harness.pipeline.cached import open_sandbox
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.pipeline.score import Rubric
from iacgrade.harness.sandbox import SANDBOX_KINDS
from iacgrade.harness.sandbox.base import Sandbox

__all__ = ["SANDBOXES", "grade", "load_run", "options", "rules", "run"]

# Where answers run, as `--sandbox` takes them.
SANDBOXES = SANDBOX_KINDS
EXECUTORS = ("local", "ray")

OnDone = Callable[[TaskResult, bool], None]


def options(
    *,
    timeout: float = 120.0,
    rubric: str | Path | Rubric | None = None,
    repair: bool = True,
    tests: bool = True,
    profile: str | Path | Profile | None = None,
    as_of: str | dt.date | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> GradeOptions:
    """The grading options `grade` and `run` use, built from the command line's option values.

    `rubric`: a rubric TOML (default: the built-in one). `profile`: a shipped profile name
    (`default`, `archive`), a profile TOML, or a `Profile` (default: the task's iacgrade.toml, else
    `default`). `as_of`: the date AWS data is judged at for tasks with no startedAt (default:
    today). `cache=False` neither reuses nor stores synth results and rule outputs; `cache_dir`
    moves the cache (default: `$IACGRADE_CACHE/results`, else `~/.cache/iacgrade/results`).
    `select` / `ignore`: rule ids or prefixes (`AWS`, `SEC:CKV_AWS_18`) that report, or do not, as
    `--select` / `--ignore` take them; the others are SKIP with the reason.
    """
    if isinstance(rubric, Rubric):
        chosen_rubric = rubric
    elif rubric is not None and not Path(rubric).is_file():
        raise ValueError(f"rubric not found: {rubric}")
    else:
        chosen_rubric = Rubric.load(Path(rubric) if rubric is not None else None)
    try:
        chosen_profile = profile if isinstance(profile, Profile) or profile is None else load_profile(profile)
        date = parse_date(as_of) if isinstance(as_of, str) else as_of
    except ProfileError as exc:
        raise ValueError(str(exc)) from exc
    return GradeOptions(
        timeout=timeout,
        rubric=chosen_rubric,
        repair=repair,
        tests=tests,
        profile=chosen_profile,
        as_of=date,
        cache=ResultCache(Path(cache_dir) if cache_dir is not None else None) if cache else None,
        selection=RuleSelection.of(select, ignore),
    )


def grade(
    task_dir: str | Path,
    *,
    sandbox: str | Sandbox = "auto",
    out: str | Path | None = None,
    timeout: float = 120.0,
    rubric: str | Path | Rubric | None = None,
    repair: bool = True,
    tests: bool = True,
    profile: str | Path | Profile | None = None,
    as_of: str | dt.date | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> TaskResult:
    """Grade one task directory (PROMPT.md, MODEL_RESPONSE.md, IDEAL_RESPONSE.md, metadata.json).

    `sandbox` is where answers run: `"local"`, `"docker"`, `"auto"` (docker when usable), or an
    open `Sandbox` to reuse across calls (its warm workers stay up; the caller closes it). Terraform
    HCL and CloudFormation tasks are graded in process whatever the sandbox. With `out`, the
    task's analysis.md, result.json and result.sarif are written there, as `iacgrade grade` does.
    The other keywords are `options`'.
    """
    path = Path(task_dir)
    if not path.exists():
        raise ValueError(f"no such task directory: {path}")
    chosen = options(
        timeout=timeout,
        rubric=rubric,
        repair=repair,
        tests=tests,
        profile=profile,
        as_of=as_of,
        cache=cache,
        cache_dir=cache_dir,
        select=select,
        ignore=ignore,
    )
    with _sandbox(sandbox, 1, chosen) as box:
        result = grade_path(path, box, chosen)
    if out is not None:
        write_task_result(result, Path(out))
    return result


def run(
    paths: str | Path | Iterable[str | Path],
    out: str | Path,
    *,
    jobs: int = 1,
    sandbox: str = "auto",
    timeout: float = 120.0,
    rubric: str | Path | Rubric | None = None,
    repair: bool = True,
    tests: bool = True,
    profile: str | Path | Profile | None = None,
    as_of: str | dt.date | None = None,
    regrade: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    executor: str = "local",
    address: str | None = None,
    on_done: OnDone | None = None,
) -> RunSummary:
    """Grade every task under `paths` into `out/<task_id>/` and `out/results.csv`, as `iacgrade run`.

    `paths` are task directories or directories of them. A run into an existing `out` resumes:
    tasks finished there are reused. `jobs` tasks are graded at once; `regrade` grades again, from
    stored synth output, the tasks graded by other rule versions; `executor="ray"` (needs
    `pip install 'iacgrade[ray]'`) grades on a Ray cluster at `address`. `on_done(result, reused)`
    hears of every task as it finishes. The other keywords are `grade`'s.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}: choose {' or '.join(EXECUTORS)}")
    if executor != "ray" and address is not None:
        raise ValueError("address needs executor='ray'")
    _check_sandbox(sandbox)
    task_paths = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    missing = [str(p) for p in task_paths if not p.exists()]
    if missing:
        raise ValueError(f"no such path: {', '.join(missing)}")
    chosen = options(
        timeout=timeout,
        rubric=rubric,
        repair=repair,
        tests=tests,
        profile=profile,
        as_of=as_of,
        cache=cache,
        cache_dir=cache_dir,
        select=select,
        ignore=ignore,
    )
    run_dir = Path(out)
    if executor == "ray":
        needed = missing_extra("ray", "ray")
        if needed:
            raise ValueError(f"executor='ray': {needed}")
        from iacgrade.harness.batch.ray import RayExecutor

        on_ray = RayExecutor(chosen, sandbox_kind=sandbox, jobs=jobs, address=address, regrade=regrade)
        return run_batch(task_paths, run_dir, on_ray, on_done)
    with open_sandbox(sandbox, jobs, chosen.cache, regrade) as box:
        return run_batch(task_paths, run_dir, ThreadExecutor(box, chosen, jobs), on_done)


def rules() -> list[RuleMeta]:
    """Every registered rule's metadata (id, name, severity, category, docs, ...), by id."""
    return [r.meta for r in load_rules().values()]


def load_run(run_dir: str | Path) -> list[TaskResult]:
    """The results a run directory holds (`out/<task>/result.json`), in task order."""
    root = Path(run_dir)
    if not root.is_dir():
        raise ValueError(f"no such run directory: {root}")
    found = (load_stored(root, folder.name) for folder in sorted(root.iterdir()) if folder.is_dir())
    return [result for result in found if result is not None]


@contextmanager
def _sandbox(sandbox: str | Sandbox, slots: int, chosen: GradeOptions) -> Iterator[Sandbox]:
    if isinstance(sandbox, Sandbox):
        yield sandbox  # the caller's: left open for its next call
        return
    _check_sandbox(sandbox)
    with open_sandbox(sandbox, slots, chosen.cache, regrade=False) as box:
        yield box


def _check_sandbox(kind: str) -> None:
    if kind not in SANDBOXES:
        raise ValueError(f"unknown sandbox {kind!r}: choose one of {', '.join(SANDBOXES)}")
