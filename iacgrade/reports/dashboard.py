"""The HTML dashboard: one self-contained page from one or more run directories.

Each run is read from its `results.csv` (one row per task) and `findings.csv` (one row per
failure); a run without `findings.csv` is read from its `*/result.json` files, which hold
everything. A run still going is read as far as it got: both files grow as tasks finish
(`iacgrade.reports.live`). The page has no external resources at all (charts are inline SVG from
`iacgrade.reports.charts`, sorting and filtering are a few lines of inline script), so it opens
offline, from an archive or an e-mail attachment. Each task's analysis is embedded, rendered to
HTML (`iacgrade.reports.drilldown`), and opens in place: the page can move anywhere alone. Links
to a task's raw files are added only when the page sits in or above the run directory, where
moving the folder that holds both keeps them working.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import pandas as pd
from markupsafe import Markup
from pydantic import ValidationError

from iacgrade.harness.core.atomic import write_text_atomic
from iacgrade.harness.core.errors import HarnessError
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.core.results import TaskResult
from iacgrade.reports.charts import (
    Points,
    Series,
    column_chart,
    hbar_chart,
    number,
    scatter_chart,
    series_color,
)
from iacgrade.reports.compare import CompareError, FailureRef, compare_runs
from iacgrade.reports.drilldown import SynthSource, TaskDetail, load_details
from iacgrade.reports.live import complete_lines
from iacgrade.reports.writers import (
    ANALYSIS_NAME,
    CATEGORY_COLUMNS,
    FINDINGS_COLUMNS,
    FINDINGS_CSV_NAME,
    METADATA_COLUMNS,
    RESULT_NAME,
    RESULTS_CSV_NAME,
    findings_rows,
    results_row,
)

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "dashboard.html.j2"
TOP_RULES = 15
# Chart widths in SVG units: a chart fills a half or a whole row of the page's grid.
HALF, WIDE = 560, 1100
SCORE_BINS = tuple(f"{i}–{i + 1}" for i in range(10))
SEVERITIES = tuple(sorted(Severity, key=lambda s: s.rank))
SEVERITY_RANKS = {s.value: s.rank for s in SEVERITIES}
SEVERITY_COLORS = {
    Severity.CRITICAL.value: "#c92a2a",
    Severity.HIGH.value: "#e8772e",
    Severity.MEDIUM.value: "#e0a800",
    Severity.LOW.value: "#7a8896",
}
SIDE_COLORS = {"Model": "#3b6fd4", "Ideal": "#2a9d78"}
NUMERIC_RESULT_COLUMNS = (
    "score",
    *(s.value.lower() for s in SEVERITIES),
    "failures",
    *CATEGORY_COLUMNS.values(),
    "seconds",
    "synth_model_s",
    "synth_ideal_s",
    "grade_s",
    "total_s",
)
NOT_GRADED = ("invalid", "error", "infra_error")


class DashboardError(HarnessError):
    """A run directory cannot feed the dashboard (missing, or holds no results)."""


@dataclass(frozen=True)
class Run:
    """One run directory, read: its tasks, its failures, and how the page links into it."""

    label: str
    path: Path
    tasks: pd.DataFrame  # the columns of results.csv, numbers as numbers, text as text ("" when empty)
    findings: pd.DataFrame  # the columns of findings.csv
    link_base: str  # URL of the run directory relative to the page, ending in "/"
    findings_source: str  # "findings.csv", "result.json" or "" (none found)
    # What the page embeds of each task (its analysis as HTML, its synth source), by task id.
    details: Mapping[str, TaskDetail] = field(default_factory=dict)
    anchor: str = "r0"  # the run's part of its tasks' element ids, unique on the page

    def analysis_href(self, task_id: str) -> str:
        """Where a task's analysis opens: its drill-down, embedded in the page."""
        return f"#{self.drill_id(task_id)}"

    def drill_id(self, task_id: str) -> str:
        return f"drill-{self.anchor}-{quote(task_id, safe='')}"

    def file_href(self, task_id: str, name: str) -> str | None:
        """A relative link to one of a task's files, when one survives moving the page's folder:
        the page is in or above the run directory, so the folder holds the run too."""
        if self.link_base.startswith("..") or "://" in self.link_base:
            return None
        return f"{self.link_base}{quote(task_id)}/{name}"


