"""Which prompt lines ask for tests, and which tasks come from the archive's template."""

from __future__ import annotations

from iacgrade.graders.tests.asks import first_asks, from_archive, prompt_asks

PROMPT = """# Task
- **Code Quality**: Python code, well-tested, properly documented
- All resources must be destroyable for testing environments
- These outputs will be used in integration tests.
- Comprehensive unit tests (100% code coverage with mocks)
- Integration tests must validate end-to-end workflows using deployed resources
"""


def test_lines_that_ask_and_lines_that_only_mention_tests() -> None:
    asked = {a.line: sorted(a.kinds) for a in prompt_asks(PROMPT)}
    assert asked == {2: ["unit"], 5: ["unit"], 6: ["integration"]}


def test_the_most_direct_line_is_the_one_quoted() -> None:
    firsts = first_asks(PROMPT)
    assert firsts["unit"].line == 5  # "unit tests" over the earlier "well-tested"
    assert firsts["integration"].text.startswith("- Integration tests must validate")


def test_one_line_can_ask_for_both_kinds() -> None:
    assert sorted(first_asks("- Comprehensive unit and integration tests\n")) == ["integration", "unit"]


def test_negated_lines_ask_nothing() -> None:
    assert prompt_asks("- No unit tests are needed for this spike\n- do not write integration tests\n") == []


def test_archive_tasks_record_coverage() -> None:
    assert from_archive({"platform": "cdktf", "language": "py", "coverage": {"lines": 100}})
    assert not from_archive({"platform": "cdktf", "language": "py"})
    assert not from_archive({"platform": "cdk", "language": "py", "coverage": {}})
