"""Grading many tasks on Ray: the same warm synth workers, one per actor, on whichever node has room.

`RayExecutor` is the `Executor` of `iacgrade run --executor ray`. The driver (the machine running
it) plans the run like any other (`run_batch`), and ships each task to grade to an idle actor as
its files (relative path -> bytes), because the task folder may not exist on the node the actor
runs on. An actor keeps one sandbox warm for its lifetime, writes the files to a temp folder,
grades them with `grade_path` and answers with the result as JSON; `run_batch` writes each result
to the run directory the moment it arrives, so a killed run resumes like a local one.

Regrading (`--regrade`), an actor holds a `StoredSynth` instead of a sandbox, so no worker starts
anywhere; each task travels with the result an earlier run stored for it, whose synth output the
actor grades from (besides its node's result cache).

An actor that dies (its node lost, its process killed) is replaced and its task is sent again, up
to `MAX_ATTEMPTS` times in all; after that the task is recorded as `infra_error`, which a resumed
run retries. Actors receive tasks only once they report ready, so an actor the cluster cannot
place (too few CPUs or too little memory) delays nothing.

Test seam: an actor whose environment sets `IACGRADE_RAY_EXIT_ON_TASK=<task_id>` exits abruptly
on the first attempt at that task, as a lost node would.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from iacgrade.graders.wording import counted
from iacgrade.harness.batch.executor import OnResult
from iacgrade.harness.batch.gcpace import set_batch_pace
from iacgrade.harness.batch.plan import Job
from iacgrade.harness.core.errors import SandboxError
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.pipeline.cached import CachedSandbox, StoredSynth, open_sandbox
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox import make_sandbox
from iacgrade.harness.sandbox.base import Sandbox

log = logging.getLogger(__name__)

# A fault hook for tests: an actor given this task exits mid-task, on the first attempt only, or on
# every attempt when the value ends in ":always". Ray actors inherit the environment of the run.
EXIT_ON_TASK_ENV = "IACGRADE_RAY_EXIT_ON_TASK"
# The first try and two retries: one lost node is bad luck, three in a row point at the task.
MAX_ATTEMPTS = 3
# A warm worker holds ~1.2 GB and peaks ~1.4 GB; asking Ray for it keeps a node from being overfilled.
ACTOR_MEMORY_BYTES = 1536 * 1024 * 1024
# With no actor ready for this long (a cluster too small to place even one), the batch gives up.
START_TIMEOUT_SECONDS = 900.0
# How long the head node's port may take to answer before the cluster counts as unreachable.
CONNECT_TIMEOUT_SECONDS = 10.0
# Never part of a task, and can be large.
SKIP_DIRS = frozenset({".git", "__pycache__", "node_modules", ".terraform", ".venv"})

TaskFiles = dict[str, bytes]


def read_task_files(task_dir: Path) -> TaskFiles:
    """Every file of a task, by POSIX path relative to its folder, so it can be rebuilt elsewhere."""
    files: TaskFiles = {}
    for root, dirs, names in os.walk(task_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            path = Path(root) / name
            if path.is_file():
                files[path.relative_to(task_dir).as_posix()] = path.read_bytes()
    return files


def materialize(files: TaskFiles, task_dir: Path) -> None:
    """Write shipped task files under `task_dir`; a path that would leave the folder is refused."""
    task_dir.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ValueError(f"unsafe path in task files: {rel!r}")
        target = task_dir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


class GradeActor:
    """One warm sandbox for the actor's lifetime (or, regrading, stored synth output); grades tasks
    shipped to it as files."""

    def __init__(self, sandbox_kind: str, options: GradeOptions, regrade: bool = False) -> None:
        self.options = options
        set_batch_pace()
        # Regrading, the toolchains whose cached synth output counts are this node's, as they are
        # the driver's for a local run.
        self.sandbox = (
            open_sandbox(sandbox_kind, 1, options.cache, regrade=True)
            if regrade
            else _warm_sandbox(sandbox_kind, options)
        )

    def ready(self) -> dict[str, str]:
        """Where this actor runs and what it synthesizes with."""
        return {"node": socket.gethostname(), "pid": str(os.getpid()), **self.sandbox.describe()}

    def grade(self, task_id: str, files: TaskFiles, attempt: int, earlier: str | None = None) -> str:
        """Grade one task; the result as JSON, which crosses nodes whatever pydantic version runs there.

        `earlier` is the task's stored result as JSON, sent when regrading: its synth output is
        what the task is graded from.
        """
        target, _, when = os.environ.get(EXIT_ON_TASK_ENV, "").partition(":")
        if target == task_id and (attempt == 1 or when == "always"):
            os._exit(1)
        if earlier is not None and isinstance(self.sandbox, StoredSynth):
            self.sandbox.remember(TaskResult.model_validate_json(earlier))
        with tempfile.TemporaryDirectory(prefix="iacgrade-ray-") as tmp:
            task_dir = Path(tmp) / task_id  # the folder name is the task id
            materialize(files, task_dir)
            result = grade_path(task_dir, self.sandbox, self.options)
        return result.model_dump_json()

    def close(self) -> None:
        self.sandbox.close()


def _warm_sandbox(sandbox_kind: str, options: GradeOptions) -> Sandbox:
    box = make_sandbox(sandbox_kind, slots=1)
    start = getattr(box, "start", None)
    if callable(start):
        start()  # pay the provider import now, not on the first task
    return CachedSandbox(box, options.cache) if options.cache is not None else box


@dataclass
class _Pool:
    """The driver's view of the actors: starting, idle, and busy with which task."""

    actor_class: Any
    sandbox_kind: str
    options: GradeOptions
    regrade: bool = False
    starting: dict[Any, Any] = field(default_factory=dict)  # ready() ref -> actor
    idle: list[Any] = field(default_factory=list)
    # grade() ref -> (actor, job, attempt)
    busy: dict[Any, tuple[Any, Job, int]] = field(default_factory=dict)
    every: list[Any] = field(default_factory=list)
    failed_starts: int = 0
    last_error: str = ""

    def start_actor(self) -> None:
        actor = self.actor_class.remote(self.sandbox_kind, self.options, self.regrade)
        self.every.append(actor)
        self.starting[actor.ready.remote()] = actor

    def submit(self, job: Job, files: TaskFiles, attempt: int) -> None:
        actor = self.idle.pop()
        # Only a regrade reads the earlier result, which may be large: send it only then.
        earlier = job.earlier.model_dump_json() if self.regrade and job.earlier is not None else None
        self.busy[actor.grade.remote(job.task_id, files, attempt, earlier)] = (actor, job, attempt)

    def refs(self) -> list[Any]:
        return [*self.busy, *self.starting]

    def shutdown(self) -> None:
        """Close live actors' sandboxes (so their workers exit now), then kill every actor."""
        closing = [a.close.remote() for a in self.idle]
        try:
            ray.get(closing, timeout=60)
        except (RayActorError, RayTaskError, GetTimeoutError) as exc:
            log.warning("closing Ray actors: %s", exc)
        for actor in self.every:
            ray.kill(actor)


