"""The sandbox seam: every place untrusted code runs implements `Sandbox`.

Worker protocol (JSON lines over the worker's stdin/stdout, one request and one reply a line):

request  {"op": "synth", "id": str, "files": {relpath: text}, "entry": relpath | null,
          "env": {name: value}, "timeout": seconds, "clock": "2025-10-14"?, "archives": {...}?,
          ...the platform's options (SynthRequest.options; CDKTF-Python's are
          "stack": {"module": "lib.tap_stack", "class": "TapStack"} | null,
          "repairs": {"names": {module: {name: [module, name]}}, "modules": {name: name}}?,
          "repair_rounds": bool?, "entry_contract": bool?, "contract_entry": str?,
          "tests": {"paths": [relpath], "seconds": float}?)}
reply    {"id": str, "status": "ok"|"error"|"timeout"|"infra_error", "strategy": str,
          "error_type": str, "message": str, "traceback": str,
          "frame": {"file", "line", "code", "function"} | null,
          "stacks": {stack_name: terraform_json}, "stacks_strategy": str,
          "stack_classes": {stack_name: {"class": qualname, "file": relpath}},
          "packages": {relpath: {"kind", "members", "python"}} | null,
          "attempts": [{"strategy", "status", "error_type", "message", "frame", "stacks"}],
          "blockers": [{"kind", "message", "action", "file", "line", "target"}],
          "contract": {"strategy": "contract", "status", ...} | null,
          "tests": {"ran", "reason", "timed_out", "exit_status", "paths", "counts", "cases",
                    "seconds", "output_tail"} | null,
          "output_tail": str, "seed": int, "clock": str, "seconds": float, "recycle": bool}
request  {"op": "ping"}            reply {"op": "pong", "versions": {...}, "pid": int}
request  {"op": "exit"}            the worker exits 0 without a reply (so does end of input)

The first line a worker prints is {"op": "ready", "versions": {...}, "load_seconds": float,
"pid": int, "scratch": path, "scrub": {...}} once cdktf and the provider are imported; a worker that cannot
load prints {"op": "error", "error_type", "message", "traceback"} instead and exits 1. A request
that is not JSON or names an unknown op gets {"op": "error", ...} and the worker goes on.

Strategies are tried in order, stopping at the first that yields stacks: "entry" (run the entry file
as __main__), "scaffold" (the standard tap.py call on `stack`), "bare" (each TerraformStack subclass
built alone as `Cls(app, "Cls")`); when none yields stacks and the request carries `repairs`, the
same again with those imports resolved ("repaired:entry", ...; see
iacgrade/harness/platforms/cdktf_python/repair.py).
With `repair_rounds` the repaired strategies run in rounds instead: each round adapts every toolchain
call to its signature and types and learns one more repair from the error that stopped the last
(iacgrade/harness/platforms/cdktf_python/worker/worker_lib/); `blockers` lists every blocker met and how it
was passed,
in the order met. With `entry_contract`, when the entry synthesized, the task's standard entry
(`contract_entry`, written to `standard-entry/tap.py`, else the "scaffold" strategy) runs once more as
"contract": can it build the answer's stack? With `tests`, the answer's unit-test files run with
pytest after the strategies, in the same workspace, within `seconds` of the request's `timeout`
(the strategies get the rest): iacgrade/harness/platforms/cdktf_python/worker/worker_lib/unit_tests.py.
`status`, `error_type`, `frame` and `strategy` come from
the first attempt; `stacks` and `stacks_strategy` from the first that produced any. When the files cannot be
laid out (error_type "UnsafePath" or "InvalidFiles") the only attempt is "workspace". A soft timeout
is status "timeout" with error_type "Timeout". "infra_error" means the worker itself failed
(error_type "WorkerError"). "crashed" never comes from the worker: the parent reports it when the
worker dies mid-app, reading the app's output from `<scratch>/output.log`. `recycle: true` asks the
parent to replace the worker (an alarm interrupted a jsii call, the app left a thread running, or
the workspace is damaged).

Each app runs with `random` seeded by `seed` (a digest of the request's files, so one answer
always gets the same), uuid/secrets/os.urandom drawing from that seed, and a clock fixed at
`clock` (midnight UTC of that date); the workspace files carry `clock` as their mtime. The reply
names neither the worker's temp folders nor its workspace: paths are workspace-relative, or
`/workspace/...` in the Terraform JSON, and other temp folders are `/tmp`
(iacgrade/harness/platforms/cdktf_python/worker/worker_lib/determinism.py,
iacgrade/harness/platforms/cdktf_python/worker/worker_lib/scrub.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType

from iacgrade.harness.core.synth import SynthRequest, SynthResult

__all__ = ["REPRODUCIBLE_ENV", "Isolation", "Sandbox", "SynthRequest"]

# The environment of every worker process, in every sandbox: the same hash order for sets of
# strings, the same local time, and no node warning whose text (a pid) and place (the first app
# to meet it) vary from run to run.
REPRODUCIBLE_ENV = {"PYTHONHASHSEED": "0", "TZ": "UTC", "NODE_NO_WARNINGS": "1"}


@dataclass(frozen=True)
class Isolation:
    """What a sandbox promises to keep an app from; iacgrade/harness/sandbox/conformance.py holds it to each
    answer, both ways: a promise must hold, and a refusal must be true (the app does reach it)."""

    # No network at all: not the host's loopback, no route out, no name resolution.
    network: bool = False
    # No host file can be read or changed: only the app's workspace and temp folder are its own.
    filesystem: bool = False
    # Why a promise is not made, for `describe()` and the conformance report.
    why_not: str = ""

    def label(self) -> str:
        """The promises as `describe()` lists them: "network,filesystem", "network" or "none"."""
        kept = [name for name in ("network", "filesystem") if getattr(self, name)]
        return ",".join(kept) or "none"


class Sandbox(ABC):
    """Runs synth requests somewhere isolated and always answers with a `SynthResult`."""

    name: str = "abstract"

    @property
    def isolation(self) -> Isolation:
        """What this sandbox keeps its apps from; one that does not say promises nothing."""
        return Isolation(why_not=f"the {self.name} sandbox declares no isolation")

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
