"""What a synthesis produced: `SynthResult` and its parts.

The worker (`iacgrade/harness/platforms/cdktf_python/worker/worker.py`) speaks plain JSON;
`SynthResult.from_reply` is
the one place a reply becomes typed data, so every sandbox (local process, container, Ray actor) returns the
same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The worker's prefix for strategies run with an answer's imports repaired
# (iacgrade/harness/platforms/cdktf_python/repair.py).
REPAIRED_PREFIX = "repaired:"
# What a value the repair rounds made up carries into the Terraform JSON (`${iacgrade_placeholder}`).
# The worker keeps its own copy (worker_lib/plan.py MARKER): it runs in the sandbox with the stdlib
# and its own files only, so neither side can import the other; tests/test_layers.py holds them equal.
PLACEHOLDER_MARKER = "iacgrade_placeholder"


class SynthStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # the answer's code raised
    TIMEOUT = "timeout"  # the app ran past its time limit and its worker was replaced
    CRASHED = "crashed"  # the worker died under the app (os._exit, OOM kill, segfault)
    SKIPPED = "skipped"  # nothing to synthesize (no code in the answer)
    INFRA_ERROR = "infra_error"  # the sandbox itself broke: never the answer's fault


class Frame(BaseModel):
    """The innermost traceback frame inside the workspace: where the answer went wrong."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    code: str = ""
    function: str = ""


class Attempt(BaseModel):
    """One synth strategy tried on the workspace."""

    model_config = ConfigDict(frozen=True)

    strategy: str
    status: SynthStatus
    error_type: str = ""
    message: str = ""
    frame: Frame | None = None
    stacks: list[str] = Field(default_factory=list)


class Blocker(BaseModel):
    """A synth blocker met in a repair round, and how the worker got past it."""

    model_config = ConfigDict(frozen=True)

    kind: str
    message: str
    action: str
    file: str = ""
    line: int = 0
    target: str = ""

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else "the toolchain"
        return f"{self.action} ({where})"


class Package(BaseModel):
    """One local file or folder the Terraform JSON names as a package, as it was after synth."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "zip", "dir", "file", "missing" or "unreadable"
    # Member names of the archive (files below a folder, relative to it).
    members: list[str] = Field(default_factory=list)
    # Each `.py` member's top-level names (def, class, assignment, import); None: it does not parse.
    python: dict[str, list[str] | None] = Field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.kind in ("zip", "dir", "file")


# The end of pytest's last line: "1 failed, 3 passed in 2.41s (0:00:02)".
_PYTEST_DURATION = re.compile(r" in [0-9.]+s(?: \([0-9:]+\))?(?=\s*$)")


class TestOutcome(StrEnum):
    __test__ = False  # not a pytest test class, whatever its name

    PASSED = "passed"
    FAILED = "failed"  # an assertion or exception in the test's body
    ERROR = "error"  # its file did not collect, or a fixture (setup, teardown) failed
    SKIPPED = "skipped"


class TestCase(BaseModel):
    """One test of an answer's unit-test run (or one test file that did not collect)."""

    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest test class, whatever its name

    nodeid: str
    outcome: TestOutcome
    # The phase that went wrong: "collect", "setup", "call" or "teardown" ("" when it passed).
    when: str = ""
    error_type: str = ""
    # The first lines of the exception's text (pytest's assertion explanation for an assert).
    message: str = ""
    # The module a ModuleNotFoundError names.
    module: str = ""
    # The innermost frame inside the workspace, and the innermost in the test's own file.
    frame: Frame | None = None
    test_frame: Frame | None = None

    @property
    def bad(self) -> bool:
        return self.outcome in (TestOutcome.FAILED, TestOutcome.ERROR)


class TestRun(BaseModel):
    """What running an answer's unit tests after its synth gave; `ran` False says why not."""

    model_config = ConfigDict(frozen=True)
    __test__ = False

    ran: bool = False
    reason: str = ""
    timed_out: bool = False
    exit_status: int | None = None
    # The test files run, workspace-relative.
    paths: list[str] = Field(default_factory=list)
    # Tests by outcome ("passed", "failed", "error", "skipped"), and "collected".
    counts: dict[str, int] = Field(default_factory=dict)
    # Every test that did not pass first, then the rest (cut to the worker's MAX_CASES).
    cases: list[TestCase] = Field(default_factory=list)
    seconds: float = 0.0
    output_tail: str = ""

    @property
    def failures(self) -> list[TestCase]:
        return [c for c in self.cases if c.bad]

    @property
    def failed(self) -> bool:
        """The tests ran and at least one failed or did not collect."""
        return self.ran and bool(self.failures)


class Diagnostic(BaseModel):
    """A problem a platform's own validate step found without running anything (a schema error
    in HCL, a lint finding in a template); its rule family turns it into findings."""

    model_config = ConfigDict(frozen=True)

    tool: str  # what found it: "hcl-schema", "cfn-lint"
    code: str  # the tool's own id for the problem
    level: str  # "error", "warning" or "info"
    message: str
    file: str = ""
    line: int = 0
    end_line: int = 0
    # The resource address (or template logical id) it is about.
    address: str = ""
    # The name it most likely meant (a did-you-mean), when there is one.
    suggestion: str = ""
    detail: dict[str, str] = Field(default_factory=dict)