def render_dashboard(run_dirs: Sequence[Path], output: Path | None = None) -> str:
    """The dashboard page for `run_dirs`; links are relative to `output` (default: the working dir)."""
    if not run_dirs:
        raise DashboardError("no run directory given")
    page_dir = (output.parent if output is not None else Path.cwd()).resolve()
    labels = run_labels(run_dirs)
    runs = [
        replace(load_run(Path(d), label, page_dir), anchor=f"r{i}")
        for i, (d, label) in enumerate(zip(run_dirs, labels, strict=True))
    ]
    return _environment().get_template(TEMPLATE_NAME).render(_context(runs))


def write_dashboard(run_dirs: Sequence[Path], output: Path) -> Path:
    """Render the dashboard for `run_dirs` and write it to `output` atomically; returns `output`."""
    write_text_atomic(output, render_dashboard(run_dirs, output))
    return output


# --- reading runs ---------------------------------------------------------------------------


def load_run(run_dir: Path, label: str, page_dir: Path) -> Run:
    """Read one run directory; raises `DashboardError` when it holds no results at all."""
    if not run_dir.is_dir():
        raise DashboardError(f"no such run directory: {run_dir}")
    results_csv = run_dir / RESULTS_CSV_NAME
    findings_csv = run_dir / FINDINGS_CSV_NAME
    stored: list[TaskResult] | None = None
    if results_csv.is_file():
        tasks = _read_csv(results_csv)
    else:
        stored = _stored_results(run_dir)
        if not stored:
            raise DashboardError(f"{run_dir} has neither {RESULTS_CSV_NAME} nor */{RESULT_NAME}")
        tasks = pd.DataFrame([results_row(r) for r in stored])
    if findings_csv.is_file():
        findings, source = _read_csv(findings_csv), FINDINGS_CSV_NAME
    else:
        stored = stored if stored is not None else _stored_results(run_dir)
        rows = [row for r in stored for row in findings_rows(r)]
        findings, source = pd.DataFrame(rows, columns=list(FINDINGS_COLUMNS)), RESULT_NAME if stored else ""
    tasks = _normalise(tasks, NUMERIC_RESULT_COLUMNS)
    return Run(
        label=label,
        path=run_dir,
        tasks=tasks,
        findings=_normalise(findings, ("fix_minutes",)),
        link_base=_link_base(run_dir, page_dir),
        findings_source=source,
        details=load_details(run_dir, [str(t) for t in tasks["task_id"]] if "task_id" in tasks else []),
    )


def run_labels(run_dirs: Sequence[Path]) -> list[str]:
    """Each run's directory name; runs that share a name get their parent's name in front."""
    paths = [Path(d).resolve() for d in run_dirs]
    names = [p.name or str(p) for p in paths]
    labels = []
    for path, name in zip(paths, names, strict=True):
        namesakes = {p for p, n in zip(paths, names, strict=True) if n == name}
        labels.append(f"{path.parent.name}/{name}" if len(namesakes) > 1 else name)
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # still equal (the same directory twice): number them
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} ({seen[label]})"
    return labels


def _read_csv(path: Path) -> pd.DataFrame:
    # Every column as text first: task ids like "0042" must not become numbers. A run still
    # going may be appending a line (reports/live.py): only finished lines are read.
    try:
        text = complete_lines(path.read_text(encoding="utf-8"))
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DashboardError(f"{path} is not a readable CSV: {exc}") from exc


