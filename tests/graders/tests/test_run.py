"""TST002 on hand-written test reports: what is the answer's failure, what is the sandbox's gap,
which failures are one, and how the model's pair with the reference's."""

from __future__ import annotations

import dataclasses

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import load_rules, run_rule
from iacgrade.graders.tests.run import environment_gap, signature
from iacgrade.harness.core.findings import ErrorKind, Finding
from iacgrade.harness.core.synth import Frame, SynthResult, SynthStatus, TestCase, TestOutcome, TestRun
from iacgrade.harness.pipeline.compare import Side, compare
from tests.rule_fixtures import workspace_of

STACK = "class TapStack:\n    pass\n"
TEST_FILE = "tests/unit/test_stack.py"
TEST_SOURCE = "\n".join(
    [
        "from lib.tap_stack import TapStack",
        "",
        "def test_one():",
        "    assert False",
        "",
        "def test_two():",
        "    assert False",
        "",
        "def test_three():",
        "    assert TapStack().bucket",
        "",
    ]
)


def case(
    nodeid: str, line: int, message: str = "assert False", error_type: str = "AssertionError", **extra: object
) -> TestCase:
    frame = Frame(file=TEST_FILE, line=line, code="assert False", function=nodeid.rpartition("::")[2])
    return TestCase.model_validate(
        {
            "nodeid": nodeid,
            "outcome": TestOutcome.FAILED,
            "when": "call",
            "error_type": error_type,
            "message": message,
            "frame": frame,
            "test_frame": frame,
            **extra,
        }
    )


def findings(
    cases: list[TestCase], ran: bool = True, files: dict[str, str] | None = None, side: str = "model"
) -> list[Finding]:
    run = TestRun(ran=ran, paths=[TEST_FILE], counts={"failed": len(cases)}, cases=cases)
    answer = {"lib/__init__.py": "", "lib/tap_stack.py": STACK, TEST_FILE: TEST_SOURCE, **(files or {})}
    ws = dataclasses.replace(workspace_of(answer), side=side)
    ctx = GradeContext(ws, SynthResult(status=SynthStatus.OK, tests=run))
    found, _ = run_rule(load_rules()["TST002"], ctx)
    return found


def test_each_failing_test_is_a_high_observed_finding_at_its_line() -> None:
    found = findings(
        [case(f"{TEST_FILE}::test_one", 4), case(f"{TEST_FILE}::test_three", 10, "AttributeError")]
    )
    assert [(str(f.location), f.severity.value) for f in found] == [
        (f"{TEST_FILE}:4", "High"),
        (f"{TEST_FILE}:10", "High"),
    ]
    assert all(f.error_kind is ErrorKind.OBSERVED for f in found)
    assert "`test_one`" in found[0].message and "Observed" in found[0].message
    assert found[0].evidence == "assert False"


def test_tests_failing_the_same_way_at_the_same_line_are_one_finding() -> None:
    found = findings([case(f"{TEST_FILE}::test_one[a]", 4), case(f"{TEST_FILE}::test_one[b]", 4)])
    assert len(found) == 1
    assert found[0].message.startswith("2 unit tests fail the same way: `test_one[a]`, `test_one[b]`")


def test_same_error_at_two_lines_is_two_findings_with_one_anchor() -> None:
    found = findings([case(f"{TEST_FILE}::test_one", 4), case(f"{TEST_FILE}::test_two", 7)])
    assert [f.location.line for f in found] == [4, 7]
    assert {f.anchor for f in found} == {"test:AssertionError: assert False"}


def test_a_run_that_did_not_happen_says_nothing() -> None:
    assert findings([case(f"{TEST_FILE}::test_one", 4)], ran=False) == []


def test_a_package_the_sandbox_lacks_is_not_the_answers_failure() -> None:
    moto = case(TEST_FILE, 1, "No module named 'moto'", "ModuleNotFoundError", module="moto", when="collect")
    assert environment_gap(moto, {}) == "the package `moto`"
    assert findings([moto]) == []
    # ... but stays in the note of the answer's real failures.
    found = findings([moto, case(f"{TEST_FILE}::test_one", 4)])
    assert len(found) == 1 and "sandbox lacks the package `moto`" in found[0].note