class SynthResult(BaseModel):
    """The outcome of synthesizing one workspace, with every stack's Terraform JSON."""

    status: SynthStatus
    # The strategy whose outcome `status` describes: "entry" (the answer's own entry point)
    # unless that could not run at all.
    strategy: str = "entry"
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    frame: Frame | None = None
    # Terraform JSON per stack, from the best strategy that produced any.
    stacks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    stacks_strategy: str = ""
    # Stack name -> {"class", "file"}: the answer's TerraformStack subclass that built it.
    stack_classes: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Workspace-relative path -> what it held after synth, for every package the JSON names
    # (iacgrade/harness/platforms/cdktf_python/worker/worker_lib/packages.py); None when the worker did not
    # list them.
    packages: dict[str, Package] | None = None
    # What a "repaired:" strategy resolved differently
    # (iacgrade.harness.platforms.cdktf_python.repair.ImportRepairs.describe()).
    repairs: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    # Every blocker the repair rounds met, in the order met (empty when none ran).
    blockers: list[Blocker] = Field(default_factory=list)
    # The project's standard entry run on the answer's stack class when the answer's own entry
    # synthesized (None when not asked, or when the scaffold strategy already ran as a fallback).
    contract: Attempt | None = None
    # Whether the entry contract applies: the answer ships its own entry and the task's standard
    # entry is known (set by the pipeline from the request).
    contract_checked: bool = False
    # The answer's unit tests, run after its synth when the request asked (None: not asked).
    tests: TestRun | None = None
    # What a platform validated in process found (iacgrade/harness/platforms/base.py PlannedSynth.in_process).
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    output_tail: str = ""
    # What the app drew from (iacgrade/harness/platforms/cdktf_python/worker/worker_lib/determinism.py): the
    # seed of
    # `random`, uuid and the rest, and the date its clock showed. Synthesizing the same files with both again
    # gives
    # the same stacks. 0 and "" when nothing ran.
    seed: int = 0
    clock: str = ""
    seconds: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        return self.status is SynthStatus.OK

    @property
    def from_fallback(self) -> bool:
        return bool(self.stacks) and self.stacks_strategy not in ("", "entry")

    @property
    def from_repair(self) -> bool:
        return bool(self.stacks) and self.stacks_strategy.startswith(REPAIRED_PREFIX)

    def standard_entry(self) -> Attempt | None:
        """How the project's standard entry fared on the answer's stack class, when it ran."""
        if not self.contract_checked:
            return None
        if self.contract is not None:
            return self.contract
        return next((a for a in self.attempts if a.strategy == "scaffold"), None)

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> SynthResult:
        """Build from a worker's JSON reply, tolerating missing keys (and a test report it cannot
        read: the synth outcome stands without it)."""
        data = {k: v for k, v in reply.items() if k in cls.model_fields}
        tests = data.get("tests")
        if tests is not None:
            try:
                data["tests"] = TestRun.model_validate(tests)
                # pytest's summary says how long it took: a run fact, not part of what the run gave.
                tail = _PYTEST_DURATION.sub("", data["tests"].output_tail)
                data["tests"] = data["tests"].model_copy(update={"output_tail": tail})
            except ValidationError as exc:
                data["tests"] = TestRun(
                    reason=f"the test report could not be read: {exc.error_count()} errors"
                )
        return cls.model_validate(data)

    @classmethod
    def infra_error(cls, message: str, seconds: float = 0.0) -> SynthResult:
        return cls(status=SynthStatus.INFRA_ERROR, error_type="InfraError", message=message, seconds=seconds)


@dataclass(frozen=True)
class SynthRequest:
    """One workspace to synthesize; carries the files themselves so any worker can serve it.

    What only one platform's worker understands (CDKTF-Python's main stack, import repairs, entry
    contract) travels in `options`, which no sandbox and no pipeline step reads: the platform that
    built the request (iacgrade/harness/platforms/) is the only one that knows its keys.
    """

    id: str
    files: dict[str, str]
    entry: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0
    # Binary archives beside the files (base64 by path): see Workspace.archives.
    archives: dict[str, str] = field(default_factory=dict)
    # The date the app's clock shows (ISO, "2025-10-14"); "" leaves the worker's default.
    clock: str = ""
    # The platform's own request fields, merged into the worker message as they are.
    options: dict[str, object] = field(default_factory=dict)

    def to_message(self) -> dict[str, object]:
        message: dict[str, object] = {
            "op": "synth",
            "id": self.id,
            "files": self.files,
            "entry": self.entry,
            "env": self.env,
            "timeout": self.timeout,
            **self.options,
        }
        if self.archives:
            message["archives"] = self.archives
        if self.clock:
            message["clock"] = self.clock
        return message
