"""SARIF 2.1.0 output, so failures show up in code-scanning tools next to other analysers' findings.

Per task, a log holds one run: rule entries as `tool.driver.rules` and one result per failure (the
findings the model has and the ideal does not). A finding the task's reviewer set aside
(metadata.json ignore list) is a result too, suppressed externally with the reviewer's reason, so a
code-scanning service shows it as dismissed rather than as fixed or new; it never counts (gates and
`diff` read `result.json`'s failures). A run's `results.sarif` describes the whole rule catalogue; a
task's `result.sarif` (and `grade --format sarif`) describes only the rules its results name, as a
thousand copies of the catalogue (250 KB each) would be half a run folder's size. Per batch,
`merge_sarif` folds the task runs into a single run: code-scanning services reject a file with
several runs of the same tool, and every task's answer uses the same relative paths
(`lib/tap_stack.py`), so merged results get their task id in front of the path to stay apart.

Paths are relative to the model answer's files (as extracted from `MODEL_RESPONSE.md`), named by the
`ANSWERROOT` base id in a task's log and by `ANSWERSROOT` (one folder per task id) in a merged one;
a viewer maps the base id to where those files are checked out.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from iacgrade.harness.core.atomic import write_text_atomic
from iacgrade.harness.core.findings import Finding, Location, Severity, check_id_of
from iacgrade.harness.core.results import Failure, IgnoredFinding, TaskResult, TaskStatus
from iacgrade.reports.markdown import ERROR_LABELS

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "iacgrade"
SARIF_NAME = "result.sarif"
# Named and versioned so a change of recipe does not silently match old alerts to new ones.
FINGERPRINT_KEY = "iacgradeFailure/v1"
TASK_ROOT = "ANSWERROOT"
RUN_ROOT = "ANSWERSROOT"
URI_BASES = {
    TASK_ROOT: "The model answer's files, at the paths they were extracted to from MODEL_RESPONSE.md.",
    RUN_ROOT: "A folder holding each task's answer files in a folder named by its task id.",
}
SECURITY_SEVERITY_FILE = Path(__file__).parent / "data" / "security_severity.toml"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
_URL = re.compile(r"https?://\S+")


def task_sarif(result: TaskResult) -> dict[str, Any]:
    """One task as a SARIF log with one run, describing the rules its results name."""
    ignored = [_as_failure(item.finding) for item in result.reviewer_ignored]
    rules = _rule_descriptors([*result.failures, *ignored])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    suppressed = [
        _suppressed(_result(result.task_id, f, index[f.rule_id]), item)
        for f, item in zip(ignored, result.reviewer_ignored, strict=True)
    ]
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "automationDetails": {"id": f"{TOOL_NAME}/{result.task_id}/"},
        "originalUriBaseIds": _uri_bases([TASK_ROOT]),
        "invocations": [_invocation(result)],
        "results": [_result(result.task_id, f, index[f.rule_id]) for f in result.failures] + suppressed,
        "properties": {"task_id": result.task_id, "status": result.status.value},
    }
    if result.score is not None:
        run["properties"]["score"] = result.score.value
    return _log([run])


def merge_sarif(docs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Fold the runs of several SARIF logs (from `task_sarif`) into one log with one run, whose rule
    entries are the whole catalogue and any rule the logs describe that it lacks."""
    # A copy: the catalogue is cached, and a caller may edit the document it gets. Decoding its
    # JSON text is a deep copy some twenty times faster than copy.deepcopy.
    rules: dict[str, dict[str, Any]] = json.loads(_catalogue_json())
    pending: list[tuple[dict[str, Any], str]] = []  # (result, the task it came from)
    invocations: list[dict[str, Any]] = []
    for doc in docs:
        for run in doc.get("runs", []):
            task_id = str(run.get("properties", {}).get("task_id", ""))
            for rule in run.get("tool", {}).get("driver", {}).get("rules", []):
                rules.setdefault(rule["id"], rule)
            invocations.extend(run.get("invocations", []))
            pending.extend((res, task_id) for res in run.get("results", []))
    ordered = [rules[rule_id] for rule_id in sorted(rules)]
    index = {rule["id"]: i for i, rule in enumerate(ordered)}
    results = [_in_merged_run(res, task_id, index) for res, task_id in pending]
    merged: dict[str, Any] = {
        "tool": {"driver": _driver(ordered)},
        "automationDetails": {"id": f"{TOOL_NAME}/"},
        # A result without a task to file it under keeps the base it came with.
        "originalUriBaseIds": _uri_bases([RUN_ROOT, *_bases_in(results)]),
        "results": results,
    }
    if invocations:
        # One invocation for the batch: it succeeded when every task's grading did.
        merged["invocations"] = [
            {
                "executionSuccessful": all(i.get("executionSuccessful", True) for i in invocations),
                "toolExecutionNotifications": [
                    n for i in invocations for n in i.get("toolExecutionNotifications", [])
                ],
            }
        ]
    return _log([merged])


