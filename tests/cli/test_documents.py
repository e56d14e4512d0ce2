"""The CI documents, gates and log lines, on results made by hand (nothing is graded here)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from iacgrade.graders.registry import load_rules
from iacgrade.harness.cli import SandboxKind
from iacgrade.harness.cli_output import plain_line
from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.gates import Gate, check_gates, mean_score
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.sandbox import SANDBOX_KINDS
from iacgrade.reports.catalogue import rules_json, rules_text
from iacgrade.reports.machine import OutputFormat, render_document
from iacgrade.reports.sarif import SARIF_VERSION
from tests.cli.results import broken, graded

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW


def test_mean_score_counts_graded_tasks_only() -> None:
    results = [graded("a", 4.0), graded("b", 8.0), broken("c"), broken("d", TaskStatus.ERROR)]
    assert mean_score(results) == 6.0
    assert mean_score([broken("c")]) is None


def test_fail_under_compares_the_mean() -> None:
    results = [graded("a", 4.0), graded("b", 8.0)]
    assert check_gates(results, fail_under=6.0) == []
    [breach] = check_gates(results, fail_under=6.5)
    assert breach.gate is Gate.FAIL_UNDER and "6.00" in breach.message


def test_fail_under_with_nothing_graded_fails() -> None:
    [breach] = check_gates([broken("c")], fail_under=1.0)
    assert breach.gate is Gate.FAIL_UNDER


@pytest.mark.parametrize(("threshold", "breached"), [(C, False), (H, False), (M, True), (L, True)])
def test_fail_on_counts_failures_at_or_above(threshold: Severity, breached: bool) -> None:
    results = [graded("a", 9.0, M, L), graded("b", 10.0)]
    breaches = check_gates(results, fail_on=threshold)
    assert bool(breaches) is breached
    if breached:
        assert "a (" in breaches[0].message and "b (" not in breaches[0].message


def test_fail_on_comes_before_fail_under() -> None:
    breaches = check_gates([graded("a", 2.0, C)], fail_under=5.0, fail_on=H)
    assert [b.gate for b in breaches] == [Gate.FAIL_ON, Gate.FAIL_UNDER]


def _cases(xml_text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml_text)
    assert root.tag == "testsuites"
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_junit_fails_critical_or_high_and_any_status_but_graded() -> None:
    results = [
        graded("blocked", 4.0, C, M),
        graded("high", 7.0, H),
        graded("minor", 9.0, M, L),
        broken("unread"),
        broken("crashed", TaskStatus.INFRA_ERROR),
    ]
    text = render_document(OutputFormat.JUNIT, results)
    cases = _cases(text)
    assert list(cases) == ["blocked", "high", "minor", "unread", "crashed"]
    failed = {name: c.find("failure") for name, c in cases.items()}
    assert failed["minor"] is None
    assert failed["blocked"] is not None and failed["blocked"].get("type") == "model_failure"
    assert "1 Critical" in (failed["blocked"].get("message") or "")
    assert failed["high"] is not None
    assert failed["unread"] is not None and failed["unread"].get("type") == "invalid"
    assert failed["crashed"] is not None and failed["crashed"].get("type") == "infra_error"
    props = {p.get("name"): p.get("value") for p in cases["blocked"].iter("property")}
    assert props["score"] == "4" and props["critical"] == "1" and props["medium"] == "1"
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None and suite.get("tests") == "5" and suite.get("failures") == "4"


def test_json_document_holds_each_result_as_written() -> None:
    results = [graded("a", 4.0, C), broken("b")]
    doc = json.loads(render_document(OutputFormat.JSON, results))
    assert doc["summary"] == {
        "tasks": 2,
        "statuses": {"graded": 1, "invalid": 1},
        "mean_score": 4.0,
        "failures": {"Critical": 1, "High": 0, "Medium": 0, "Low": 0},
    }
    assert [TaskResult.model_validate(r) for r in doc["results"]] == results


def test_sarif_document_is_one_run_for_a_batch_and_the_task_run_alone() -> None:
    results = [graded("a", 4.0, C, H), graded("b", 9.0, L)]
    batch = json.loads(render_document(OutputFormat.SARIF, results))
    assert batch["version"] == SARIF_VERSION and len(batch["runs"]) == 1
    assert len(batch["runs"][0]["results"]) == 3
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in batch["runs"][0]["results"]
    }
    assert uris == {"a/main.tf", "b/main.tf"}
    single = json.loads(render_document(OutputFormat.SARIF, results[:1], single=True))
    assert single["runs"][0]["properties"]["task_id"] == "a"
    assert single["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "main.tf"
    )


def test_text_is_not_a_document() -> None:
    with pytest.raises(ValueError, match="not a machine format"):
        render_document(OutputFormat.TEXT, [])


def test_plain_line_is_task_status_score_seconds() -> None:
    assert plain_line(graded("a", 7.5, C), reused=False) == "a graded 7.5 1.2s"
    assert plain_line(graded("a", 7.5), reused=True) == "a graded 7.5 reused"
    assert plain_line(broken("b"), reused=False) == "b invalid - 0.0s"


def test_rules_text_columns_line_up() -> None:
    lines = rules_text(load_rules().values())
    assert lines[0].split() == ["ID", "SEVERITY", "CATEGORY", "PLATFORMS", "NAME"]
    starts = [lines[0].index(h) for h in ("SEVERITY", "CATEGORY", "PLATFORMS", "NAME")]
    for line in lines[1:]:
        # Each column begins where its header does, after at least two spaces.
        for start in starts:
            assert line[start - 2 : start] == "  " and line[start] != " ", line


def test_rules_json_lists_the_metadata() -> None:
    catalogue = load_rules()
    records = json.loads(rules_json(catalogue.values()))
    assert [r["id"] for r in records] == list(catalogue)
    first = records[0]
    assert set(first) == {
        "id",
        "name",
        "title",
        "severity",
        "category",
        "platforms",
        "docs",
        "rationale",
        "version",
    }
    meta = catalogue[first["id"]].meta
    assert (first["severity"], first["version"], first["docs"]) == (
        meta.severity.value,
        meta.version,
        list(meta.docs),
    )


def test_sandbox_choices_are_the_sandbox_kinds() -> None:
    assert sorted(k.value for k in SandboxKind) == sorted(SANDBOX_KINDS)
