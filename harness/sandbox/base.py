"""The sandbox seam: every place untrusted code runs implements `Sandbox`.

Worker protocol (JSON lines over the worker's stdin/stdout, one request and one reply a line):

request  {"op": "synth", "id": str, "files": {relpath: text}, "entry": relpath | null,
          "stack": {"module": "lib.tap_stack", "class": "TapStack"} | null,
          "env": {name: value}, "timeout": seconds}
reply    {"id": str, "status": "ok"|"error"|"timeout"|"crashed", "strategy": str,
          "error_type": str, "message": str, "traceback": str,
          "frame": {"file", "line", "code", "function"} | null,
          "stacks": {stack_name: terraform_json}, "stacks_strategy": str,
          "attempts": [{"strategy", "status", "error_type", "message", "frame", "stacks"}],
          "output_tail": str, "seconds": float}
request  {"op": "ping"}            reply {"op": "pong", "versions": {...}, "pid": int}
request  {"op": "exit"}            the worker exits

The first line a worker prints is {"op": "ready", "versions": {...}, "load_seconds": float}
once cdktf and the provider are imported.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import TracebackType

from harness.synth import SynthResult


@dataclass(frozen=True)
class SynthRequest:
    """One workspace to synthesize; carries the files themselves so any worker can serve it."""

    id: str
    files: dict[str, str]
    entry: str | None = None
    stack_module: str | None = None
    stack_class: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0

    def to_message(self) -> dict[str, object]:
        stack = (
            {"module": self.stack_module, "class": self.stack_class}
            if self.stack_module and self.stack_class
            else None
        )
        return {
            "op": "synth",
            "id": self.id,
            "files": self.files,
            "entry": self.entry,
            "stack": stack,
            "env": self.env,
            "timeout": self.timeout,
        }


class Sandbox(ABC):
    """Runs synth requests somewhere isolated and always answers with a `SynthResult`."""

    name: str = "abstract"

    @abstractmethod
    def synth(self, request: SynthRequest) -> SynthResult:
        """Synthesize one workspace; infrastructure trouble becomes `infra_error`, not an exception."""

    def close(self) -> None:  # noqa: B027 - an optional hook: not every sandbox starts something
        """Stop workers and remove what the sandbox started."""

    def describe(self) -> dict[str, str]:
        """Facts for `result.json` and `iacgrade doctor` (versions, image, limits)."""
        return {"sandbox": self.name}

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