def _stored_results(run_dir: Path) -> list[TaskResult]:
    results = []
    for path in sorted(run_dir.glob(f"*/{RESULT_NAME}")):
        try:
            results.append(TaskResult.model_validate_json(path.read_text(encoding="utf-8")))
        except (OSError, ValidationError) as exc:
            log.warning("skipping %s: %s", path, exc)
    return results


def _normalise(frame: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if column in numeric:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        else:
            frame[column] = frame[column].map(_text)
    return frame


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def _link_base(run_dir: Path, page_dir: Path) -> str:
    try:
        rel = os.path.relpath(run_dir.resolve(), page_dir)
    except ValueError:  # another drive on Windows: no relative path exists
        return run_dir.resolve().as_uri() + "/"
    rel = Path(rel).as_posix()
    return "" if rel == "." else quote(rel) + "/"


# --- what the page shows --------------------------------------------------------------------


def _context(runs: list[Run]) -> dict[str, Any]:
    many = len(runs) > 1
    # Which charts span the page: with several runs the grouped bars need the room; with one,
    # the half-width charts pair up (histogram with severity, pass rate with category).
    wide = {"score_histogram": many, "category": many, "rules": True}
    metadata = [c for c in METADATA_COLUMNS if any(c in r.tasks and (r.tasks[c] != "").any() for r in runs)]
    return {
        "runs": runs,
        "many": many,
        "title": "iacgrade dashboard — " + " vs ".join(r.label for r in runs),
        "summaries": [_summary(r, i) for i, r in enumerate(runs)],
        "charts": {
            "score_histogram": Markup(_score_histogram(runs, wide["score_histogram"])),
            "synth_pass_rate": Markup(_synth_chart(runs)),
            "severity": Markup(_severity_chart(runs)),
            "category": Markup(_category_chart(runs, wide["category"])),
            "rules": Markup(_rule_chart(runs)),
        },
        "wide": wide,
        "rule_count": len(_rule_totals(runs)),
        "top_rules": TOP_RULES,
        "metadata_columns": metadata,
        "task_rows": [_task_row(r, row, metadata) for r in runs for row in r.tasks.to_dict("records")],
        "comparison": _comparison(runs) if many else None,
        **_drilldown_context(runs, metadata),
        "changes": _changes(runs) if many else [],
    }


def _summary(run: Run, index: int) -> dict[str, Any]:
    tasks = run.tasks
    scores = _column(tasks, "score").dropna()
    status = tasks["status"] if "status" in tasks else pd.Series([], dtype=str)
    model_ok, model_n = _synth_counts(tasks, "model_synth")
    ideal_ok, ideal_n = _synth_counts(tasks, "ideal_synth")
    return {
        "label": run.label,
        "path": str(run.path),
        "color": series_color(index),
        "tasks": len(tasks),
        "graded": int((status == "graded").sum()),
        "not_graded": int(status.isin(NOT_GRADED).sum()),
        "mean_score": number(round(scores.mean(), 2)) if len(scores) else "–",
        "median_score": number(round(scores.median(), 2)) if len(scores) else "–",
        "failures": int(_column(tasks, "failures").fillna(0).sum()),
        "model_synth": _rate_text(model_ok, model_n),
        "ideal_synth": _rate_text(ideal_ok, ideal_n),
        "model_json": _rate_text(*_json_counts(tasks, "model")),
        "ideal_json": _rate_text(*_json_counts(tasks, "ideal")),
        "findings_source": run.findings_source,
    }


def _score_histogram(runs: list[Run], wide: bool) -> str:
    series = []
    for i, run in enumerate(runs):
        counts = [0] * len(SCORE_BINS)
        for score in _column(run.tasks, "score").dropna():
            counts[min(max(int(score), 0), len(SCORE_BINS) - 1)] += 1  # 10 falls in the last bin
        series.append(Series(run.label, tuple(float(c) for c in counts), series_color(i)))
    return column_chart(
        "score-histogram",
        "Score distribution",
        SCORE_BINS,
        series,
        x_label="score",
        y_label="tasks",
        width=WIDE if wide else HALF,
    )


def _synth_chart(runs: list[Run]) -> str:
    series = []
    for i, run in enumerate(runs):
        values, labels = [], []
        for column in ("model_synth", "ideal_synth"):
            ok, attempted = _synth_counts(run.tasks, column)
            values.append(100.0 * ok / attempted if attempted else 0.0)
            labels.append(_rate_text(ok, attempted))
        series.append(Series(run.label, tuple(values), series_color(i), tuple(labels)))
    return hbar_chart(
        "synth-pass-rate",
        "Synthesis pass rate, model vs ideal (%)",
        ("Model", "Ideal"),
        series,
        max_value=100.0,
        category_colors=SIDE_COLORS,
        label_width=70,
    )


def _severity_chart(runs: list[Run]) -> str:
    categories = [s.value for s in SEVERITIES]
    series = [
        Series(run.label, tuple(_severity_counts(run)[c] for c in categories), series_color(i))
        for i, run in enumerate(runs)
    ]
    return hbar_chart(
        "failures-by-severity",
        "Failures by severity",
        categories,
        series,
        category_colors=SEVERITY_COLORS,
        label_width=80,
        empty_text="No failures",
    )


def _category_chart(runs: list[Run], wide: bool) -> str:
    counts = [_category_counts(run) for run in runs]
    # Only gaps some run shows, most frequent first: eight mostly empty rows say little.
    totals = {c.value: sum(k[c.value] for k in counts) for c in Category}
    categories = [c for c in sorted(totals, key=lambda c: -totals[c]) if totals[c] > 0]
    series = [
        Series(run.label, tuple(counts[i][c] for c in categories), series_color(i))
        for i, run in enumerate(runs)
    ]
    return hbar_chart(
        "failures-by-category",
        "Failures by category",
        categories,
        series,
        label_width=170,
        width=WIDE if wide else HALF,
        empty_text="No failures",
    )


def _rule_chart(runs: list[Run]) -> str:
    totals = _rule_totals(runs)
    top = sorted(totals, key=lambda r: (-totals[r], r))[:TOP_RULES]
    titles = _rule_titles(runs)
    series = []
    for i, run in enumerate(runs):
        counts = run.findings["rule_id"].value_counts() if "rule_id" in run.findings else pd.Series(dtype=int)
        series.append(Series(run.label, tuple(float(counts.get(r, 0)) for r in top), series_color(i)))
    labels = {r: f"{r} {titles.get(r, '')}".strip() for r in top}
    return hbar_chart(
        "failures-by-rule",
        "Failures by rule",
        [labels[r] for r in top],
        series,
        category_titles={labels[r]: labels[r] for r in top},
        label_width=430,
        width=WIDE,
        empty_text="No failures",
    )


def _rule_totals(runs: list[Run]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for run in runs:
        if "rule_id" in run.findings:
            for rule_id, n in run.findings["rule_id"].value_counts().items():
                totals[str(rule_id)] = totals.get(str(rule_id), 0) + int(n)
    return totals


def _rule_titles(runs: list[Run]) -> dict[str, str]:
    # The registered rule's own title names it; a hit's title may be specific to one construct.
    # Rules this installation does not know (a run made elsewhere) fall back to their most
    # frequent hit title.
    from iacgrade.graders.registry import load_rules

    known = {rule_id: r.meta.title for rule_id, r in load_rules().items()}
    return {**_hit_titles(runs), **known}


def _hit_titles(runs: list[Run]) -> dict[str, str]:
    frames = [
        r.findings[["rule_id", "title"]] for r in runs if {"rule_id", "title"} <= set(r.findings.columns)
    ]
    if not frames:
        return {}
    both = pd.concat(frames)
    return {str(k): str(v.value_counts().index[0]) for k, v in both.groupby("rule_id")["title"]}


def _severity_counts(run: Run) -> dict[str, float]:
    columns = [s.value.lower() for s in SEVERITIES]
    if all(c in run.tasks for c in columns):
        return {s.value: float(run.tasks[s.value.lower()].fillna(0).sum()) for s in SEVERITIES}
    return _value_counts(run.findings, "severity", [s.value for s in SEVERITIES])


def _category_counts(run: Run) -> dict[str, float]:
    # results.csv counts per category since it has cat_* columns; older ones leave it to findings.
    if all(c in run.tasks for c in CATEGORY_COLUMNS.values()):
        return {c.value: float(run.tasks[col].fillna(0).sum()) for c, col in CATEGORY_COLUMNS.items()}
    return _value_counts(run.findings, "category", [c.value for c in Category])


def _value_counts(frame: pd.DataFrame, column: str, keys: list[str]) -> dict[str, float]:
    counts = frame[column].value_counts() if column in frame else pd.Series(dtype=int)
    return {k: float(counts.get(k, 0)) for k in keys}


def _synth_counts(tasks: pd.DataFrame, column: str) -> tuple[int, int]:
    """(synthesized, looked at): a side with no synth status was never looked at (invalid task)."""
    if column not in tasks:
        return 0, 0
    values = tasks[column]
    attempted = values != ""
    return int((values[attempted] == "ok").sum()), int(attempted.sum())


def _json_counts(tasks: pd.DataFrame, side: str) -> tuple[int, int]:
    """(answers whose Terraform JSON the rules read, answers with code that were synthesized):
    how much of a side the TF, AWS and SEC rules could see, whatever strategy gave the JSON."""
    status, source = f"{side}_synth", f"{side}_json"
    if status not in tasks or source not in tasks:
        return 0, 0
    synthesized = ~tasks[status].isin(["", "skipped"])
    return int((tasks.loc[synthesized, source] != "").sum()), int(synthesized.sum())


def _rate_text(ok: int, attempted: int) -> str:
    if not attempted:
        return "n/a"
    return f"{ok}/{attempted} ({100 * ok / attempted:.0f}%)"


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column] if column in frame else pd.Series([], dtype=float)


def _task_row(run: Run, row: dict[str, Any], metadata: list[str]) -> dict[str, Any]:
    task_id = str(row.get("task_id", ""))
    return {
        "task_id": task_id,
        "run": run.label,
        "href": run.analysis_href(task_id),
        "status": row.get("status", ""),
        "reason": row.get("reason", ""),
        "score": _num(row.get("score")),
        "severities": [(s.value.lower(), _num(row.get(s.value.lower()))) for s in SEVERITIES],
        "failures": _num(row.get("failures")),
        "model_synth": row.get("model_synth", ""),
        "model_error_type": row.get("model_error_type", ""),
        "ideal_synth": row.get("ideal_synth", ""),
        "ideal_error_type": row.get("ideal_error_type", ""),
        "metadata": [(c, row.get(c, "")) for c in metadata],
        "seconds": _num(row.get("total_s", row.get("seconds"))),
        **_task_drill(run, task_id),
    }


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number_) else number_


