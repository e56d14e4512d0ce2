"""Rule selection (--select/--ignore) and the reviewer's ignore list in metadata.json."""

from __future__ import annotations

import pytest

from iacgrade.harness.core.errors import TaskLoadError
from iacgrade.harness.core.selection import ReviewerIgnore, RuleSelection, patterns, reviewer_ignores


def test_patterns_split_commas_fold_case_and_keep_order() -> None:
    assert patterns(["sec,AWS009", " tf ", "SEC", ""]) == ("SEC", "AWS009", "TF")


def test_prefixes_select_and_ignore_wins() -> None:
    sel = RuleSelection.of(select=["AWS", "TF001"], ignore=["AWS009"])
    assert sel.skip_reason("AWS003") == ""
    assert sel.skip_reason("TF001") == ""
    assert sel.skip_reason("AWS009") == "deselected by ignore 'AWS009'"
    assert sel.skip_reason("TF002").startswith("deselected: not matched by select AWS, TF001")
    assert not RuleSelection().active and RuleSelection().skip_reason("AWS009") == ""


def test_a_check_id_selects_its_runner_and_only_that_check() -> None:
    sel = RuleSelection.of(select=["SEC:CKV_AWS_24"])
    assert sel.skip_reason("SEC001", runs_checks=True) == ""
    assert sel.skip_reason("SEC001", runs_checks=False) != ""
    assert sel.keeps_check("SEC:CKV_AWS_24", "SEC001")
    assert not sel.keeps_check("SEC:CKV_AWS_18", "SEC001")
    ignoring = RuleSelection.of(ignore=["SEC:CKV_AWS_18"])
    assert ignoring.skip_reason("SEC001", runs_checks=True) == ""
    assert not ignoring.keeps_check("SEC:CKV_AWS_18", "SEC001")
    assert ignoring.keeps_check("SEC:CKV_AWS_24", "SEC001")


def test_unknown_patterns_are_told() -> None:
    sel = RuleSelection.of(select=["AWS", "SEC:CKV_AWS_24", "FOO"], ignore=["CFN:E3002", "ZZ"])
    assert sel.unknown(["AWS001", "SEC001", "CFN001"], ["SEC", "CFN"]) == ["FOO", "ZZ"]


def test_reviewer_ignore_list_reads_ids_and_reasons() -> None:
    metadata = {
        "iacgrade": {"ignore": ["aws009", {"rule": "SEC:CKV_AWS_18", "reason": "access logs go to a SIEM"}]}
    }
    assert reviewer_ignores(metadata) == (
        ReviewerIgnore("AWS009"),
        ReviewerIgnore("SEC:CKV_AWS_18", "access logs go to a SIEM"),
    )
    assert reviewer_ignores({}) == ()


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (["AWS009"], "must be an object"),
        ({"ignores": ["AWS009"]}, "unknown key 'ignores'"),
        ({"ignore": "AWS009"}, "must be a list"),
        ({"ignore": [{"rule": "AWS009", "why": "x"}]}, "unknown key 'why'"),
        ({"ignore": [3]}, "neither a rule id"),
    ],
)
def test_a_misshapen_ignore_list_is_the_tasks_error(block: object, problem: str) -> None:
    with pytest.raises(TaskLoadError, match=problem):
        reviewer_ignores({"iacgrade": block})


def test_a_selection_built_directly_is_read_like_one_from_the_command_line() -> None:
    built = RuleSelection(select=("sec:ckv_aws_24",), ignore=("aws009,tf",))
    assert built == RuleSelection.of(select=["SEC:CKV_AWS_24"], ignore=["AWS009", "TF"])
    assert built.skip_reason("SEC001", runs_checks=True) == ""
