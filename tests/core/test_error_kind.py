"""Where a finding's error comes from (observed at synth, predicted at synth or at deploy), how
its impact fits its severity, and results stored before either existed."""

from __future__ import annotations

import json

from iacgrade.graders.registry import Hit, Rule, RuleMeta, impact_for
from iacgrade.harness.core.findings import Category, ErrorKind, Finding, Severity
from iacgrade.harness.core.results import RESULT_SCHEMA_VERSION, TaskResult


def _rule(needs: str, severity: Severity = Severity.CRITICAL, impact: tuple[str, ...] = ()) -> Rule:
    meta = RuleMeta(
        id="TST950",
        name="test-rule",
        title="A test rule",
        severity=severity,
        category=Category.RESOURCE_CONFIGURATION,
        rationale="why",
        docs=(),
        impact=impact,
        fix_minutes=1,
        version=1,
        explanation="",
        needs=needs,
    )
    return Rule(meta=meta, check=lambda ctx: [])


def test_a_rule_on_the_source_predicts_a_synth_error_and_the_others_a_deploy_error() -> None:
    hit = Hit(message="m", error="TypeError: x")
    assert _rule("source").to_finding(hit).error_kind is ErrorKind.EXPECTED_SYNTH
    assert _rule("terraform").to_finding(hit).error_kind is ErrorKind.EXPECTED_DEPLOY
    seen = Hit(message="m", error="TypeError: x", error_kind=ErrorKind.OBSERVED)
    assert _rule("synth").to_finding(seen).error_kind is ErrorKind.OBSERVED


def test_only_a_critical_finding_is_called_a_deployment_blocker() -> None:
    impact = ("Deployment Blocker: terraform cannot read the package", "Packaging: build the zip")
    assert impact_for(Severity.CRITICAL, impact) == impact
    assert impact_for(Severity.HIGH, impact) == (
        "Deployment Risk: terraform cannot read the package",
        "Packaging: build the zip",
    )
    assert impact_for(Severity.LOW, ("Deployment Blocker (second environment): taken",)) == (
        "Deployment Risk (second environment): taken",
    )
    # A hit the rule judged below its own severity gets the softened bullets too.
    downgraded = _rule("terraform", impact=impact).to_finding(Hit(message="m", severity=Severity.HIGH))
    assert downgraded.impact[0].startswith("Deployment Risk:")


def test_a_hit_may_bring_its_own_impact() -> None:
    rule = _rule("source", impact=("Silent Misconfiguration: no error at synth",))
    own = ("Deployment Blocker: Prevents synthesis entirely (exit code 1)",)
    assert rule.to_finding(Hit(message="m", impact=own)).impact == own


def test_stored_findings_and_results_without_error_kind_still_load() -> None:
    old = {
        "schema_version": 1,
        "task_id": "t",
        "status": "graded",
        "failures": [
            {
                "rule_id": "PY004",
                "title": "t",
                "severity": "Critical",
                "category": "CDKTF Syntax",
                "message": "m",
                "location": {},
                "error": "TypeError: seen",
                "merged": ["SYN001"],
            },
            {
                "rule_id": "PY003",
                "title": "t",
                "severity": "Critical",
                "category": "CDKTF Syntax",
                "message": "m",
                "location": {},
                "error": "TypeError: predicted",
            },
            {
                "rule_id": "AWS001",
                "title": "t",
                "severity": "Critical",
                "category": "AWS Service Limitations",
                "message": "m",
                "location": {},
                "error": "InvalidParameterCombination",
            },
        ],
    }
    result = TaskResult.model_validate_json(json.dumps(old))
    assert [f.error_kind for f in result.failures] == [
        ErrorKind.OBSERVED,
        ErrorKind.EXPECTED_SYNTH,
        ErrorKind.EXPECTED_DEPLOY,
    ]
    assert result.schema_version == 1 and RESULT_SCHEMA_VERSION >= 2
    finding = Finding.model_validate(
        {
            "rule_id": "SYN004",
            "title": "t",
            "severity": "Critical",
            "category": "CDKTF Syntax",
            "message": "m",
            "error": "x",
        }
    )
    assert finding.error_kind is ErrorKind.OBSERVED
    # A value that was stored is kept as it is.
    kept = Finding.model_validate({**finding.model_dump(), "error_kind": "expected_deploy"})
    assert kept.error_kind is ErrorKind.EXPECTED_DEPLOY