@dataclass(frozen=True)
class ComparisonCell:
    """One run's outcome for one task in the comparison table."""

    present: bool
    score: float | None = None
    failures: float | None = None
    status: str = ""
    href: str = ""


def _comparison(runs: list[Run]) -> dict[str, Any]:
    """Per task, each run's score and failures, and each later run's score minus the first's."""
    order: dict[str, None] = {}  # every task of any run, in order of first appearance
    by_run: list[dict[str, dict[str, Any]]] = []
    for run in runs:
        tasks = {str(r["task_id"]): r for r in run.tasks.to_dict("records")}
        by_run.append(tasks)
        order.update(dict.fromkeys(tasks))
    rows = []
    for task_id in order:
        cells = [
            ComparisonCell(
                present=True,
                score=_num(row.get("score")),
                failures=_num(row.get("failures")),
                status=str(row.get("status", "")),
                href=run.analysis_href(task_id),
            )
            if (row := tasks.get(task_id)) is not None
            else ComparisonCell(present=False)
            for run, tasks in zip(runs, by_run, strict=True)
        ]
        first = cells[0].score
        deltas = [None if first is None or c.score is None else round(c.score - first, 2) for c in cells[1:]]
        rows.append({"task_id": task_id, "cells": cells, "deltas": deltas})
    return {"labels": [r.label for r in runs], "rows": rows}


