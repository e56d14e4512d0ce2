"""Every registered rule: metadata, docs, and its fixture cases (tests/rules/), run as tests."""

from __future__ import annotations

import re

import pytest

from iacgrade.graders.registry import load_rules, run_rules
from iacgrade.harness.core.findings import Outcome
from tests.paths import REPO
from tests.rule_fixtures import Case, all_cases, family_of, mismatches, rule_cases

RULES = load_rules()
CASES = all_cases()
REQUIRED_DOC_SECTIONS = ("What it flags", "Why it matters", "Bad", "Good", "References")


def test_rule_ids_follow_the_family_scheme() -> None:
    for rule_id, r in RULES.items():
        assert re.fullmatch(r"(SYN|ENV|PY|TF|HCL|AWS|SEC|TST|REQ|CFN)\d{3}", rule_id), rule_id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r.meta.name), r.meta.name
        assert r.meta.rationale and r.meta.title


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_documents_itself(rule_id: str) -> None:
    doc = RULES[rule_id].meta.explanation
    for section in REQUIRED_DOC_SECTIONS:
        assert f"{section}:" in doc, f"{rule_id} docstring lacks '{section}:'"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_has_a_passing_and_a_failing_case(rule_id: str) -> None:
    cases = rule_cases(rule_id)
    assert any(not c.fails for c in cases), (
        f"{rule_id} has no passing case (one with no `# expect: {rule_id}`)"
    )
    assert any(c.fails for c in cases), f"{rule_id} has no failing case (none marks `# expect: {rule_id}`)"


def test_every_case_folder_is_a_registered_rule_in_its_family() -> None:
    for case in CASES:
        assert case.rule_id in RULES, f"{case.path} names no registered rule"
        assert case.path.parent.parent.name == family_of(case.rule_id), (
            f"{case.path}: not its family's folder"
        )
        assert (case.path / "files").is_dir(), f"{case.path} has no files/"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_yields_exactly_the_marked_findings(case: Case) -> None:
    """A case with no marker of its rule must pass it; a case with markers gets exactly those
    findings, from its rule and from any other rule a marker names."""
    run = run_rules(case.context(), only=sorted({case.rule_id} | case.marked_rules()))
    outcome = {o.rule_id: o for o in run.outcomes}[case.rule_id]
    assert outcome.outcome is not Outcome.ERROR, f"{case.rule_id} raised: {outcome.detail}"
    problems = mismatches(run.findings, case.markers(), case.unlocated())
    assert not problems, "\n".join(problems)
    assert outcome.outcome is (Outcome.FAIL if case.fails else Outcome.PASS)
    titles = {f.anchor: f.title for f in run.findings}
    for anchor, title in case.titles().items():
        assert titles.get(anchor) == title, f"{anchor}: {titles.get(anchor, 'no such finding')!r}"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_source_points_at_its_declaration(rule_id: str) -> None:
    path, _, line = RULES[rule_id].meta.source.rpartition(":")
    root = REPO
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    declaration = "\n".join(lines[int(line) - 1 : int(line) + 2])
    assert declaration.startswith("@rule(") and f'id="{rule_id}"' in declaration, declaration


def test_a_check_id_names_the_rule_that_ran_it() -> None:
    from iacgrade.graders.registry import declaring_rule

    assert declaring_rule("SEC:CKV_AWS_18") == "SEC001"
    assert declaring_rule("TF001") == "TF001"
    # A family with no rule running checks keeps the id: nothing to attribute it to.
    assert declaring_rule("TF:X_1") == "TF:X_1"


def test_a_hit_naming_a_check_gets_the_check_id_only_from_a_rule_that_runs_checks() -> None:
    from iacgrade.graders.registry import Hit

    sec = RULES["SEC001"].to_finding(Hit(message="m", check="CKV_AWS_18", check_name="Ensure logging"))
    assert (sec.rule_id, sec.check_name) == ("SEC:CKV_AWS_18", "Ensure logging")
    with pytest.raises(ValueError, match="does not run outside checks"):
        RULES["TF001"].to_finding(Hit(message="m", check="CKV_AWS_18"))
