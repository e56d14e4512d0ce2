"""Which model findings the reference shares, and which it got right."""

from __future__ import annotations

from iacgrade.harness.core.findings import Category, Finding, Severity
from iacgrade.harness.pipeline.compare import Side, compare


def _finding(rule: str, anchor: str, message: str, error: str = "") -> Finding:
    return Finding(
        rule_id=rule,
        title=rule,
        severity=Severity.HIGH,
        category=Category.PRODUCTION_READINESS,
        message=message,
        anchor=anchor,
        error=error,
    )


def _side(*findings: Finding) -> Side:
    return Side(workspace=None, findings=list(findings), usable=True)


def test_same_problem_on_a_differently_named_construct_is_shared() -> None:
    model = _finding(
        "AWS016",
        "construct:primary_cluster",
        "`aws_rds_cluster.database_primary_cluster_78065EAD.master_password` is a literal secret.",
    )
    ideal = _finding(
        "AWS016",
        "construct:cluster",
        "`aws_rds_cluster.database_cluster_FAF2FB92.master_password` is a literal secret.",
    )
    result = compare(_side(model), _side(ideal))
    assert result.failures == [] and len(result.shared) == 1
    assert result.ideal_only == []


def test_same_rule_on_another_attribute_stays_a_failure() -> None:
    model = _finding("AWS016", "construct:a", "`aws_rds_cluster.a_1.master_password` is a literal secret.")
    ideal = _finding("AWS016", "construct:b", "`aws_db_instance.b_2.password` is a literal secret.")
    result = compare(_side(model), _side(ideal))
    assert [f.rule_id for f in result.failures] == ["AWS016"] and result.shared == []
    assert [f.anchor for f in result.ideal_only] == ["construct:b"]


def test_synth_failures_are_shared_only_when_the_error_is_the_same() -> None:
    model = _finding("SYN001", "synth", "Synthesis failed.", "ImportError: cannot import name 'X'")
    other = _finding("SYN001", "synth", "Synthesis failed.", "TypeError: f() got an unexpected keyword 'y'")
    same = _finding("SYN001", "synth", "Synthesis failed.", "ImportError: cannot import name 'X'\n  more")
    assert len(compare(_side(model), _side(other)).failures) == 1
    assert len(compare(_side(model), _side(same)).shared) == 1