def write_task_sarif(result: TaskResult, out_dir: Path) -> Path:
    """Write `out_dir/result.sarif` for one task; returns its path."""
    path = out_dir / SARIF_NAME
    write_text_atomic(path, dumps(task_sarif(result)))
    return path


def write_run_sarif(results: Iterable[TaskResult], path: Path) -> Path:
    """Write one SARIF log for a whole batch to `path`, with the whole catalogue; returns it."""
    write_text_atomic(path, dumps(merge_sarif(task_sarif(r) for r in results)))
    return path


def dumps(doc: dict[str, Any]) -> str:
    """SARIF as stable, readable JSON text."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def fingerprint(task_id: str, failure: Failure) -> str:
    """A stable identity for a failure across runs: same task, rule and anchor, same alert."""
    anchor = failure.anchor or str(failure.location)
    return hashlib.sha256(f"{task_id}\0{failure.rule_id}\0{anchor}".encode()).hexdigest()[:32]


# --- pieces ---------------------------------------------------------------------------------


def _log(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def _driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": TOOL_NAME, "version": _tool_version(), "rules": rules}


def _invocation(result: TaskResult) -> dict[str, Any]:
    # A task the harness could not grade is a failed execution, not a clean answer.
    invocation: dict[str, Any] = {"executionSuccessful": result.status is TaskStatus.GRADED}
    if result.reason:
        level = "note" if result.status is TaskStatus.GRADED else "error"
        invocation["toolExecutionNotifications"] = [
            {"level": level, "message": {"text": f"{result.task_id}: {result.reason}"}}
        ]
    return invocation


def _result(task_id: str, failure: Failure, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": failure.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[failure.severity],
        "message": {"text": _message(failure)},
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(task_id, failure)},
        "properties": {
            "task_id": task_id,
            "severity": failure.severity.value,
            "category": failure.category.value,
            "fix_minutes": failure.fix_minutes,
        },
    }
    # A failure merged from identical ones is found at each of its places.
    places = [_location(failure, place) for place in failure.places] or [_location(failure)]
    locations = [loc for loc in places if loc]
    if locations:
        result["locations"] = locations
    if failure.merged:
        result["properties"]["merged"] = list(failure.merged)
    if failure.error:
        result["properties"]["error_kind"] = failure.error_kind.value
    if failure.occurrences > 1:
        result["properties"]["occurrences"] = failure.occurrences
    return result


def _as_failure(finding: Finding) -> Failure:
    """An ignored finding in the shape of a failure, so it is described, placed and fingerprinted
    as the same finding would be had the reviewer not set it aside."""
    fields = finding.model_dump(include=set(Failure.model_fields))
    return Failure.model_validate({**fields, "impact": list(finding.impact), "docs": list(finding.docs)})


def _suppressed(result: dict[str, Any], item: IgnoredFinding) -> dict[str, Any]:
    entry = f"metadata.json ignore entry `{item.pattern}`"
    justification = (
        f"{item.reason} ({entry})" if item.reason else f"Set aside by the task's reviewer ({entry})."
    )
    result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    result["properties"]["ignored_by"] = "reviewer"
    return result


def _message(failure: Failure) -> str:
    text = failure.message.strip() or failure.title
    if failure.error:
        text += f"\n\n{ERROR_LABELS[failure.error_kind]}: {failure.error.strip()}"
    return text


def _location(failure: Failure, place: Location | None = None) -> dict[str, Any]:
    loc = place or failure.location
    # The finding may only name a resource while the quoted model code knows its file.
    path = loc.path or (failure.model_code.path if failure.model_code else "")
    line = loc.line if loc.path else (failure.model_code.line if failure.model_code else None)
    location: dict[str, Any] = {}
    if path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": path, "uriBaseId": TASK_ROOT}}
        if line:
            region: dict[str, Any] = {"startLine": line}
            if loc.end_line and loc.end_line >= line:
                region["endLine"] = loc.end_line
            physical["region"] = region
        location["physicalLocation"] = physical
    if loc.address:
        name = f"{loc.stack}.{loc.address}" if loc.stack else loc.address
        location["logicalLocations"] = [{"name": loc.address, "fullyQualifiedName": name, "kind": "resource"}]
    elif loc.stack and not path:
        location["logicalLocations"] = [
            {"name": loc.stack, "fullyQualifiedName": loc.stack, "kind": "module"}
        ]
    return location


def _in_merged_run(result: dict[str, Any], task_id: str, index: dict[str, int]) -> dict[str, Any]:
    merged = {**result, "ruleIndex": index[result["ruleId"]]}
    if task_id and "locations" in result:
        merged["locations"] = [_prefixed(loc, task_id) for loc in result["locations"]]
    return merged


def _prefixed(location: dict[str, Any], task_id: str) -> dict[str, Any]:
    physical = location.get("physicalLocation")
    if not physical:
        return location
    uri = physical["artifactLocation"]["uri"]
    artifact = {**physical["artifactLocation"], "uri": f"{task_id}/{uri}", "uriBaseId": RUN_ROOT}
    return {**location, "physicalLocation": {**physical, "artifactLocation": artifact}}


def _rule_descriptors(failures: list[Failure]) -> list[dict[str, Any]]:
    """The catalogue's entries of the rules the failures name; a rule the catalogue lacks is
    described from its failure."""
    descriptors: dict[str, dict[str, Any]] = {}
    for f in failures:
        if f.rule_id in descriptors:
            continue
        if (text := _catalogue_texts().get(f.rule_id)) is not None:
            descriptors[f.rule_id] = json.loads(text)
        elif check_id_of(f.rule_id):
            descriptors[f.rule_id] = _check_descriptor(f)
        else:
            # A rule from a pack not installed here, or an older result: describe it from the failure.
            descriptors[f.rule_id] = {
                "id": f.rule_id,
                "shortDescription": {"text": f.title},
                "help": _help(f.title, f.title, f.docs),
                "defaultConfiguration": {"level": LEVELS[f.severity]},
                "properties": _rule_properties(f.severity, {"category": f.category.value}),
            }
    # An outside check's entry names the registered rule that ran it (SEC001): described too.
    for descriptor in list(descriptors.values()):
        for relation in descriptor.get("relationships", []):
            target = relation["target"]["id"]
            if target not in descriptors and (text := _catalogue_texts().get(target)) is not None:
                descriptors[target] = json.loads(text)
    return [descriptors[rule_id] for rule_id in sorted(descriptors)]


def _check_descriptor(f: Failure) -> dict[str, Any]:
    """A rule entry for one outside check (SEC:CKV_AWS_24): the tool's name and guideline for it,
    related to the registered rule that ran it (SEC001)."""
    from iacgrade.graders.registry import declaring_rule

    check = check_id_of(f.rule_id)
    descriptor: dict[str, Any] = {
        "id": f.rule_id,
        "name": check,
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.check_name or f.title},
        "help": _help(f.title, f.check_name or f.title, f.docs),
        "defaultConfiguration": {"level": LEVELS[f.severity]},
        "relationships": [{"target": {"id": declaring_rule(f.rule_id)}, "kinds": ["superset"]}],
        "properties": _rule_properties(f.severity, {"category": f.category.value, "check": check}),
    }
    if f.docs:
        descriptor["helpUri"] = f.docs[0]
    return descriptor


@cache
def _catalogue_json() -> str:
    return json.dumps(dict(_catalogue()), ensure_ascii=False)


@cache
def _catalogue_texts() -> dict[str, str]:
    return {rule_id: json.dumps(descriptor, ensure_ascii=False) for rule_id, descriptor in _catalogue()}


@cache
def _catalogue() -> tuple[tuple[str, dict[str, Any]], ...]:
    from iacgrade.graders.registry import load_rules

    out = []
    for rule_id, rule in load_rules().items():
        m = rule.meta
        descriptor: dict[str, Any] = {
            "id": m.id,
            "name": m.name,
            "shortDescription": {"text": m.title},
            "fullDescription": {"text": m.rationale or m.title},
            "help": _help(m.title, m.explanation or m.rationale or m.title, m.docs),
            "defaultConfiguration": {"level": LEVELS[m.severity]},
            "properties": _rule_properties(
                m.severity,
                {"category": m.category.value, "tags": [m.category.value, m.family], "version": m.version},
            ),
        }
        urls = [match.group(0).rstrip(").,") for d in m.docs if (match := _URL.search(d))]
        if urls:
            descriptor["helpUri"] = urls[0]
        out.append((rule_id, descriptor))
    return tuple(out)


def _uri_bases(names: Iterable[str]) -> dict[str, Any]:
    return {name: {"description": {"text": URI_BASES[name]}} for name in sorted(set(names))}


def _bases_in(results: list[dict[str, Any]]) -> set[str]:
    return {
        loc["physicalLocation"]["artifactLocation"]["uriBaseId"]
        for res in results
        for loc in res.get("locations", [])
        if "physicalLocation" in loc
    }


def _rule_properties(severity: Severity, extra: dict[str, Any]) -> dict[str, Any]:
    # `security-severity` is what code-scanning services sort and label alerts by.
    return {"severity": severity.value, "security-severity": security_severity()[severity], **extra}


def _help(title: str, text: str, docs: Iterable[str]) -> dict[str, str]:
    """A rule's help as plain text and as Markdown (title, explanation, documentation links)."""
    parts = [f"**{title}**", text.strip()]
    links = [d.strip() for d in docs if d.strip()]
    if links:
        parts.append("Documentation:\n\n" + "\n".join(f"- {d}" for d in links))
    return {"text": text.strip(), "markdown": "\n\n".join(parts)}


@cache
def security_severity(path: Path = SECURITY_SEVERITY_FILE) -> dict[Severity, str]:
    """The `security-severity` score (a numeric string) for each severity, from the data file."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))["security_severity"]
    scores = {severity: str(table[severity.value]) for severity in Severity}
    for severity, score in scores.items():
        if not 0.0 < float(score) <= 10.0:
            raise ValueError(f"{path}: security-severity of {severity.value} out of range: {score}")
    return scores


@cache
def _tool_version() -> str:
    try:
        return version(TOOL_NAME)
    except PackageNotFoundError:
        return "0+unknown"
