"""TST: what a reviewer writes about an answer's tests from its files alone (nothing is run here):
tests the task expects but the answer does not ship, tests that check nothing, integration tests
that do not test the deployment, test modules pytest cannot collect."""

from __future__ import annotations

from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.tests.asks import first_asks, from_archive
from iacgrade.graders.tests.hollow import hollow_tests
from iacgrade.graders.tests.imports import Project, judged_syntax_error, keyword_in_path, unresolved
from iacgrade.graders.tests.outputs import (
    OutputRead,
    Spot,
    fakes,
    hard_coded,
    output_reads,
    reads_outputs,
    uses_aws,
)
from iacgrade.graders.tests.run import observed_files
from iacgrade.graders.tests.suite import INTEGRATION, KINDS, SuiteModule, facts, shipped_kinds, suite_modules
from iacgrade.harness.core.findings import Category, Location, Severity

PYTEST_DOCS = "https://docs.pytest.org/en/stable"
CDKTF_TEST_DOCS = "https://developer.hashicorp.com/terraform/cdktf/test/unit-tests"
# A fix anchor no platform locates: the report then says the reference "has no counterpart of
# `<what follows>`", so what follows names the failure, not a file the reference may well have.
NO_CODE_ANCHOR = "tests:"
# How many test names or places a message lists before it counts the rest.
LISTED = 6


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:LISTED])
    return f"{shown} and {len(items) - LISTED} more" if len(items) > LISTED else shown


