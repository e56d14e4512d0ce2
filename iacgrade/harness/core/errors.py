"""One family of errors for everything that goes wrong at the harness's boundaries."""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose; carries the task and a log path."""

    def __init__(self, message: str, *, task_id: str = "", log_path: str = "") -> None:
        super().__init__(message)
        self.task_id = task_id
        self.log_path = log_path

    def __str__(self) -> str:
        text = super().__str__()
        if self.task_id:
            text = f"[{self.task_id}] {text}"
        if self.log_path:
            text = f"{text} (log: {self.log_path})"
        return text


class TaskLoadError(HarnessError):
    """The task directory cannot be read or lacks what grading needs."""


class ExtractionError(HarnessError):
    """An answer's markdown could not be turned into files."""


class SandboxError(HarnessError):
    """The sandbox (engine, image, worker) broke: an infrastructure failure, never the answer's."""


class GraderError(HarnessError):
    """A rule or grader failed on an answer."""
