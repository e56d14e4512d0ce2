"""Every registered rule: metadata, docs, and its good/bad fixtures, run as tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders.registry import load_rules, run_rules
from harness.core.findings import Outcome
from tests.rule_fixtures import fixture, mismatches, rule_dir

RULES = load_rules()
REQUIRED_DOC_SECTIONS = ("What it flags", "Why it matters", "Bad", "Good", "References")


def test_rule_ids_follow_the_family_scheme() -> None:
    for rule_id, r in RULES.items():
        assert re.fullmatch(r"(SYN|ENV|PY|TF|AWS|SEC|TST)\d{3}", rule_id), rule_id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r.meta.name), r.meta.name
        assert r.meta.rationale and r.meta.title


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_documents_itself(rule_id: str) -> None:
    doc = RULES[rule_id].meta.explanation
    for section in REQUIRED_DOC_SECTIONS:
        assert f"{section}:" in doc, f"{rule_id} docstring lacks '{section}:'"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_has_good_and_bad_fixtures(rule_id: str) -> None:
    for kind in ("good", "bad"):
        assert (rule_dir(rule_id) / kind).is_dir(), f"{rule_id} has no {kind} fixture"
    assert not fixture(rule_id, "good").fails, f"{rule_id}'s good fixture marks a finding"
    assert fixture(rule_id, "bad").fails, f"{rule_id}'s bad fixture marks no finding (`# expect: {rule_id}`)"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_good_fixture_yields_nothing(rule_id: str) -> None:
    run = run_rules(fixture(rule_id, "good").context(), only=[rule_id])
    assert [o.outcome for o in run.outcomes] == [Outcome.PASS]
    assert run.findings == []


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_bad_fixture_yields_exactly_the_marked_hits(rule_id: str) -> None:
    fx = fixture(rule_id, "bad")
    run = run_rules(fx.context(), only=[rule_id])
    assert [o.outcome for o in run.outcomes] == [Outcome.FAIL]
    problems = mismatches(run.findings, fx.markers(), fx.unlocated())
    assert not problems, "\n".join(problems)
    anchors = {f.anchor: f.title for f in run.findings}
    for anchor, title in fx.titles().items():
        assert anchors.get(anchor) == title, f"{anchor}: {anchors.get(anchor, 'no such finding')!r}"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_source_points_at_its_declaration(rule_id: str) -> None:
    path, _, line = RULES[rule_id].meta.source.rpartition(":")
    root = Path(__file__).resolve().parent.parent
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    declaration = "\n".join(lines[int(line) - 1 : int(line) + 2])
    assert declaration.startswith("@rule(") and f'id="{rule_id}"' in declaration, declaration


def test_a_check_id_names_the_rule_that_ran_it() -> None:
    from graders.registry import declaring_rule

    assert declaring_rule("SEC:CKV_AWS_18") == "SEC001"
    assert declaring_rule("TF001") == "TF001"
    # A family with no rule running checks keeps the id: nothing to attribute it to.
    assert declaring_rule("TF:X_1") == "TF:X_1"


def test_a_hit_naming_a_check_gets_the_check_id_only_from_a_rule_that_runs_checks() -> None:
    from graders.registry import Hit

    sec = RULES["SEC001"].to_finding(Hit(message="m", check="CKV_AWS_18", check_name="Ensure logging"))
    assert (sec.rule_id, sec.check_name) == ("SEC:CKV_AWS_18", "Ensure logging")
    with pytest.raises(ValueError, match="does not run outside checks"):
        RULES["TF001"].to_finding(Hit(message="m", check="CKV_AWS_18"))
