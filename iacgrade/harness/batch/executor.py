"""Where a batch's tasks are graded: the `Executor` protocol, and its thread-pool implementation.

`run_batch` (runner.py) owns a run's orchestration: the plan, the files each result leaves, the
batch tables. An executor only grades the jobs it is handed and reports each result as it comes.
`ThreadExecutor` grades in this process on one shared sandbox; `RayExecutor` (ray.py, imported
only when used: Ray is slow to import) grades on Ray actors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from iacgrade.graders.wording import counted
from iacgrade.harness.batch.plan import Job
from iacgrade.harness.core.results import TaskResult
from iacgrade.harness.pipeline.cached import StoredSynth
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox.base import Sandbox

OnResult = Callable[[TaskResult], None]


class Executor(Protocol):
    @property
    def regrade(self) -> bool:
        """Whether it grades from stored synth output only (`--regrade`), never synthesizing.

        The plan then also redoes results graded by other rule versions, and hands each job the
        result stored for it, whose synth output the executor grades from.
        """
        ...

    def grade(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        """Grade every job, calling `on_result` once per job, one call at a time, as each finishes.

        A task's failure is its result's status; only a failure of `on_result` itself, or of the
        whole executor (SandboxError: Ray unreachable), is raised.
        """
        ...

    def describe(self) -> str:
        """Where the grading happens, in a few words for the run's summary."""
        ...


class ThreadExecutor:
    """`jobs` threads sharing one sandbox (which has as many warm workers); the caller closes it."""

    def __init__(self, sandbox: Sandbox, options: GradeOptions | None = None, jobs: int = 1) -> None:
        self.sandbox = sandbox
        self.options = options
        self.jobs = max(1, jobs)

    @property
    def regrade(self) -> bool:
        return isinstance(self.sandbox, StoredSynth)

    def grade(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        lock = threading.Lock()

        def work(job: Job) -> None:
            if job.earlier is not None and isinstance(self.sandbox, StoredSynth):
                self.sandbox.remember(job.earlier)
            result = grade_path(job.task_dir, self.sandbox, self.options)
            # Reported by the thread that graded it, so the result is kept however the run ends.
            with lock:
                on_result(result)

        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="grade")
        try:
            pending: set[Future[None]] = {pool.submit(work, job) for job in jobs}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    fut.result()  # raises what `on_result` raised
        finally:
            # On an error or an interrupt, tasks not yet begun are dropped; those under way finish.
            pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        return f"{counted(self.jobs, 'thread')}, {self.sandbox.name} sandbox"
