"""TST002: the answer's own unit tests, run with pytest after its synth, fail.

The worker runs them in the sandbox (iacgrade/harness/platforms/cdktf_python/worker/worker_lib/unit_tests.py):
the answer's code, cdktf's `Testing` helpers, no network, a time limit. What it reports here was
seen, not predicted. A test that stops for want of a package or pytest plugin the sandbox does
not install is the environment's gap, not the answer's failure, and is not reported; a test that
fails the same way in the reference's own run pairs with it (the anchor is the error) and is
not counted against the model.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.synth import Frame, TestCase, TestOutcome, TestRun
from iacgrade.harness.platforms.cdktf_python.locate import quote, statement_span

# How many tests a finding names before it says "and N more".
NAMED_TESTS = 5
ERROR_LINES = 12
# Object addresses differ from run to run and side to side: an error is the same without them.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_MISSING_FIXTURE = re.compile(r"fixture '(\w+)' not found")
MISSING_MODULE = "ModuleNotFoundError"


@cache
def plugin_fixtures() -> dict[str, str]:
    """Fixture name -> the third-party pytest plugin that provides it (iacgrade/graders/data/)."""
    text = (
        resources.files("iacgrade.graders").joinpath("data", "pytest_plugin_fixtures.json").read_text("utf-8")
    )
    return dict(json.loads(text)["fixtures"])


@rule(
    id="TST002",
    name="unit-tests-fail",
    title="Unit Tests Fail",
    severity=Severity.HIGH,
    category=Category.TEST_ROBUSTNESS,
    rationale=(
        "The answer's own unit tests, run with pytest after its synth, fail or do not import: the "
        "project's test stage fails before anything is deployed, and the tests do not check what "
        "the answer builds."
    ),
    docs=(
        "https://docs.pytest.org/en/stable/how-to/assert.html",
        "https://developer.hashicorp.com/terraform/cdktf/test/unit-tests",
    ),
    impact=(
        "CI Blocker: the unit-test stage of the pipeline fails",
        "Test Robustness: the tests do not describe what the stack builds",
    ),
    fix_minutes=15,
    needs="synth",
    keywords=(
        "test fail",
        "tests fail",
        "failing test",
        "test failure",
        "unit test fail",
        "unit tests fail",
        "tests do not pass",
        "does not collect",
        "collection error",
    ),
)
def unit_tests_fail(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: each failing or erroring unit test of the answer, as pytest ran it after
    synth inside the sandbox (no network, cdktf's `Testing` helpers, a time limit): an assertion
    that does not hold, an exception in the test or in the code it calls, a fixture that fails, a
    test file that does not import (a `SyntaxError`, an import of what the answer does not
    define). Tests that fail the same way at the same line are one finding. Only unit tests run
    (`tests/unit/`, `test_*.py` outside integration folders): integration tests need a deployed
    stack. Not reported: a test that stops because the sandbox lacks a third-party package
    (`No module named 'moto'`, where no module of the answer has that name) or a pytest plugin's
    fixture (`mocker`): the grading machine installs pytest alone and no download is possible, so
    whether the test would pass is unknown — that is the environment's gap, not the answer's.
    When the model's tests fail, the reference's own unit tests run as well: a test that fails
    there with the same error is the environment's and is not counted against the model.

    Why it matters: the archive's pipeline runs each answer's unit tests before it deploys; a
    failing test stops it, and reviewers rate it High. The error shown was observed, not predicted.

    Bad: `assert "aws_s3_bucket_versioning" in resources` while the stack creates no versioning;
    `from lib.lambda.handler import main` (`lambda` is a keyword: the file does not import).

    Good: assertions on what `Testing.synth(stack)` really contains; imports through
    `importlib.import_module("lib.lambda.handler")`.

    References: pytest assertions; CDKTF unit tests.
    """
    run = ctx.synth.tests if ctx.synth else None
    if run is None or not run.ran:
        return
    groups: dict[tuple[str, str], list[TestCase]] = {}
    unavailable: list[str] = []
    for case in run.failures:
        missing = environment_gap(case, ctx.workspace.files)
        if missing:
            unavailable.append(missing)
            continue
        groups.setdefault((signature(case), _site(case)), []).append(case)
    note = _note(run, unavailable)
    for (sig, _), cases in groups.items():
        yield _hit(ctx, cases, run, sig, note)


def observed_files(ctx: GradeContext) -> set[str]:
    """Test files pytest really ran in the sandbox, except those a missing package or plugin stopped
    early: what a static reading predicts about them, the run has already observed."""
    run = ctx.synth.tests if ctx.synth else None
    if run is None or not run.ran:
        return set()
    gaps = {_file_of(c.nodeid) for c in run.failures if environment_gap(c, ctx.workspace.files)}
    return set(run.paths) - gaps


