"""JUnit XML output: one test case per task, for CI systems that show test reports.

A task passes when it was graded and its answer has no Critical or High failure (the severities
that block a deployment or production use); any other status (invalid, error, infra_error) is a
failure too, typed with the status so a report can tell a broken run from a wrong answer. Each
case carries the task's score and failure counts as properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.results import Failure, TaskResult, TaskStatus

SUITE_NAME = "iacgrade"
# What fails a task's test case.
FAILING = (Severity.CRITICAL, Severity.HIGH)


def junit_xml(results: Sequence[TaskResult]) -> str:
    """The results as a JUnit XML document (one `testsuite`, one `testcase` per task)."""
    cases = [_testcase(r) for r in results]
    failed = sum(1 for c in cases if c.find("failure") is not None)
    seconds = sum(r.timings.get("total", 0.0) for r in results)
    suites = ET.Element("testsuites", _counts(len(cases), failed, seconds), name=SUITE_NAME)
    suite = ET.SubElement(suites, "testsuite", _counts(len(cases), failed, seconds), name=SUITE_NAME)
    suite.extend(cases)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _counts(tests: int, failures: int, seconds: float) -> dict[str, str]:
    return {"tests": str(tests), "failures": str(failures), "errors": "0", "time": f"{seconds:.3f}"}


def _testcase(result: TaskResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=f"{SUITE_NAME}.{result.metadata.get('platform', 'task')}",
        name=result.task_id,
        time=f"{result.timings.get('total', 0.0):.3f}",
    )
    props = ET.SubElement(case, "properties")
    _property(props, "status", result.status.value)
    if result.score is not None:
        _property(props, "score", f"{result.score.value:g}")
    if result.training is not None:
        _property(props, "training_score", f"{result.training.value:g}")
    for severity, n in result.severity_counts().items():
        _property(props, severity.lower(), str(n))
    if result.status is not TaskStatus.GRADED:
        failure = ET.SubElement(case, "failure", message=f"{result.status.value}: {result.reason}")
        failure.set("type", result.status.value)
        failure.text = result.reason
        return case
    blocking = [f for f in result.failures if f.severity in FAILING]
    if blocking:
        failure = ET.SubElement(case, "failure", message=_summary(blocking), type="model_failure")
        failure.text = "\n".join(_line(f) for f in blocking)
    return case


def _property(props: ET.Element, name: str, value: str) -> None:
    ET.SubElement(props, "property", name=name, value=value)


def _summary(failures: list[Failure]) -> str:
    by = {s: sum(1 for f in failures if f.severity is s) for s in FAILING}
    return ", ".join(f"{n} {s.value}" for s, n in by.items() if n) + " model failure(s)"


def _line(failure: Failure) -> str:
    return f"{failure.rule_id} [{failure.severity.value}] {failure.location}: {failure.title}"