def test_a_module_the_answer_gets_wrong_is_its_failure() -> None:
    files = {"lib/tap_stack.py": STACK, "lib/handlers/index.py": ""}
    for name in ("lib.missing", "tap_stack", "handlers", "cdktf_cdktf_provider_aws.no_such_module"):
        wrong = case(TEST_FILE, 1, f"No module named '{name}'", "ModuleNotFoundError", module=name)
        assert environment_gap(wrong, files) == "", name


def test_a_plugin_fixture_the_sandbox_lacks_is_its_gap_an_undefined_one_is_not() -> None:
    mocker = case(f"{TEST_FILE}::test_one", 3, "fixture 'mocker' not found", "FixtureLookupError")
    assert environment_gap(mocker, {}) == "the pytest plugin `pytest-mock` (fixture `mocker`)"
    stack = case(f"{TEST_FILE}::test_one", 3, "fixture 'stack' not found", "FixtureLookupError")
    assert environment_gap(stack, {}) == ""


def test_signature_drops_object_addresses() -> None:
    one = case("a::t", 1, "assert False\n +  where False = hasattr(<TapStack object at 0x7f00aa>, 'bucket')")
    other = case(
        "b::t", 2, "assert False\n +  where False = hasattr(<TapStack object at 0x7f11bb>, 'bucket')"
    )
    assert signature(one) == signature(other) == "AssertionError: assert False"
    assert signature(case("a::t", 1, "x at 0xdeadbeef")) == "AssertionError: x at 0x?"


def test_a_failure_the_reference_shares_is_not_the_models() -> None:
    shared_error = "No module named 'lib.lambda'"
    model = findings(
        [
            case(f"{TEST_FILE}::test_one", 4, shared_error, "ModuleNotFoundError", module="lib.lambda"),
            case(
                f"{TEST_FILE}::test_three",
                10,
                "'TapStack' object has no attribute 'bucket'",
                "AttributeError",
            ),
        ]
    )
    ideal = findings(
        [
            case(
                "tests/unit/test_other.py::test_x",
                4,
                shared_error,
                "ModuleNotFoundError",
                module="lib.lambda",
            )
        ],
        side="ideal",
    )
    ideal_ws = workspace_of({"lib/__init__.py": "", "lib/tap_stack.py": STACK})
    result = compare(Side(None, model, usable=True), Side(ideal_ws, ideal, usable=True))
    assert [f.location.line for f in result.shared] == [4]
    assert [f.location.line for f in result.failures] == [10]


def test_a_test_file_pytest_ran_is_left_to_tst002_not_predicted_again_by_tst005() -> None:
    broken = "from lib.lambda.handler import main\n\ndef test_main():\n    assert main()\n"
    answer = {"lib/__init__.py": "", "lib/tap_stack.py": STACK, TEST_FILE: broken}
    collect = TestCase(
        nodeid=TEST_FILE, outcome=TestOutcome.ERROR, when="collect", error_type="SyntaxError", message="x"
    )
    ws = workspace_of(answer)

    def tst005(run: TestRun | None) -> list[Finding]:
        ctx = GradeContext(ws, SynthResult(status=SynthStatus.OK, tests=run))
        return run_rule(load_rules()["TST005"], ctx)[0]

    assert len(tst005(None)) == 1
    assert tst005(TestRun(ran=True, paths=[TEST_FILE], counts={"error": 1}, cases=[collect])) == []
    # A run a missing package stopped early saw nothing of the file: the static reading stands.
    gap = collect.model_copy(update={"error_type": "ModuleNotFoundError", "module": "moto"})
    assert len(tst005(TestRun(ran=True, paths=[TEST_FILE], counts={"error": 1}, cases=[gap]))) == 1