def signature(case: TestCase) -> str:
    """The error a case stopped with, the same on both sides for the same failure: its type and
    the first line of its message, without object addresses."""
    first = next((line.strip() for line in case.message.splitlines() if line.strip()), "")
    text = f"{case.error_type}: {first}" if case.error_type else first
    return _ADDRESS.sub("0x?", text)[:200] or case.outcome.value


def environment_gap(case: TestCase, files: Mapping[str, str]) -> str:
    """What the sandbox lacks that stopped the case ("" when the failure is the answer's)."""
    if case.error_type == MISSING_MODULE and case.module:
        top = case.module.partition(".")[0]
        # A dotted name whose package imports is a wrong path into it; a name the answer defines
        # somewhere is its own import gone wrong; the standard library is always there.
        if "." in case.module or top in sys.stdlib_module_names or _defines(files, top):
            return ""
        return f"the package `{top}`"
    fixture = _MISSING_FIXTURE.search(case.message)
    if fixture and fixture[1] in plugin_fixtures():
        return f"the pytest plugin `{plugin_fixtures()[fixture[1]]}` (fixture `{fixture[1]}`)"
    return ""


def _defines(files: Mapping[str, str], name: str) -> bool:
    """A module or package of that name anywhere in the workspace (tests may put any folder on
    their path)."""
    return any(p.rpartition("/")[2] == f"{name}.py" or f"/{name}/" in f"/{p}" for p in files)


def _site(case: TestCase) -> str:
    frame = case.test_frame or case.frame
    return f"{frame.file}:{frame.line}" if frame else case.nodeid


def _hit(ctx: GradeContext, cases: list[TestCase], run: TestRun, sig: str, note: str) -> Hit:
    lead = cases[0]
    where = lead.test_frame or lead.frame
    span = None
    if where is not None and where.file in ctx.workspace.files:
        tree = ctx.trees.get(where.file)
        span = statement_span(tree, where.file, where.line) if tree is not None else None
    evidence = quote(ctx.workspace.files, span) if span else (where.code if where else "")
    location = (
        Location(path=span.path, line=span.start, end_line=span.end if span.end != span.start else None)
        if span
        else Location(path=where.file if where else _file_of(lead.nodeid), line=where.line if where else None)
    )
    error = "\n".join(f"{lead.error_type}: {lead.message}".strip(": ").splitlines()[:ERROR_LINES])
    return Hit(
        title="Unit Test File Does Not Import" if lead.when == "collect" else None,
        message=_message(cases, run, sig, where, lead.frame),
        location=location,
        anchor=f"test:{sig}",
        evidence=evidence,
        error=error,
        error_kind=ErrorKind.OBSERVED,
        note=note,
    )


def _message(cases: list[TestCase], run: TestRun, sig: str, where: Frame | None, inner: Frame | None) -> str:
    lead = cases[0]
    at = f" at {where.file}:{where.line}" if where else ""
    if inner is not None and where is not None and (inner.file, inner.line) != (where.file, where.line):
        at += f", raised in {inner.file}:{inner.line} (`{inner.code}`)"
    seen = (
        f"Observed: pytest ran the answer's unit tests ({', '.join(run.paths)}) in the sandbox after "
        f"synth: {_counts(run)}."
    )
    if lead.when == "collect":
        line = f" (`{where.code}`)" if where is not None and where.code and inner == where else ""
        return (
            f"Test file `{_file_of(lead.nodeid)}` does not import (`{sig}`{at}{line}), so none of its tests "
            f"run. {seen}"
        )
    names = [f"`{_test_name(c.nodeid)}`" for c in cases[:NAMED_TESTS]]
    more = f" and {len(cases) - NAMED_TESTS} more" if len(cases) > NAMED_TESTS else ""
    if lead.outcome is TestOutcome.FAILED:
        one, many = "fails", "fail"
    else:
        one, many = f"errors in {lead.when or 'setup'}", f"error in {lead.when or 'setup'}"
    if len(cases) == 1:
        subject = f"Unit test {names[0]} ({lead.nodeid}) {one}"
    else:
        subject = f"{len(cases)} unit tests {many} the same way: {', '.join(names)}{more}"
    return f"{subject} with `{sig}`{at}. {seen}"


def _counts(run: TestRun) -> str:
    parts = [
        f"{run.counts.get(k, 0)} {k}" for k in ("failed", "error", "passed", "skipped") if run.counts.get(k)
    ]
    return ", ".join(parts) or "no test ran"


def _note(run: TestRun, unavailable: list[str]) -> str:
    notes = []
    if unavailable:
        lacking = ", ".join(dict.fromkeys(unavailable))
        notes.append(
            f"{len(unavailable)} more test(s) could not run because the sandbox lacks {lacking}; "
            "they are not counted against the answer."
        )
    if run.timed_out:
        notes.append(f"The test run stopped at its time limit ({run.reason}); later tests did not run.")
    return " ".join(notes)


def _test_name(nodeid: str) -> str:
    return nodeid.rpartition("::")[2] or nodeid


def _file_of(nodeid: str) -> str:
    return nodeid.partition("::")[0]