# --- drill-down: each task's analysis, the findings table, score vs training quality ----------


def _drilldown_context(runs: list[Run], metadata: list[str]) -> dict[str, Any]:
    findings = [_finding_row(run, row) for run in runs for row in run.findings.to_dict("records")]
    return {
        "drilldowns": [_drilldown(run, row) for run in runs for row in run.tasks.to_dict("records")],
        "finding_rows": findings,
        "finding_filters": {
            "rule": sorted({f["rule_id"] for f in findings}),
            "severity": [s.value for s in SEVERITIES if any(f["severity"] == s.value for f in findings)],
            "category": sorted({f["category"] for f in findings if f["category"]}),
        },
        "rule_titles": _rule_titles(runs) if findings else {},
        "numeric_metadata": [c for c in metadata if _is_numeric(runs, c)],
        "score_vs_training": Markup(_score_vs_training(runs)),
        "training_stats": [_training_stats(run, i) for i, run in enumerate(runs)],
        "synth_sources": [_synth_source_counts(run) for run in runs],
    }


def _task_drill(run: Run, task_id: str) -> dict[str, Any]:
    detail = run.details.get(task_id)
    return {
        "drill": run.drill_id(task_id),
        "synth_source": detail.synth_source.value if detail is not None else "",
    }


def _drilldown(run: Run, row: dict[str, Any]) -> dict[str, Any]:
    task_id = str(row.get("task_id", ""))
    detail = run.details.get(task_id)
    files = [(name, run.file_href(task_id, name)) for name in (ANALYSIS_NAME, RESULT_NAME)]
    return {
        "id": run.drill_id(task_id),
        "task_id": task_id,
        "run": run.label,
        "status": row.get("status", ""),
        "reason": row.get("reason", ""),
        "score": _num(row.get("score")),
        "failures": _num(row.get("failures")),
        "seconds": _num(row.get("total_s", row.get("seconds"))),
        "synth_source": detail.synth_source.value if detail is not None else "",
        "analysis": detail.analysis if detail is not None else None,
        "files": [(n, href) for n, href in files if href is not None and (run.path / task_id / n).is_file()],
    }


