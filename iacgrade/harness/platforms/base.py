"""What a platform is: everything the pipeline needs to know about one kind of IaC project.

A platform claims tasks by their metadata, pulls an answer's files out of its prose, lays them out
as a project, says what its sandbox worker must be asked, finds the code an anchor names, and
judges whether an answer is written for it at all. The pipeline calls these and nothing else: no
platform's file names, languages or worker options appear above this seam.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from iacgrade.harness.core.extraction import Extraction
from iacgrade.harness.core.source import Span
from iacgrade.harness.core.synth import SynthRequest, SynthResult
from iacgrade.harness.core.workspace import ProjectLayout, Workspace


@dataclass(frozen=True)
class SynthSettings:
    """What the run decides about every synth, whatever the platform."""

    env: dict[str, str]
    timeout: float
    clock: str = ""
    # Let the platform get past what stops an answer (its import repairs, repair rounds), so the
    # rules that read the synthesized output still see it.
    repair: bool = True
    # Run the answer's own unit tests after synth, when it has any (the platform knows which
    # files those are and never runs tests that need a deployment).
    run_tests: bool = False


@dataclass(frozen=True)
class Reference:
    """The reference's side as the model's request may need it (a contract its entry sets)."""

    workspace: Workspace | None
    # The reference's own synth did not succeed: it sets no contract the model could break.
    failed: bool


class PlannedSynth(Protocol):
    """A request for the sandbox, and how the platform completes the sandbox's answer.

    A platform whose build runs none of the answer's code (HCL is parsed and validated, a
    template linted) answers in process: `in_process` gives the result and no sandbox is asked.
    """

    @property
    def request(self) -> SynthRequest: ...

    @property
    def runs_tests(self) -> bool:
        """Whether the request asks the worker to run the answer's unit tests."""
        ...

    def finish(self, result: SynthResult) -> SynthResult: ...

    def in_process(self) -> SynthResult | None:
        """The result, when the platform builds it here without running the answer's code; None:
        the sandbox must run `request`."""
        ...


@dataclass(frozen=True)
class PlainSynth:
    """A request whose result needs nothing added."""

    request: SynthRequest
    runs_tests: bool = False

    def finish(self, result: SynthResult) -> SynthResult:
        return result

    def in_process(self) -> SynthResult | None:
        return None


@dataclass(frozen=True)
class InProcessSynth:
    """A plan for a platform whose build runs none of the answer's code: `build` gives the result
    here and `request` (what the result is cached and reported under) is never sent."""

    request: SynthRequest
    build: Callable[[], SynthResult]
    runs_tests: bool = False

    def finish(self, result: SynthResult) -> SynthResult:
        return result

    def in_process(self) -> SynthResult:
        return self.build()


@dataclass(frozen=True)
class ScanInput:
    """What the security scanner reads for one answer: files as the platform's own framework
    understands them (`.tf` for checkov's "terraform", a template for "cloudformation")."""

    files: dict[str, str]
    framework: str


# Finds the span an anchor (`construct:db`, `def:Stack.__init__`, ...) names in one workspace.
Locator = Callable[[str], Span | None]


class Platform(Protocol):
    # The registry's key ("cdktf-python"), as `iacgrade platforms` lists it.
    name: str
    # How reports and messages call it ("CDKTF Python") and what its code and main unit are
    # ("Python", "TerraformStack").
    label: str
    code_kind: str
    main_kind: str

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        """Whether a task's metadata (`platform`, `language`) names this platform."""
        ...

    def extract(self, markdown: str) -> Extraction:
        """The files an answer's prose holds."""
        ...

    def has_code(self, files: Mapping[str, str]) -> bool:
        """Whether extracted files hold code this platform builds (not only prose or data)."""
        ...

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout:
        """The answer overlaid on the task's files and the platform's scaffold, with its entry."""
        ...

    def default_env(self) -> dict[str, str]:
        """The environment every app of this platform runs with unless the run says otherwise."""
        ...

    def plan_synth(self, ws: Workspace, settings: SynthSettings, reference: Reference | None) -> PlannedSynth:
        """What the sandbox is asked for `ws` (the model's side gets `reference`)."""
        ...

    def locator(self, ws: Workspace) -> Locator:
        """Finds anchored code in `ws`, to quote the reference's fix beside a failure."""
        ...

    def toolchain(self) -> dict[str, str]:
        """What this platform's synth and rules run on (versions, worker code digests): part of
        every cache key, so a new toolchain never serves an old result."""
        ...

    def scan_input(self, ws: Workspace) -> ScanInput | None:
        """The files checkov scans, and its framework; None: it scans the synthesized Terraform
        JSON (`terraform_json`), as for platforms that synthesize."""
        ...

    def foreign_code(self, files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
        """(title, detail) when the model's files are written for another language or framework
        than this platform (the training rubric's `wrong_platform` blocker); `policy` is the
        rubric's `[platform.<name>]` table and its `languages`."""
        ...
