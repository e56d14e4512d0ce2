"""The documents `--format json|sarif|junit` writes to stdout, for CI and scripts.

Each is built from the same results the run writes to disk: `json` holds every task's
`result.json` with a summary in front, `sarif` is the run's `results.sarif` (one task's
`result.sarif` for `grade`), `junit` is one test case per task (reports/junit.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from iacgrade.harness.core.gates import mean_score
from iacgrade.harness.core.results import TaskResult
from iacgrade.harness.core.version import package_version
from iacgrade.reports.junit import junit_xml
from iacgrade.reports.sarif import dumps, merge_sarif, task_sarif

# Bumped when the envelope around the results changes (the results carry their own schema_version).
JSON_DOCUMENT_VERSION = 1


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"


def render_document(fmt: OutputFormat, results: Sequence[TaskResult], single: bool = False) -> str:
    """The `fmt` document for `results`; `single` for one task graded alone (`iacgrade grade`)."""
    if fmt is OutputFormat.JSON:
        return json.dumps(json_document(results), indent=2, ensure_ascii=False) + "\n"
    if fmt is OutputFormat.SARIF:
        if single and len(results) == 1:
            return dumps(task_sarif(results[0]))
        return dumps(merge_sarif(task_sarif(r) for r in results))
    if fmt is OutputFormat.JUNIT:
        return junit_xml(results)
    raise ValueError(f"{fmt.value} is not a machine format")


def json_document(results: Sequence[TaskResult]) -> dict[str, Any]:
    """A summary of the run and each task's result as `result.json` holds it."""
    return {
        "tool": "iacgrade",
        "version": package_version(),
        "document_version": JSON_DOCUMENT_VERSION,
        "summary": summary(results),
        "results": [r.model_dump(mode="json") for r in results],
    }


def summary(results: Sequence[TaskResult]) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    severities: dict[str, int] = {}
    for r in results:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
        for severity, n in r.severity_counts().items():
            severities[severity] = severities.get(severity, 0) + n
    mean = mean_score(results)
    return {
        "tasks": len(results),
        "statuses": statuses,
        "mean_score": round(mean, 3) if mean is not None else None,
        "failures": severities,
    }