def _finding_row(run: Run, row: dict[str, Any]) -> dict[str, Any]:
    task_id = str(row.get("task_id", ""))
    severity = str(row.get("severity", ""))
    return {
        "task_id": task_id,
        "run": run.label,
        "href": run.analysis_href(task_id),
        "rule_id": str(row.get("rule_id", "")),
        "severity": severity,
        "severity_rank": SEVERITY_RANKS.get(severity, len(SEVERITY_RANKS)),
        "category": str(row.get("category", "")),
        "title": str(row.get("title", "")),
        "location": str(row.get("location", "")),
        "fix_minutes": _num(row.get("fix_minutes")),
    }


def _is_numeric(runs: list[Run], column: str) -> bool:
    """Whether every value a metadata column has is a number, so it sorts as one ("10.0" > "2.0")."""
    values = [v for r in runs if column in r.tasks for v in r.tasks[column] if v != ""]
    return bool(values) and pd.to_numeric(pd.Series(values), errors="coerce").notna().all()


def _training_pairs(run: Run) -> pd.DataFrame:
    """(training_quality, score) of each task that has both."""
    if "training_quality" not in run.tasks or "score" not in run.tasks:
        return pd.DataFrame(columns=["quality", "score"])
    quality = pd.to_numeric(run.tasks["training_quality"], errors="coerce")
    pairs = pd.DataFrame({"quality": quality, "score": run.tasks["score"]})
    return pairs.dropna()