@rule(
    id="TST001",
    name="tests-missing",
    title="No Unit or Integration Tests",
    severity=Severity.MEDIUM,
    category=Category.TEST_ROBUSTNESS,
    rationale=(
        "The task expects unit and integration tests (its prompt asks for them, or its project's CI "
        "runs them) and the model's answer ships none of one kind. Medium, as reviewers rate it: "
        "nothing breaks at deploy, but nothing checks the stack either."
    ),
    docs=(f"{PYTEST_DOCS}/explanation/goodpractices.html", CDKTF_TEST_DOCS),
    impact=(
        "Test Gap: No test catches a wrong resource setting before or after deployment",
        "CI/CD Failure: The pipeline's test stage runs the project template's placeholder tests instead",
    ),
    fix_minutes=60,
    needs="always",
    keywords=(
        "unit test",
        "integration test",
        "test coverage",
        "testing",
        "test infrastructure",
        "comprehensive test",
        "missing test",
        "no test",
        "template-only",
        "test suite",
        "test constructor",
        "non-existent attributes",
    ),
    version=2,
)
def tests_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a kind of test (unit, integration) the task expects and the answer does not
    ship: no test module of that kind (pytest's `test_*.py`/`*_test.py` with at least one test; an
    integration module is one under an `integration` folder or with `integration` in its name).
    The task expects a kind when a line of its prompt asks for it ("Unit tests for all components",
    "Integration tests must validate end-to-end workflows", "100% test coverage"), or, for every
    kind, when the task comes from the archive's CDKTF-Python template (the layout policy): its
    metadata.json names platform `cdktf`, language `py` and records `coverage`, and that project's
    CI runs `pytest tests/unit/` (coverage at least 90%) and, after deploying, `pytest
    tests/integration/`. One finding per missing kind, at the template's test module for it
    (`tests/unit/test_tap_stack.py`, `tests/integration/test_tap_stack.py`), quoting the prompt
    line that asks when there is one. An answer with no code at all ships no tests either.

    Why it matters: the template's placeholder tests stay where the answer's should be; they
    check nothing about this stack (or fail against it), so a wrong setting reaches deployment
    unseen and the CI's coverage gate fails.

    Bad: a prompt with "Unit tests for all infrastructure components" answered with
    `lib/tap_stack.py` and `tap.py` only.

    Good: `tests/unit/test_tap_stack.py` synthesizes the stack with `cdktf.Testing.synth` and
    asserts its resources' settings; `tests/integration/test_tap_stack.py` reads
    `cfn-outputs/flat-outputs.json` and checks the deployed resources.

    References: pytest good practices; CDKTF unit tests; the archive's Pipfile scripts
    (iacgrade/graders/tests/data/tests.toml).
    """
    asks = first_asks(ctx.prompt)
    archive = from_archive(ctx.metadata)
    shipped = shipped_kinds(ctx.source)
    template = facts()["template"]
    for kind in KINDS:
        if kind in shipped or not (kind in asks or archive):
            continue
        path = template[kind]
        ask = asks.get(kind)
        if ask is not None:
            message = (
                f'The prompt asks for {kind} tests (PROMPT.md line {ask.line}: "{ask.text}"), but the '
                f"answer ships no {kind} test module: nothing at `{path}` or anywhere else."
            )
        else:
            message = (
                f"The answer ships no {kind} tests. The project's CI runs `{template[kind + '_command']}`; "
                f"with no {kind} test module of the answer's at `{path}`, the template's placeholder runs "
                "there instead and checks nothing about this stack."
            )
        yield Hit(
            message=message,
            location=Location(path=path, line=1),
            anchor=f"tests:{kind}",
            fix_anchor=f"{NO_CODE_ANCHOR}missing {kind} tests",
            title=f"No {kind.capitalize()} Tests",
        )


@rule(
    id="TST003",
    name="tests-assert-nothing",
    title="Tests That Assert Nothing",
    severity=Severity.MEDIUM,
    category=Category.TEST_ROBUSTNESS,
    rationale=(
        "The model wrote tests whose only assertions cannot fail on a wrong stack (`assert True`, "
        "`is not None`, `hasattr`, `isinstance`) or that assert nothing at all. Medium when no test "
        "of the file checks anything (the suite gives no signal), Low when a few hollow tests sit "
        "among real ones."
    ),
    docs=(f"{PYTEST_DOCS}/how-to/assert.html", CDKTF_TEST_DOCS),
    impact=(
        "Test Gap: The tests pass whatever the stack builds",
        "False Confidence: Coverage counts code that no assertion checks",
    ),
    fix_minutes=30,
    needs="source",
    keywords=(
        "assert True",
        "no assertion",
        "assert nothing",
        "asserts nothing",
        "placeholder test",
        "trivial test",
        "meaningless test",
        "empty test",
        "weak assertion",
        "always pass",
    ),
    version=4,
)
def tests_assert_nothing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: test functions that check nothing: no assertion at all, only `assert True`,
    only `x is not None` / `hasattr(...)` / `isinstance(...)` checks, or a CDKTF matcher
    (`Testing.to_be_valid_terraform(...)`, `Testing.to_have_resource(...)`) whose bool result is
    dropped. A test checks something when it asserts anything else, calls an `assert*` helper
    (`self.assertEqual`, `mock.assert_called_once_with`) or a helper of its own module that does,
    expects an exception (`pytest.raises`), fails on purpose (`pytest.fail`, `raise`). Skipped tests
    are not judged. One finding per test file, at its first such test, naming them all. A test
    module that does not parse is TST005's.

    Why it matters: a stack object exists once its constructor returned, so these tests pass
    whatever the stack builds: the suite reports green on a broken stack.

    Bad: `def test_global_table_replication(self): ... assert True  # Placeholder`;
    `def test_stack(self): stack = TapStack(app, "t"); assert stack is not None`.

    Good: `synth = json.loads(Testing.synth(stack))` then
    `assert synth["resource"]["aws_dynamodb_table"]["orders"]["billing_mode"] == "PAY_PER_REQUEST"`.

    References: pytest, how to write assertions; CDKTF unit tests.
    """
    for module in suite_modules(ctx.source):
        hollow = hollow_tests(module)
        if not hollow:
            continue
        first = hollow[0].test
        reasons: dict[str, list[str]] = {}
        for h in hollow:
            reasons.setdefault(h.why, []).append(f"`{h.test.node.name}`")
        said = "; ".join(f"{why}: {_listed(names)}" for why, names in reasons.items())
        every = len(hollow) == len(module.tests)
        if every:
            share = {1: "The only test", 2: "Both tests"}.get(len(hollow), f"All {len(hollow)} tests")
        else:
            share = f"{len(hollow)} of the {len(module.tests)} tests"
        verb = "asserts" if len(hollow) == 1 else "assert"
        yield Hit(
            message=(
                f"{share} in `{module.path}` {verb} nothing about what the stack builds ({said}): "
                f"{'it passes' if len(hollow) == 1 else 'they pass'} as long as the code runs."
            ),
            location=Location(path=module.path, line=first.line, end_line=first.end_line),
            anchor=f"hollow-tests:{module.path}",
            fix_anchor=f"{NO_CODE_ANCHOR}tests that assert nothing in {module.path}",
            severity=Severity.MEDIUM if every else Severity.LOW,
        )


