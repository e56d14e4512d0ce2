"""Every registered rule: metadata, docs, and its good/bad fixtures, run as tests."""

from __future__ import annotations

import re

import pytest

from graders.registry import load_rules, run_rules
from harness.core.findings import Outcome
from tests.rule_fixtures import FIXTURES, fixture

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
        assert (FIXTURES / rule_id / kind).is_dir(), f"{rule_id} has no {kind} fixture"
    assert (FIXTURES / rule_id / "bad" / "expected.json").is_file()


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
    got = sorted((f.anchor, str(f.location)) for f in run.findings)
    want = sorted((e["anchor"], e.get("location", "")) for e in fx.expected())
    assert got == want
    titles = {e["anchor"]: e["title"] for e in fx.expected() if "title" in e}
    marked = [e for e in fx.expected() if "severity" in e]
    severities = {(e["anchor"], e.get("location", "")): e["severity"] for e in marked}
    for f in run.findings:
        if f.anchor in titles:
            assert f.title == titles[f.anchor]
        if (f.anchor, str(f.location)) in severities:
            assert f.severity == severities[(f.anchor, str(f.location))], f"{f.anchor} at {f.location}"