def _score_vs_training(runs: list[Run]) -> str:
    series = [
        Points(run.label, tuple(zip(p["quality"], p["score"], strict=True)), series_color(i))
        for i, run in enumerate(runs)
        for p in [_training_pairs(run)]
    ]
    return scatter_chart(
        "score-vs-training-quality",
        "Score vs training_quality",
        series,
        x_label="training_quality (metadata)",
        y_label="score",
        empty_text="No graded task has a training_quality",
    )


def _training_stats(run: Run, index: int) -> dict[str, Any]:
    """How many tasks the plot shows for a run, and the rank correlation of the two."""
    pairs = _training_pairs(run)
    rho = None
    if len(pairs) >= 3 and pairs["quality"].nunique() > 1 and pairs["score"].nunique() > 1:
        # Spearman's rho: the correlation of the ranks (ties share their mean rank).
        rho = round(float(pairs["quality"].rank().corr(pairs["score"].rank())), 2)
    return {"label": run.label, "color": series_color(index), "n": len(pairs), "rho": rho}


def _synth_source_counts(run: Run) -> dict[str, Any]:
    counts = {s.value: 0 for s in SynthSource if s is not SynthSource.NONE}
    for detail in run.details.values():
        if detail.synth_source is not SynthSource.NONE:
            counts[detail.synth_source.value] += 1
    return {"label": run.label, "counts": counts}


def _changes(runs: list[Run]) -> list[dict[str, Any]]:
    """For each later run against the first, as `iacgrade diff` sees it: the tasks that changed
    (failures new or fixed by fingerprint, score or status), each linked to both runs' analyses.
    A run with no `*/result.json` (only its CSVs) has no failures to match and is left out."""
    base = runs[0]
    out = []
    for index, run in enumerate(runs[1:], start=1):
        try:
            diff = compare_runs(base.path, run.path)
        except CompareError as exc:
            log.warning("no changed-task list for %s: %s", run.label, exc)
            continue
        rows = [
            {
                "task_id": t.task_id,
                "status": t.status_a if t.status_a == t.status_b else f"{t.status_a} → {t.status_b}",
                "score_a": t.score_a,
                "score_b": t.score_b,
                "delta": t.score_difference,
                "new": _by_rule(t.new),
                "fixed": _by_rule(t.fixed),
                "new_count": len(t.new),
                "fixed_count": len(t.fixed),
                "unchanged": len(t.unchanged),
                "rerated": _by_rule([f for f in t.unchanged if f.previous_severity], rerated=True),
                "href_a": base.analysis_href(t.task_id),
                "href_b": run.analysis_href(t.task_id),
            }
            for t in diff.changed
        ]
        out.append(
            {
                "index": index,
                "label_a": base.label,
                "label_b": run.label,
                "rows": rows,
                "new": diff.count("new"),
                "fixed": diff.count("fixed"),
                "score": diff.score,
                "regressed": diff.regressed,
            }
        )
    return out


def _by_rule(refs: list[FailureRef], rerated: bool = False) -> list[dict[str, Any]]:
    """One pill per rule (and severity change), with its count and every place in its tooltip:
    a task with nine AWS013 failures shows `AWS013 ×9`, not nine pills."""
    groups: dict[str, list[FailureRef]] = {}
    for f in refs:
        label = f"{f.rule_id} {f.previous_severity} → {f.severity}" if rerated else f.rule_id
        groups.setdefault(label, []).append(f)
    return [
        {
            "label": label,
            "n": len(group),
            "detail": "\n".join(
                f"{f.severity}: {f.title}" + (f" at {f.location}" if f.location else "") for f in group
            ),
        }
        for label, group in groups.items()
    ]


# --- template -------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "" if value is None else number(value) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    return ("+" if value > 0 else "−" if value < 0 else "±") + _fmt(abs(value))


def _sort_value(value: float | None) -> str:
    return "" if value is None else repr(float(value))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=_fmt, signed=_signed, sort_value=_sort_value)
    return env
