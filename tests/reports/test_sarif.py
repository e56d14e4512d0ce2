"""SARIF output: the shape SARIF 2.1.0 requires, levels, locations, fingerprints, the merged log.

`assert_sarif` validates every log against the official SARIF 2.1.0 JSON schema (vendored in
tests/data, see its README), then checks what the schema cannot say: the rule index pointing at
the rule named, and what code-scanning services need on top (unique rule ids, relative artifact
URIs under a declared base id, a numeric `security-severity`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from iacgrade.harness.core.findings import Category, ErrorKind, Severity
from iacgrade.harness.core.results import CodeQuote, TaskStatus
from iacgrade.reports.sarif import (
    FINGERPRINT_KEY,
    RUN_ROOT,
    SARIF_NAME,
    TASK_ROOT,
    fingerprint,
    merge_sarif,
    security_severity,
    task_sarif,
    write_run_sarif,
    write_task_sarif,
)
from tests.paths import TESTS
from tests.reports.test_dashboard import AWS, PY, SYN, TF, make_failure, make_result, run_a

SCHEMA = json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = Draft4Validator(SCHEMA)

LEVELS = {"none", "note", "warning", "error"}
NOTIFICATION_LEVELS = LEVELS


def assert_sarif(doc: dict[str, Any]) -> None:
    """Valid against the SARIF 2.1.0 schema, plus what code-scanning services ask on top."""
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]
    assert not errors, errors
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    assert isinstance(doc["runs"], list)
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rules = driver.get("rules", [])
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids)), "rule ids must be unique"
        for rule in rules:
            assert isinstance(rule["id"], str) and rule["id"]
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    assert (
                        isinstance(rule[key]["text"], str) and rule[key]["text"]
                    )  # multiformatMessageString
            if "helpUri" in rule:
                assert rule["helpUri"].startswith(("https://", "http://"))
            assert rule.get("defaultConfiguration", {}).get("level", "warning") in LEVELS
            assert 0 < float(rule["properties"]["security-severity"]) <= 10
            assert rule["help"]["text"] and rule["help"]["markdown"]
        for invocation in run.get("invocations", []):
            assert isinstance(invocation["executionSuccessful"], bool)  # required by the schema
            for note in invocation.get("toolExecutionNotifications", []):
                assert note["message"]["text"] and note.get("level", "warning") in NOTIFICATION_LEVELS
        for result in run.get("results", []):
            assert isinstance(result["message"]["text"], str) and result["message"]["text"]
            assert result["level"] in LEVELS
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            assert all(
                isinstance(k, str) and isinstance(v, str) for k, v in result["partialFingerprints"].items()
            )
            for location in result.get("locations", []):
                assert "physicalLocation" in location or "logicalLocations" in location
                physical = location.get("physicalLocation")
                if physical:
                    uri = physical["artifactLocation"]["uri"]
                    assert uri and not uri.startswith("/") and "://" not in uri, uri
                    assert physical["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
                    region = physical.get("region")
                    if region:
                        assert region["startLine"] >= 1
                        assert region.get("endLine", region["startLine"]) >= region["startLine"]
                for logical in location.get("logicalLocations", []):
                    assert isinstance(logical["fullyQualifiedName"], str) and logical["fullyQualifiedName"]


def _results(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["runs"][0]["results"]


def test_task_sarif_shape() -> None:
    doc = task_sarif(run_a()[0])
    assert_sarif(doc)
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "iacgrade"
    assert [r["ruleId"] for r in run["results"]] == ["SYN001", "PY001"]
    assert run["properties"] == {"task_id": "T1", "status": "graded", "score": 6.5}
    assert run["invocations"] == [{"executionSuccessful": True}]
    json.dumps(doc)  # plain JSON all the way down


def test_rules_come_from_the_registry() -> None:
    from iacgrade.graders.registry import load_rules

    merged = merge_sarif([task_sarif(make_result("T", 1.0))])
    rules = {r["id"]: r for r in merged["runs"][0]["tool"]["driver"]["rules"]}
    assert set(load_rules()) <= set(rules)
    syn = rules["SYN001"]
    meta = load_rules()["SYN001"].meta
    assert syn["name"] == meta.name == "app-does-not-synthesize"
    assert syn["shortDescription"]["text"] == meta.title
    assert syn["help"]["text"] == meta.explanation
    assert syn["help"]["markdown"].startswith(f"**{meta.title}**\n\n{meta.explanation}")
    assert f"- {meta.docs[0]}" in syn["help"]["markdown"]
    assert syn["properties"]["security-severity"] == security_severity()[meta.severity]
    assert meta.docs[0].endswith(syn["helpUri"])
    assert syn["defaultConfiguration"]["level"] == "error"
    assert syn["properties"]["category"] == meta.category.value


def test_a_rule_missing_from_the_registry_is_described_from_the_failure() -> None:
    # An id no catalogue holds: a result from a rule pack not installed where it is rendered.
    failure = make_failure(
        "ZZZ901", Severity.HIGH, Category.AWS_SERVICE_LIMITS, title="Backtrack on a global cluster"
    )
    doc = task_sarif(make_result("T", 5.0, [failure]))
    assert_sarif(doc)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["ZZZ901"] == {
        "id": "ZZZ901",
        "shortDescription": {"text": "Backtrack on a global cluster"},
        "help": {
            "text": "Backtrack on a global cluster",
            "markdown": "**Backtrack on a global cluster**\n\nBacktrack on a global cluster",
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"severity": "High", "security-severity": "8.0", "category": "AWS Service Limitations"},
    }


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
    ],
)
def test_levels(severity: Severity, level: str) -> None:
    doc = task_sarif(make_result("T", 5.0, [make_failure("PY001", severity, Category.PYTHON_PRACTICE)]))
    assert _results(doc)[0]["level"] == level
    assert _results(doc)[0]["properties"]["severity"] == severity.value


def test_locations() -> None:
    failures = [
        make_failure(*SYN, line=12, end_line=15),  # file and lines
        make_failure(
            *AWS, path=None, line=None, address="aws_rds_cluster.primary", stack="tap"
        ),  # address only
        make_failure(*AWS, line=88, address="aws_rds_cluster.replica"),  # both
        make_failure(*TF, path=None, line=None, stack="tap"),  # a whole stack
        make_failure(*PY, path=None, line=None),  # nowhere at all
    ]
    failures.append(
        make_failure(*PY, path=None, line=None, address="aws_s3_bucket.logs").model_copy(
            update={"model_code": CodeQuote(path="lib/storage.py", line=7, code="S3Bucket(...)")}
        )
    )
    doc = task_sarif(make_result("T", 5.0, failures))
    assert_sarif(doc)
    locations: list[list[dict[str, Any]]] = [r.get("locations", []) for r in _results(doc)]
    assert locations[0] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "lib/tap_stack.py", "uriBaseId": TASK_ROOT},
                "region": {"startLine": 12, "endLine": 15},
            }
        }
    ]
    assert locations[1] == [
        {
            "logicalLocations": [
                {
                    "name": "aws_rds_cluster.primary",
                    "fullyQualifiedName": "tap.aws_rds_cluster.primary",
                    "kind": "resource",
                }
            ]
        }
    ]
    assert locations[2][0]["physicalLocation"]["region"] == {"startLine": 88}
    assert locations[2][0]["logicalLocations"][0]["name"] == "aws_rds_cluster.replica"
    assert locations[3] == [
        {"logicalLocations": [{"name": "tap", "fullyQualifiedName": "tap", "kind": "module"}]}
    ]
    assert locations[4] == []  # no location: the result says so rather than invent one
    # The quoted model code knows the file when the finding only named a resource.
    assert locations[5][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "lib/storage.py", "uriBaseId": TASK_ROOT},
        "region": {"startLine": 7},
    }


def test_fingerprints_follow_task_rule_and_anchor() -> None:
    first = make_failure(*SYN, line=12, anchor="TapStack.__init__")
    moved = make_failure(*SYN, line=40, anchor="TapStack.__init__")  # same anchor, code moved
    other = make_failure(*SYN, line=12, anchor="tap.py:main")
    assert fingerprint("T1", first) == fingerprint("T1", moved)
    assert fingerprint("T1", first) != fingerprint("T1", other)
    assert fingerprint("T1", first) != fingerprint("T2", first)
    doc = task_sarif(make_result("T1", 5.0, [first]))
    assert _results(doc)[0]["partialFingerprints"] == {FINGERPRINT_KEY: fingerprint("T1", first)}
    assert task_sarif(make_result("T1", 5.0, [first])) == doc  # deterministic


def test_merged_log_is_one_run_with_task_prefixed_paths() -> None:
    results = run_a()
    merged = merge_sarif(task_sarif(r) for r in results)
    assert_sarif(merged)
    assert len(merged["runs"]) == 1
    run = merged["runs"][0]
    assert len(run["results"]) == sum(len(r.failures) for r in results) == 5
    assert [r["properties"]["task_id"] for r in run["results"]] == ["T1", "T1", "T2", "T2", "T3"]
    artifacts = [
        loc["physicalLocation"]["artifactLocation"]
        for r in run["results"]
        for loc in r.get("locations", [])
        if "physicalLocation" in loc
    ]
    # Paths under the run's base id (a folder per task), which the log declares.
    assert {a["uriBaseId"] for a in artifacts} == {RUN_ROOT} == set(run["originalUriBaseIds"])
    assert [a["uri"] for a in artifacts] == [
        "T1/lib/tap_stack.py",
        "T1/lib/tap_stack.py",
        "T2/lib/tap_stack.py",
        "T3/lib/tap_stack.py",
    ]
    # T5 is invalid: the batch did not execute cleanly, and says why.
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
        "T5: no MODEL_RESPONSE.md <script>alert(1)</script>"
    ]
    # A run that names no task keeps its results' base, and declares it.
    anonymous = task_sarif(results[0])
    del anonymous["runs"][0]["properties"]["task_id"]
    kept = merge_sarif([anonymous])
    assert_sarif(kept)
    assert set(kept["runs"][0]["originalUriBaseIds"]) == {RUN_ROOT, TASK_ROOT}
    # Merging does not touch the task documents it was given.
    single = task_sarif(results[0])
    merge_sarif([single])
    assert (
        _results(single)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "lib/tap_stack.py"
    )


def test_merge_unions_rules_and_reindexes() -> None:
    a = task_sarif(make_result("A", 5.0, [make_failure(*AWS)]))
    b = task_sarif(make_result("B", 5.0, [make_failure("ZZZ001", Severity.LOW, Category.TEST_ROBUSTNESS)]))
    merged = merge_sarif([a, b, merge_sarif([])])
    assert_sarif(merged)
    ids = [r["id"] for r in merged["runs"][0]["tool"]["driver"]["rules"]]
    assert ids == sorted(ids) and {"AWS003", "ZZZ001", "SYN001"} <= set(ids)
    assert [r["ruleId"] for r in merged["runs"][0]["results"]] == ["AWS003", "ZZZ001"]
    assert merge_sarif([])["runs"][0]["results"] == []


def test_writers(tmp_path: Path) -> None:
    results = run_a()
    path = write_task_sarif(results[0], tmp_path / "T1")
    assert path == tmp_path / "T1" / SARIF_NAME
    assert json.loads(path.read_text(encoding="utf-8")) == task_sarif(results[0])
    run_path = write_run_sarif(results, tmp_path / "results.sarif")
    doc = json.loads(run_path.read_text(encoding="utf-8"))
    assert_sarif(doc)
    assert len(doc["runs"][0]["results"]) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["T1", "results.sarif"]  # no temp files left


def test_not_graded_task() -> None:
    doc = task_sarif(make_result("T", None, status=TaskStatus.INFRA_ERROR, reason="worker exited with 137"))
    assert_sarif(doc)
    run = doc["runs"][0]
    assert run["results"] == [] and "score" not in run["properties"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["level"] == "error"


def test_a_merged_failure_has_every_place_and_says_where_its_error_comes_from() -> None:
    first = make_failure(*AWS, line=90, address="aws_route_table.a")
    places = [first.location, first.location.model_copy(update={"line": 145, "address": "aws_route_table.b"})]
    merged = first.model_copy(
        update={
            "places": places,
            "occurrences": 2,
            "error": "Error: creating route",
            "error_kind": ErrorKind.EXPECTED_DEPLOY,
        }
    )
    seen = make_failure(*SYN, line=12).model_copy(
        update={"error": "TypeError: x", "error_kind": ErrorKind.OBSERVED}
    )
    doc = task_sarif(make_result("T", 5.0, [merged, seen]))
    assert_sarif(doc)
    route, synth = _results(doc)
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in route["locations"]] == [90, 145]
    assert route["properties"]["occurrences"] == 2
    assert route["properties"]["error_kind"] == "expected_deploy"
    assert route["message"]["text"].endswith("Expected error at deploy (not run): Error: creating route")
    assert synth["message"]["text"].endswith("Error (observed at synth): TypeError: x")


def test_a_checkov_finding_gets_a_rule_entry_of_its_own_tied_to_its_family() -> None:
    failure = make_failure(
        "SEC:CKV_AWS_24", Severity.HIGH, Category.PRODUCTION_READINESS, title="SSH open (CKV_AWS_24)"
    ).model_copy(
        update={
            "check_name": "Ensure no security groups allow ingress from 0.0.0.0:0 to port 22",
            "docs": ["https://www.checkov.io/5.Policy%20Index/terraform.html"],
        }
    )
    doc = task_sarif(make_result("T", 5.0, [failure]))
    assert_sarif(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    entry = next(r for r in rules if r["id"] == "SEC:CKV_AWS_24")
    assert entry["name"] == "CKV_AWS_24"
    assert entry["fullDescription"]["text"].endswith("to port 22")
    assert entry["helpUri"].startswith("https://www.checkov.io/")
    assert entry["relationships"] == [{"target": {"id": "SEC001"}, "kinds": ["superset"]}]
    assert run["results"][0]["ruleId"] == "SEC:CKV_AWS_24"
    assert rules[run["results"][0]["ruleIndex"]] is entry
    assert any(r["id"] == "SEC001" for r in rules)


def test_security_severity_puts_each_severity_in_githubs_band_for_it() -> None:
    # GitHub's bands: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
    bands = {
        Severity.CRITICAL: (9.0, 10.0),
        Severity.HIGH: (7.0, 8.9),
        Severity.MEDIUM: (4.0, 6.9),
        Severity.LOW: (0.1, 3.9),
    }
    scores = security_severity()
    for severity, (low, high) in bands.items():
        assert isinstance(scores[severity], str)
        assert low <= float(scores[severity]) <= high, (severity, scores[severity])


def test_security_severity_rejects_a_score_out_of_range(tmp_path: Path) -> None:
    data = tmp_path / "scores.toml"
    data.write_text('[security_severity]\nCritical = "11"\nHigh = "8"\nMedium = "5"\nLow = "3"\n')
    with pytest.raises(ValueError, match="Critical"):
        security_severity(data)


def test_the_schema_catches_what_iacgrade_must_not_write() -> None:
    # The validator is really applied: a log missing a required property fails it.
    doc = task_sarif(run_a()[0])
    del doc["runs"][0]["tool"]["driver"]["name"]
    with pytest.raises(AssertionError, match="name"):
        assert_sarif(doc)
    doc = task_sarif(run_a()[0])
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="fatal"):
        assert_sarif(doc)


def test_a_finding_the_reviewer_ignored_is_a_suppressed_result_that_keeps_its_fingerprint() -> None:
    from iacgrade.harness.core.findings import Finding
    from iacgrade.harness.core.results import IgnoredFinding

    as_failure = make_failure(
        "HCL005",
        Severity.CRITICAL,
        Category.API_CONSISTENCY,
        path="main.tf",
        line=12,
        anchor="aws_s3_bucket.logs",
    )
    # The rule's finding, which would have been that failure had the reviewer not set it aside.
    finding = Finding.model_validate(as_failure.model_dump(include=set(Finding.model_fields)))
    reason = "the reviewer accepts the typo in this task"
    result = make_result("T", 6.0, [make_failure(*AWS)])
    result.reviewer_ignored = [
        IgnoredFinding(finding=finding, pattern="HCL005", reason=reason),
        IgnoredFinding(finding=finding.model_copy(update={"anchor": "other"}), pattern="hcl"),
    ]
    doc = task_sarif(result)
    assert_sarif(doc)
    kept, with_reason, without = _results(doc)
    assert kept["ruleId"] == "AWS003" and "suppressions" not in kept
    assert with_reason["ruleId"] == "HCL005"
    assert with_reason["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": f"{reason} (metadata.json ignore entry `HCL005`)",
        }
    ]
    assert without["suppressions"][0]["justification"] == (
        "Set aside by the task's reviewer (metadata.json ignore entry `hcl`)."
    )
    # The fingerprint the finding would have had as a failure: a viewer shows the same alert dismissed.
    assert with_reason["partialFingerprints"][FINGERPRINT_KEY] == fingerprint("T", as_failure)
    assert with_reason["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    # Merged into the run's log, it stays suppressed.
    merged = merge_sarif([doc])
    assert_sarif(merged)
    assert [("suppressions" in r) for r in merged["runs"][0]["results"]] == [False, True, True]


def test_a_tasks_file_describes_the_rules_it_names_and_a_runs_file_the_whole_catalogue(
    tmp_path: Path,
) -> None:
    from iacgrade.graders.registry import load_rules

    checkov = make_failure("SEC:CKV_AWS_24", Severity.HIGH, Category.PRODUCTION_READINESS)
    result = make_result("T", 5.0, [make_failure(*AWS), make_failure(*SYN), checkov])
    task_doc = json.loads(write_task_sarif(result, tmp_path / "T").read_text(encoding="utf-8"))
    assert_sarif(task_doc)
    named = [r["id"] for r in task_doc["runs"][0]["tool"]["driver"]["rules"]]
    # The checkov check's entry, and the registered rule it is related to.
    assert named == ["AWS003", "SEC001", "SEC:CKV_AWS_24", "SYN001"]
    assert [r["ruleId"] for r in _results(task_doc)] == ["AWS003", "SYN001", "SEC:CKV_AWS_24"]
    assert task_doc["runs"][0]["tool"]["driver"]["rules"][0] == next(
        r for r in merge_sarif([])["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "AWS003"
    )
    clean = task_sarif(make_result("C", 10.0))
    assert_sarif(clean)
    assert clean["runs"][0]["tool"]["driver"]["rules"] == []
    run_doc = json.loads(write_run_sarif([result], tmp_path / "results.sarif").read_text(encoding="utf-8"))
    assert_sarif(run_doc)
    rules = {r["id"] for r in run_doc["runs"][0]["tool"]["driver"]["rules"]}
    assert set(load_rules()) | {"SEC:CKV_AWS_24"} == rules
    assert len(json.dumps(task_doc)) * 10 < len(json.dumps(run_doc))