@rule(
    id="TST004",
    name="integration-tests-not-reading-outputs",
    title="Integration Tests Not Reading Stack Outputs",
    severity=Severity.MEDIUM,
    category=Category.TEST_ROBUSTNESS,
    rationale=(
        "The model's integration tests fake AWS (moto), call it with names, ARNs, account ids or "
        "regions written into the test, or look up outputs the stacks do not declare, instead of "
        "reading the deployed stack's outputs. Medium, as reviewers rate test gaps: the deployment "
        "is untouched, but the integration stage checks nothing about it."
    ),
    docs=(
        "https://developer.hashicorp.com/terraform/cdktf/concepts/variables-and-outputs",
        "https://developer.hashicorp.com/terraform/cdktf/cli-reference/commands#output",
        "https://docs.getmoto.org/en/latest/",
    ),
    impact=(
        "Test Gap: The integration stage passes without looking at what was deployed",
        "CI/CD Failure: Tests that look up an output the stack does not export fail or skip",
    ),
    fix_minutes=45,
    needs="source",
    keywords=(
        "integration test",
        "stack outputs",
        "flat-outputs",
        "cfn-outputs",
        "live AWS",
        "deployed resources",
        "moto",
        "mocked",
        "mock_aws",
        "hardcoded resource",
    ),
    version=4,
)
def integration_tests_not_reading_outputs(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an integration test module (under an `integration` folder, or with
    `integration` in its name) that
    - fakes AWS: uses moto (`@mock_dynamodb`, `@mock_aws`, `with mock_aws():`), so it tests the
      fake; or
    - calls AWS (boto3) with resource names, ARNs with an account id, 12-digit account ids or
      `region_name=` regions written into the test, and never reads the deployment's outputs
      (`cfn-outputs/flat-outputs.json`, which the archive's CI writes with `cdktf output
      --outputs-file`); or
    - looks up an output by a literal key (`outputs["alb_arn"]`, `outputs.get("alb_arn")`) that
      no synthesized stack declares as a `TerraformOutput` (judged only when the answer
      synthesized as written: repaired or fallback JSON may lack outputs).
    One finding per module and problem, at its first place.

    Why it matters: the integration stage runs after the deployment to prove it works. A faked
    AWS, or names typed into the test, prove nothing about what this deployment created; an output
    the stack does not export makes the test fail with a KeyError, or skip.

    Bad: `@mock_dynamodb class TestReplication: ... boto3.resource("dynamodb",
    region_name="us-east-1"); table_name = "dr-payments-test"`.

    Good: `outputs = json.load(open("cfn-outputs/flat-outputs.json"))["TapStackdev"]`, then
    `boto3.client("dynamodb").describe_table(TableName=outputs["table_name"])`, with
    `TerraformOutput(self, "table_name", value=table.name)` in the stack.

    References: CDKTF outputs; `cdktf output`; moto.
    """
    declared = _declared_outputs(ctx)
    for module in suite_modules(ctx.source):
        if module.kind != INTEGRATION or module.tree is None:
            continue
        # Tests that check nothing check no fake either: TST003 says what is wrong with them.
        hollow = module.tests and len(hollow_tests(module)) == len(module.tests)
        hit = None if hollow else _not_deployment(module)
        if hit is not None:
            yield hit
        if declared is not None:
            hit = _undeclared(module, declared, ctx)
            if hit is not None:
                yield hit


def _not_deployment(module: SuiteModule) -> Hit | None:
    """A module that fakes AWS, or calls it with values of its own and reads no outputs."""
    assert module.tree is not None
    faked = fakes(module.tree)
    reads = reads_outputs(module.tree)
    typed = hard_coded(module.tree) if not reads or faked else []
    if faked:
        spots = _listed([f"{s.what} (line {s.line})" for s in faked])
        typed_text = f" It also hard-codes {_listed(_unique(typed))}." if typed else ""
        source = (
            "even though it reads the stack's outputs"
            if reads
            else "instead of reading the deployed stack's outputs (`cfn-outputs/flat-outputs.json`)"
        )
        message = (
            f"`{module.path}` fakes AWS with moto ({spots}) {source}: its tests check the fake, not "
            f"this deployment.{typed_text}"
        )
        line = faked[0].line
    elif uses_aws(module.tree) and not reads and typed:
        message = (
            f"`{module.path}` calls AWS with values written into the test ({_listed(_unique(typed))}) "
            "and never reads the deployed stack's outputs (`cfn-outputs/flat-outputs.json`): it checks "
            "whatever has those names, not what this deployment created."
        )
        line = typed[0].line
    else:
        return None
    return Hit(
        message=message,
        location=Location(path=module.path, line=line),
        anchor=f"fake-aws:{module.path}",
        fix_anchor=f"{NO_CODE_ANCHOR}integration tests that fake AWS or make up names in {module.path}",
    )


def _unique(spots: list[Spot]) -> list[str]:
    return list(dict.fromkeys(s.what for s in spots))


def _declared_outputs(ctx: GradeContext) -> set[str] | None:
    """Every output name the synthesized stacks declare; None when the JSON cannot tell (no synth,
    or JSON from a repaired or fallback run that may lack part of the stacks)."""
    if not ctx.terraform or ctx.terraform_note or (ctx.synth is not None and not ctx.synth.ok):
        return None
    return {name for doc in ctx.terraform.values() for name in (doc.get("output") or {})}


def _undeclared(module: SuiteModule, declared: set[str], ctx: GradeContext) -> Hit | None:
    assert module.tree is not None
    if not reads_outputs(module.tree):
        return None
    missing = [r for r in output_reads(module.tree) if not _is_declared(r, declared, ctx)]
    if not missing:
        return None
    first: dict[str, int] = {}
    for r in missing:
        first.setdefault(r.key, r.line)
    keys = [f"`{key}` (line {line})" for key, line in first.items()]
    have = _listed(sorted(f"`{n}`" for n in declared)) if declared else "none"
    return Hit(
        message=(
            f"`{module.path}` reads outputs no stack declares: {_listed(keys)}. The stacks' "
            f"`TerraformOutput`s: {have}. A test that looks them up fails with a KeyError or skips."
        ),
        location=Location(path=module.path, line=missing[0].line),
        anchor=f"undeclared-outputs:{module.path}",
        fix_anchor=f"{NO_CODE_ANCHOR}tests reading undeclared outputs in {module.path}",
    )


def _is_declared(read: OutputRead, declared: set[str], ctx: GradeContext) -> bool:
    """An output of some stack, under its own name or as the tail of a nested construct's output
    name (`network_vpc_id_1A2B3C4D`); a stack's own name (the outputs file's top level) is no output."""
    key = read.key
    if key in ctx.terraform or any(key.startswith(_stack_prefix(s, ctx)) for s in ctx.terraform):
        return True
    return any(
        name == key or _unhashed(name).endswith(f"_{key}") or _unhashed(name) == key for name in declared
    )


def _stack_prefix(stack: str, ctx: GradeContext) -> str:
    # The CI names stacks with the environment suffix (`TapStackdev`); tests build the name with theirs.
    suffix = ctx.settings.environment_suffix
    return stack[: -len(suffix)] if suffix and stack.endswith(suffix) and len(stack) > len(suffix) else stack


def _unhashed(name: str) -> str:
    """An output name without the hash cdktf appends to ids of nested constructs (`_1A2B3C4D`)."""
    head, _, tail = name.rpartition("_")
    return head if head and len(tail) == 8 and tail.isalnum() and tail.upper() == tail else name


@rule(
    id="TST005",
    name="test-imports-undefined",
    title="Test Imports What the Answer Does Not Define",
    severity=Severity.HIGH,
    category=Category.TEST_ROBUSTNESS,
    rationale=(
        "The model's test module imports a module or name of the answer's own packages that the "
        "answer does not define, or does not parse at all. High when pytest cannot collect the file "
        "(a module-level import, a syntax error): the test run stops with a collection error and "
        "none of the suite's tests run; Medium when only the tests that import it fail."
    ),
    docs=(
        f"{PYTEST_DOCS}/explanation/pythonpath.html",
        "https://docs.python.org/3/reference/lexical_analysis.html#keywords",
    ),
    impact=(
        "CI/CD Failure: pytest stops with a collection error and the test stage fails",
        "Test Gap: None of the module's tests run",
    ),
    fix_minutes=15,
    needs="source",
    keywords=(
        "test import",
        "tests import",
        "import in test",
        "collection error",
        "cannot be collected",
        "test file",
    ),
    version=3,
)
def test_imports_undefined(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a test module (or a `conftest.py` beside the tests) that
    - does not parse: pytest cannot import it (a SyntaxError such as
      `from lib.lambda.handler import main`, where `lambda` is a Python keyword; f-strings that
      Python 3.12, which the archive's CI runs, accepts are not judged on an older interpreter); or
    - imports from the answer's own packages (`lib`, `tests`, the stack's module) a module the
      answer does not have or a name its module does not define (`from lib.main import
      GlobalResourcesStack` when `lib/main.py` has no such class), including
      `importlib.import_module("...")` with a literal name.
    Third-party imports are not judged (whether a package is installed is the environment's). One
    finding per module, at its first problem.

    Why it matters: a module pytest cannot import is a collection error: the run stops and no test
    of the suite runs. An import inside a test fails that test with ImportError.

    Bad: `from lib.lambda.payment_processor.index import handler`.

    Good: `handler = importlib.import_module("lib.lambda.payment_processor.index").handler`, or a
    Lambda folder named `lib/lambda_functions/`.

    References: pytest, sys.path and import modes; Python's keywords.
    """
    project = Project(ctx.workspace.python_files(answer_only=False))
    # A file pytest ran is TST002's: its import errors were observed there, not predicted.
    ran = observed_files(ctx)
    for module in suite_modules(ctx.source, with_conftest=True):
        if module.path in ran:
            continue
        if module.error is not None:
            if judged_syntax_error(module.error):
                yield _syntax_hit(ctx, module.path, module.error)
            continue
        assert module.tree is not None
        problems = unresolved(module.path, module.tree, project)
        if not problems:
            continue
        blocking = any(p.module_level for p in problems)
        places = _listed([f"{p.what} (line {p.line})" for p in problems])
        result = (
            "collecting the file fails with ImportError, so none of its tests run"
            if blocking
            else "the tests that import it fail with ImportError"
        )
        yield Hit(
            message=f"`{module.path}` imports {places}: {result}.",
            location=Location(path=module.path, line=problems[0].line, end_line=problems[0].end_line),
            anchor=f"test-imports:{module.path}",
            fix_anchor=f"{NO_CODE_ANCHOR}unresolved test imports in {module.path}",
            severity=Severity.HIGH if blocking else Severity.MEDIUM,
        )


def _syntax_hit(ctx: GradeContext, path: str, error: SyntaxError) -> Hit:
    line = error.lineno or 1
    text = ctx.lines(path, line).strip()
    word = keyword_in_path(text)
    hint = (
        f" (`{word}` is a Python keyword, so no import statement can name a module path holding it; "
        'load such a module with `importlib.import_module("...")`)'
        if word
        else ""
    )
    return Hit(
        message=(
            f"`{path}` does not parse: line {line}, `{text}`, is a SyntaxError{hint}. pytest cannot "
            "collect the file, so none of its tests run."
        ),
        location=Location(path=path, line=line),
        anchor=f"test-imports:{path}",
        fix_anchor=f"{NO_CODE_ANCHOR}a test module that does not parse at {path}",
    )