class RayExecutor:
    """`jobs` Ray actors, each with a warm sandbox of `sandbox_kind` (or stored synth output only).

    `address` names a running cluster ("HOST:6379", or "auto" for the one this machine belongs to);
    without it (and without $RAY_ADDRESS) a local Ray instance with this machine's CPUs is started
    for each `grade` call and stopped again. `grade` raises SandboxError when Ray cannot be reached.
    """

    def __init__(
        self,
        options: GradeOptions | None = None,
        *,
        sandbox_kind: str,
        jobs: int,
        address: str | None = None,
        regrade: bool = False,
    ) -> None:
        self.options = options or GradeOptions()
        self.sandbox_kind = sandbox_kind
        self.jobs = max(1, jobs)
        self.address = address
        self._regrade = regrade

    @property
    def regrade(self) -> bool:
        return self._regrade

    def grade(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        """Connect to (or start) Ray, grade `jobs` on actors, and leave Ray as it was found."""
        started_here = not ray.is_initialized()
        # ray.init would connect to $RAY_ADDRESS anyway, and refuses num_cpus when it does.
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        if started_here:
            _init_ray(address)
        # A regrading actor holds no warm worker, so it needs no memory set aside for one.
        memory = {} if self.regrade else {"memory": ACTOR_MEMORY_BYTES}
        actor_class = ray.remote(GradeActor).options(
            num_cpus=1, max_restarts=0, scheduling_strategy="SPREAD", **memory
        )
        pool = _Pool(actor_class, self.sandbox_kind, self.options, self.regrade)
        try:
            for _ in range(min(self.jobs, len(jobs))):
                pool.start_actor()
            _drive(pool, deque(jobs), self.jobs, on_result)
        finally:
            pool.shutdown()
            if started_here:
                ray.shutdown()

    def describe(self) -> str:
        where = self.address or os.environ.get("RAY_ADDRESS") or "a local instance"
        box = "stored synth output" if self.regrade else f"{self.sandbox_kind} sandbox"
        return f"{counted(self.jobs, 'Ray actor')} ({where}), {box}"


def _init_ray(address: str | None) -> None:
    """Connect to the cluster at `address`, or start a local instance; SandboxError when neither works."""
    if address:
        _check_reachable(address)
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        hint = " (a cluster with token authentication needs RAY_AUTH_MODE=token here too)" if address else ""
        raise SandboxError(f"cannot reach {where}: {_first_line(exc)}{hint}") from exc


def _check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nobody listens on: ray.init retries such an address for many minutes."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto" and client addresses: Ray resolves them itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_SECONDS).close()
    except OSError as exc:
        raise SandboxError(f"cannot reach the Ray cluster at {address}: {exc}") from exc


