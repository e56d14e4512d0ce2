"""Every sandbox passes every check of iacgrade/harness/sandbox/conformance.py.

One sandbox of one slot per kind serves the module: with one slot, "the next request" always
runs on the worker that replaced a lost one. The checks that lose a worker come last in `CHECKS`,
since each replacement costs a full worker start (~20-30 s).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from iacgrade.harness.core.synth import SynthResult
from iacgrade.harness.sandbox import conformance
from iacgrade.harness.sandbox.base import Isolation, Sandbox, SynthRequest
from iacgrade.harness.sandbox.pool import WorkerPoolSandbox
from tests.sandbox import require_sandbox_image

# The worker's hard limit comes this long after the app's own: short, so the stubborn app ends soon.
HARD_GRACE_SECONDS = 3.0


def make_sandbox(kind: str) -> WorkerPoolSandbox:
    if kind == "local":
        from iacgrade.harness.sandbox.local import LocalSandbox

        return LocalSandbox(slots=1, hard_grace=HARD_GRACE_SECONDS)
    from iacgrade.harness.sandbox.docker import DockerSandbox

    require_sandbox_image()
    return DockerSandbox(slots=1, hard_grace=HARD_GRACE_SECONDS)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("local", marks=pytest.mark.synth),
        pytest.param("docker", marks=pytest.mark.docker),
    ],
)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    before = os.environ.get(conformance.HOST_SECRET_VARIABLE)
    conformance.plant_host_secret()  # before any worker starts, so one could inherit it
    box = make_sandbox(request.param)
    try:
        box.start()
        yield box
    finally:
        box.close()
        if before is None:
            os.environ.pop(conformance.HOST_SECRET_VARIABLE, None)


class Misdeclared(Sandbox):
    """A sandbox that runs apps as `inner` does but declares the opposite isolation."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.name = inner.name

    @property
    def isolation(self) -> Isolation:
        real = self.inner.isolation
        return Isolation(not real.network, not real.filesystem, why_not="declared wrong on purpose")

    def synth(self, request: SynthRequest) -> SynthResult:
        return self.inner.synth(request)

    def describe(self) -> dict[str, str]:
        return self.inner.describe()


# What each isolation check says of a declaration that is not true, whichever way it errs.
MISDECLARED = {
    conformance.check_describe_names_kind_and_isolation: r"describe\(\)\['isolation'\]",
    conformance.check_network_is_as_declared: r"declares no network isolation|the app (connected|reached)",
    conformance.check_host_files_are_as_declared: (
        r"declares no file-system isolation|the app read a host file|the host folder changed"
    ),
}


@pytest.mark.parametrize("check", MISDECLARED, ids=lambda check: check.__name__.removeprefix("check_"))
def test_a_wrong_isolation_declaration_fails(sandbox: Sandbox, check: conformance.Check) -> None:
    with pytest.raises(AssertionError, match=MISDECLARED[check]):
        check(Misdeclared(sandbox))


@pytest.mark.parametrize("check", conformance.CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sandbox_passes(sandbox: Sandbox, check: conformance.Check) -> None:
    check(sandbox)


class Unreachable(Sandbox):
    """A sandbox whose every request meets a broken engine."""

    name = "unreachable"

    def synth(self, request: SynthRequest) -> SynthResult:
        return SynthResult.infra_error("the engine is down")

    def describe(self) -> dict[str, str]:
        return {"sandbox": self.name, "isolation": self.isolation.label()}


def test_a_sandbox_that_never_synthesizes_fails_every_check_but_describe() -> None:
    outcomes = conformance.run_checks(Unreachable())
    assert list(outcomes) == [check.__name__ for check in conformance.CHECKS]
    assert outcomes.pop("check_describe_names_kind_and_isolation") == "passed"
    # Each says why, as a failed assertion rather than a check that broke.
    failed = {name: outcome for name, outcome in outcomes.items() if outcome.startswith("FAILED: ")}
    assert failed == outcomes
