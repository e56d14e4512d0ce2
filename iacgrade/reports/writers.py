"""The files a run leaves behind: per task `analysis.md` and `result.json`, per batch `results.csv`
and `findings.csv`.

Every file is written atomically (a temp file in the same folder, fsync, `os.replace`), so a run
killed at any moment leaves each file either complete or absent, never half-written; resuming
relies on that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from iacgrade.harness.core.atomic import write_text_atomic
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.core.results import SideResult, TaskResult
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.reports.markdown import render_analysis

ANALYSIS_NAME = "analysis.md"
RESULT_NAME = "result.json"
RESULTS_CSV_NAME = "results.csv"
FINDINGS_CSV_NAME = "findings.csv"

# One failure count per knowledge gap: `cat_api_consistency`, `cat_cdktf_syntax`, ...
CATEGORY_COLUMNS = {c: f"cat_{c.name.lower()}" for c in Category}
# Seconds spent per stage, from `TaskResult.timings` (key -> column).
TIMING_COLUMNS = {
    "synth_model": "synth_model_s",
    "synth_ideal": "synth_ideal_s",
    "tests_model": "tests_model_s",
    "tests_ideal": "tests_ideal_s",
    "grade": "grade_s",
    "total": "total_s",
}

# Columns that are facts of the run (iacgrade.harness.core.results.RUN_FACTS), left out when two runs of the
# same tasks are compared.
RUN_FACT_COLUMNS = ("seconds", *TIMING_COLUMNS.values())

BASE_COLUMNS = (
    "task_id",
    "status",
    "reason",
    "score",
    "training_score",
    *(s.value.lower() for s in sorted(Severity, key=lambda s: s.rank)),
    "failures",
    *CATEGORY_COLUMNS.values(),
    "model_synth",
    "model_error_type",
    "model_json",
    "ideal_synth",
    "ideal_error_type",
    "ideal_json",
    "model_only",
    "profile",
    "judged_at",
    "seconds",
    *TIMING_COLUMNS.values(),
)
FINDINGS_COLUMNS = (
    "task_id",
    "rule_id",
    "severity",
    "category",
    "title",
    "location",
    "anchor",
    "merged",
    "fix_minutes",
    "error_kind",
    "occurrences",
)
# Task metadata worth a dashboard column; other metadata keys stay in result.json.
METADATA_COLUMNS = ("platform", "language", "complexity", "author", "training_quality")


# Files are written readable by the group and others, like any other output; mkstemp alone
# would leave them owner-only.
def write_task_outputs(result: TaskResult, out_dir: Path) -> None:
    """Write `analysis.md` and `result.json` for one task into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # result.json goes last: its presence is what marks the task as done for a resumed run.
    write_text_atomic(out_dir / ANALYSIS_NAME, render_analysis(result))
    write_text_atomic(out_dir / RESULT_NAME, result.model_dump_json(indent=2) + "\n")


def results_row(result: TaskResult) -> dict[str, Any]:
    """One task as a flat row for `results.csv` (and any other table of results)."""
    counts = result.severity_counts()
    row: dict[str, Any] = {
        "task_id": result.task_id,
        "status": result.status.value,
        "reason": result.reason,
        "score": result.score.value if result.score is not None else None,
        # The archive policy's training quality (iacgrade/harness/pipeline/training.py), set beside
        # `training_quality`.
        "training_score": result.training.value if result.training is not None else None,
        **{s.value.lower(): counts[s.value] for s in Severity},
        "failures": len(result.failures),
        **{column: 0 for column in CATEGORY_COLUMNS.values()},
        # The environment profile the task was judged in, and the date of its AWS data.
        "profile": result.environment.get("profile", ""),
        "judged_at": result.environment.get("judged_at", ""),
        "model_synth": _synth_status(result.model),
        "model_error_type": _synth_error_type(result.model),
        "model_json": _json_source(result.model),
        "ideal_synth": _synth_status(result.ideal),
        "ideal_error_type": _synth_error_type(result.ideal),
        "ideal_json": _json_source(result.ideal),
        "model_only": result.model_only,
        "seconds": result.timings.get("total"),
        # A stage that did not run (no ideal, an invalid task) stays empty, not zero.
        **{column: result.timings.get(key) for key, column in TIMING_COLUMNS.items()},
    }
    for failure in result.failures:
        row[CATEGORY_COLUMNS[failure.category]] += 1
    for key in METADATA_COLUMNS:
        if key in result.metadata:
            row[key] = _cell(result.metadata[key])
    return row


def write_results_csv(results: Iterable[TaskResult], path: Path) -> None:
    """Write one row per task to `path` as CSV; metadata columns appear when any task has them."""
    # pandas costs most of a second to import; only the batch summary needs it, not the workers.
    import pandas as pd

    rows = [results_row(r) for r in results]
    present = {key for row in rows for key in row}
    columns = [*BASE_COLUMNS, *(c for c in METADATA_COLUMNS if c in present)]
    frame = pd.DataFrame(rows, columns=columns)
    write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))


def findings_rows(result: TaskResult) -> list[dict[str, Any]]:
    """One row per failure of a task, for `findings.csv` (shared and ideal-only findings excluded)."""
    return [
        {
            "task_id": result.task_id,
            "rule_id": f.rule_id,
            "severity": f.severity.value,
            "category": f.category.value,
            "title": f.title,
            "location": f.location_text,
            "anchor": f.anchor,
            "merged": " ".join(f.merged),
            "fix_minutes": f.fix_minutes,
            # Empty when the failure quotes no error: there is nothing observed or expected.
            "error_kind": f.error_kind.value if f.error else "",
            "occurrences": f.occurrences,
        }
        for f in result.failures
    ]


def write_findings_csv(results: Iterable[TaskResult], path: Path) -> None:
    """Write one row per failure of every task to `path` as CSV (a header alone when none failed)."""
    import pandas as pd

    rows = [row for r in results for row in findings_rows(r)]
    frame = pd.DataFrame(rows, columns=list(FINDINGS_COLUMNS))
    write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))


def _synth_status(side: SideResult | None) -> str:
    if side is None:
        return ""
    if side.synth is not None:
        return side.synth.status.value
    # An answer without code is never sent to a sandbox; report it as the sandbox would.
    return SynthStatus.SKIPPED.value if not side.has_code else ""


def _synth_error_type(side: SideResult | None) -> str:
    return side.synth.error_type if side is not None and side.synth is not None else ""


def _json_source(side: SideResult | None) -> str:
    """The synth strategy whose Terraform JSON the rules read ("entry", "bare", "repaired:entry"),
    empty when there was none: what the TF, AWS and SEC rules could see of the answer."""
    if side is None or side.synth is None or not side.synth.stacks:
        return ""
    return side.synth.stacks_strategy


def _cell(value: Any) -> Any:
    # A CSV cell holds a scalar; anything nested is kept readable as JSON rather than a repr.
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, default=str)