def _drive(pool: _Pool, queue: deque[Job], jobs: int, record: OnResult) -> None:
    """Hand tasks to ready actors until every task has a result; replace actors that die."""
    attempts: dict[str, int] = {}
    # Actors that die while starting are replaced, but not forever: a node that cannot start a
    # sandbox (no Docker engine, say) would otherwise be retried endlessly.
    start_budget = 2 * jobs + 2
    waiting_since = time.monotonic()
    while queue or pool.busy:
        while pool.idle and queue:
            job = queue.popleft()
            task_dir = job.task_dir
            attempt = attempts[job.task_id] = attempts.get(job.task_id, 0) + 1
            try:
                files = read_task_files(task_dir) if task_dir.is_dir() else None
            except OSError as exc:
                record(_failed(task_dir, TaskStatus.INVALID, f"cannot read the task's files: {exc}"))
                continue
            if files is None:
                record(_failed(task_dir, TaskStatus.INVALID, f"not a directory: {task_dir}"))
                continue
            pool.submit(job, files, attempt)
        if not pool.refs():
            reason = f"no Ray actor could start a {pool.sandbox_kind} sandbox: {pool.last_error}"
            _give_up(queue, reason, record)
            return
        done, _ = ray.wait(pool.refs(), num_returns=1, timeout=60)
        if not done:
            if not pool.busy and not pool.idle and time.monotonic() - waiting_since > START_TIMEOUT_SECONDS:
                reason = f"no Ray actor was placed within {START_TIMEOUT_SECONDS:.0f} s (cluster too small?)"
                _give_up(queue, reason, record)
                return
            log.info("waiting for %d Ray actor(s) to start", len(pool.starting))
            continue
        ref = done[0]
        if ref in pool.starting:
            _on_started(pool, ref, start_budget)
        else:
            _on_graded(pool, ref, queue, record)
        waiting_since = time.monotonic()


def _on_started(pool: _Pool, ref: Any, start_budget: int) -> None:
    actor = pool.starting.pop(ref)
    try:
        where = ray.get(ref)
    except (RayActorError, RayTaskError) as exc:
        pool.failed_starts += 1
        pool.last_error = _first_line(exc)
        log.warning("a Ray actor failed to start (%d so far): %s", pool.failed_starts, pool.last_error)
        ray.kill(actor)
        if pool.failed_starts <= start_budget:
            pool.start_actor()
        return
    log.info("Ray actor ready on %s (pid %s)", where.get("node"), where.get("pid"))
    pool.idle.append(actor)


def _on_graded(pool: _Pool, ref: Any, queue: deque[Job], record: OnResult) -> None:
    actor, job, attempt = pool.busy.pop(ref)
    task_dir = job.task_dir
    try:
        payload = ray.get(ref)
    except RayActorError as exc:
        # The actor is gone with its warm worker: start another, and send the task again.
        pool.last_error = _first_line(exc)
        log.warning("the Ray actor grading %s died (attempt %d): %s", task_dir.name, attempt, pool.last_error)
        ray.kill(actor)
        pool.start_actor()
        if attempt < MAX_ATTEMPTS:
            queue.appendleft(job)
        else:
            reason = f"the Ray actor grading this task died {attempt} times; last: {pool.last_error}"
            record(_failed(task_dir, TaskStatus.INFRA_ERROR, reason))
        return
    except RayTaskError as exc:
        # grade_path never raises for a task; this is the harness failing on the actor.
        pool.idle.append(actor)
        record(_failed(task_dir, TaskStatus.ERROR, f"internal error on the Ray actor: {_first_line(exc)}"))
        return
    pool.idle.append(actor)
    result = TaskResult.model_validate_json(payload)
    # The actor graded a temporary copy; the report should point at the task the user named.
    record(result.model_copy(update={"task_dir": str(task_dir)}))


def _give_up(queue: deque[Job], reason: str, record: OnResult) -> None:
    while queue:
        record(_failed(queue.popleft().task_dir, TaskStatus.INFRA_ERROR, reason))


def _failed(task_dir: Path, status: TaskStatus, reason: str) -> TaskResult:
    return TaskResult(task_id=task_dir.name, status=status, reason=reason, task_dir=str(task_dir))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
