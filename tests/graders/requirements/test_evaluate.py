"""Requirements judged on real synthesized answers: the rule cases under tests/rules/requirements/."""

from __future__ import annotations

from iacgrade.graders.registry import load_rules, run_rule
from iacgrade.graders.requirements.outcome import requirement_checks
from iacgrade.harness.core.results import RequirementStatus
from tests.rule_fixtures import rule_case


def _statuses(rule_id: str, case: str) -> dict[str, RequirementStatus]:
    return {c.aspect: c.status for c in requirement_checks(rule_case(rule_id, case).context())}


def test_an_unmet_requirement_says_where_it_should_be_met() -> None:
    case = rule_case("REQ008", "fails")
    [check] = [c for c in requirement_checks(case.context()) if c.aspect == "force_destroy"]
    assert check.status is RequirementStatus.UNMET
    assert check.rule_id == "REQ008" and check.line == 4
    # The `S3Bucket(...)` call, where the case marks the finding.
    assert check.where == [m.where for m in case.markers()]


def test_met_and_unmet_follow_the_answer() -> None:
    assert _statuses("REQ002", "fails")["multi_az"] is RequirementStatus.UNMET
    assert _statuses("REQ002", "passes")["multi_az"] is RequirementStatus.MET


def test_a_region_the_answer_pins_is_judged_one_from_the_template_is_not() -> None:
    assert _statuses("REQ001", "fails")["regions"] is RequirementStatus.UNMET
    # "Region: **us-east-2**" is the task's; the template's `us-east-1` / `us-west-2` are not.
    assert _statuses("REQ001", "passes-template-regions")["regions"] is RequirementStatus.MET


def test_what_aws010_reports_is_unmet_in_the_table_but_not_reported_again() -> None:
    ctx = rule_case("REQ008", "passes-left-to-aws010").context()
    [check] = requirement_checks(ctx)
    assert check.status is RequirementStatus.UNMET and check.reported_by == ["AWS010"]
    found, _ = run_rule(load_rules()["REQ008"], ctx)
    assert found == []


def test_the_generic_nat_rule_gives_no_requirement() -> None:
    assert requirement_checks(rule_case("REQ009", "passes-conditional-template").context()) == []


def test_a_failure_quotes_the_prompt_line_and_names_the_setting() -> None:
    found, _ = run_rule(load_rules()["REQ008"], rule_case("REQ008", "fails").context())
    [finding] = found
    assert finding.message.startswith(
        'PROMPT.md line 4: "S3 buckets must be configured for automatic deletion on stack destroy".'
    )
    assert "`force_destroy=True`" in finding.message
    assert finding.anchor == "requirement:force_destroy:L4"
    assert finding.error.startswith("BucketNotEmpty")
