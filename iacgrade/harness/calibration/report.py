"""Rendering a calibration: `calibration.md` for people, `calibration.csv` for dashboards.

The CSV holds one row per written item (`record` = written) and one per iacgrade failure
(`record` = iacgrade) on the compared tasks, with what each matched; every table of the Markdown
report can be recomputed from it with a group-by.

It lives with the calibration rather than in `reports/`: it renders the calibration's own
structures (written items, matches, topics), and `reports/` renders graded results only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from iacgrade.graders.wording import counted
from iacgrade.harness.calibration.calibrate import (
    SEVERITY_ORDER,
    CalibrationSummary,
    Corpora,
    ItemRef,
    MissRef,
    TopicRow,
    summarise_run,
)
from iacgrade.harness.core.atomic import write_text_atomic

CALIBRATION_MD = "calibration.md"
CALIBRATION_CSV = "calibration.csv"
CSV_COLUMNS = (
    "task_id",
    "record",
    "ref",
    "rule_id",
    "title",
    "severity_written",
    "severity",
    "iacgrade_severity",
    "topic",
    "matched",
    "method",
    "matched_refs",
    "location",
    "evidence",
)
# Groups of undetected written failures listed in full; the rest are counted.
GROUPS_SHOWN = 12
MISSES_SHOWN_PER_RULE = 15


def calibrate(
    run_dir: Path, corpora: Corpora, out_dir: Path | None = None, *, keywords: Path | None = None
) -> CalibrationSummary:
    """Measure agreement between a run's failures and the corpora's written analyses; write
    `out_dir/calibration.md` and `out_dir/calibration.csv` (out_dir defaults to the run directory)."""
    summary = summarise_run(run_dir, corpora, out_dir, keywords=keywords)
    write_calibration(summary)
    return summary


def write_calibration(summary: CalibrationSummary) -> None:
    """Write `calibration.md` and `calibration.csv` into the summary's output directory."""
    summary.out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(summary.out_dir / CALIBRATION_MD, render_markdown(summary))
    write_text_atomic(summary.out_dir / CALIBRATION_CSV, render_csv(summary))


def render_csv(summary: CalibrationSummary) -> str:
    frame = pd.DataFrame(summary.records, columns=list(CSV_COLUMNS))
    return frame.to_csv(index=False, lineterminator="\n")


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} ({100 * num / den:.0f}%)" if den else "0/0 (n/a)"


def _ratio(value: float | None) -> str:
    return f"{100 * value:.0f}%" if value is not None else "n/a"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(str(c)) for c in row) + " |" for row in rows)
    return lines


def render_markdown(summary: CalibrationSummary) -> str:
    """The calibration report, headline first."""
    out: list[str] = ["# Calibration against written analyses", ""]
    out += _overview(summary)
    out += _headline(summary)
    out += _per_rule(summary)
    out += _per_topic(summary)
    out += _undetected(summary)
    out += _misses(summary)
    out += _severity(summary)
    out += _correlation(summary)
    out += _documents(summary)
    out += _method()
    return "\n".join(out).rstrip() + "\n"


def _overview(s: CalibrationSummary) -> list[str]:
    statuses: dict[str, int] = {}
    for t in s.tasks:
        statuses[t.result.status.value] = statuses.get(t.result.status.value, 0) + 1
    with_analysis = [t for t in s.tasks if t.analysis is not None]
    not_compared = [t for t in with_analysis if not t.compared and t.analysis and t.analysis.items]
    lines = [
        f"Run `{s.run_dir}` against the written analyses (`MODEL_FAILURES.md`) of "
        + (
            f"corpus `{s.corpus_dir}`."
            if len(s.corpus_dirs) <= 1
            else f"corpora {', '.join(f'`{d}`' for d in s.corpus_dirs)}."
        ),
        "",
        f"- Tasks in the run: {len(s.tasks)} ({', '.join(f'{n} {k}' for k, n in sorted(statuses.items()))}).",
        f"- Tasks with a written analysis: {len(with_analysis)}; compared (graded, with written items): "
        f"{len(s.compared)}.",
    ]
    if not_compared:
        skipped = sum(len(t.analysis.items) for t in not_compared if t.analysis)
        lines.append(
            f"- Not compared: {counted(len(not_compared), 'task')} with {counted(skipped, 'written item')} "
            "that iacgrade did "
            f"not grade ({', '.join(f'`{t.task_id}` {t.result.status.value}' for t in not_compared)})."
        )
    items = sum(len(t.analysis.items) for t in s.compared if t.analysis)
    failures = sum(len(t.result.failures) for t in s.compared)
    lines += [f"- Written items compared: {items}; iacgrade failures on the same tasks: {failures}.", ""]
    return lines


def _headline(s: CalibrationSummary) -> list[str]:
    crit = s.recall_of("Critical")
    crit_high = s.recall_of("Critical", "High")
    every = s.recall_of(*s.recall)
    matched_failures = sum(r.matched_failures for r in s.rules)
    failures = sum(r.failures for r in s.rules)
    agree = _agreement(s)
    return [
        "## Headline",
        "",
        f"- **Recall of written Critical items**: {_pct(*crit)} are matched by at least one "
        "iacgrade failure.",
        f"- **Recall of written Critical and High items**: {_pct(*crit_high)}; "
        f"of all written items: {_pct(*every)}.",
        f"- **iacgrade failures a reviewer wrote about** (precision against the written analyses): "
        f"{_pct(matched_failures, failures)}; the other {failures - matched_failures} are candidates "
        "for what reviewers missed (or for false alarms).",
        "- Matched written items by how they matched: "
        + (", ".join(f"{m} {n}" for m, n in sorted(s.methods.items())) or "none")
        + ".",
        f"- **Severity agreement** on matched items: {agree}.",
        f"- **Score vs training_quality**: {s.correlation.statement}",
        *_training_headline(s),
        "",
    ]


def _training_headline(s: CalibrationSummary) -> list[str]:
    t = s.training
    if t is None or not t.n:
        return ["- **Archive rubric vs training_quality**: no graded task carries both."]
    constant = f"{t.constant:g}" if t.constant is not None else "n/a"
    return [
        f"- **Archive rubric vs training_quality**: equal on {_pct(t.exact, t.n)} tasks, within one point on "
        f"{_pct(t.within_one, t.n)}; the best constant ({constant}, the most common training_quality) is "
        f"equal on {_pct(t.constant_exact, t.n)} and within one on {_pct(t.constant_within_one, t.n)}.",
    ]


def _agreement(s: CalibrationSummary) -> str:

    c = s.confusion
    exact = sum(int(c.loc[v, v]) for v in SEVERITY_ORDER)
    near = sum(
        int(c.loc[a, b])
        for i, a in enumerate(SEVERITY_ORDER)
        for j, b in enumerate(SEVERITY_ORDER)
        if abs(i - j) <= 1
    )
    rated = int(c.loc[SEVERITY_ORDER, SEVERITY_ORDER].to_numpy().sum())
    return (
        f"{_pct(exact, rated)} same severity, {_pct(near, rated)} within one level "
        "(items whose written severity is stated; the most severe matched failure counts)"
    )


def _per_rule(s: CalibrationSummary) -> list[str]:
    rows = [
        (
            f"`{r.rule_id}`",
            r.title,
            r.severity,
            r.failures,
            r.tasks,
            r.matched_failures,
            _ratio(r.precision),
            r.items_matched,
            ", ".join(f"{m} {n}" for m, n in sorted(r.by_method.items())) or "-",
            r.unwritten,
        )
        for r in s.rules
    ]
    header = (
        "rule",
        "title",
        "severity",
        "failures",
        "tasks",
        "failures written about",
        "precision",
        "written items matched",
        "matched by",
        "not written about",
    )
    return [
        "## Per rule",
        "",
        "Failures on compared tasks; *precision* is the share of a rule's failures some written item "
        "matched; *not written about* are the candidates for reviewer misses listed below.",
        "",
        *(
            [f"Rules that apply to {', '.join(f'`{p}`' for p in s.platforms)}, and any other that fired.", ""]
            if s.platforms
            else []
        ),
        *_table(header, rows),
        "",
    ]


def _per_topic(s: CalibrationSummary) -> list[str]:
    rows = [
        (
            t.topic,
            t.items,
            t.matched,
            _ratio(t.recall),
            _pct(t.critical_high_matched, t.critical_high),
            ", ".join(f"`{r}` {n}" for r, n in t.rules.items()) or "-",
        )
        for t in s.topics
    ]
    header = (
        "failure class (reviewers' words)",
        "written items",
        "matched",
        "recall",
        "Critical/High matched",
        "by rules",
    )
    return [
        "## Per failure class",
        "",
        "Written items grouped by what they are about (topics and their phrases are in "
        "`iacgrade/harness/calibration/data/calibration_keywords.toml`); *recall* is the share "
        "iacgrade matched.",
        "",
        *_table(header, rows),
        "",
    ]


def _undetected(s: CalibrationSummary) -> list[str]:
    total = sum(len(items) for _, items in s.unmatched_groups)
    shared = sum(1 for _, items in s.unmatched_groups for it in items if it.shared_rules)
    out = [
        "## Written failures iacgrade does not detect",
        "",
        f"{counted(total, 'written item')} matched no failure, "
        f"in {counted(len(s.unmatched_groups), 'group')}, largest first. "
        f"{shared} of them match a finding the reference shares: iacgrade sees those, but does not count "
        "them against the model (a suspect reference, or a reviewer who fixed the reference too).",
        "",
    ]
    for row, items in s.unmatched_groups[:GROUPS_SHOWN]:
        out += _group(row, items)
    rest = s.unmatched_groups[GROUPS_SHOWN:]
    if rest:
        out += [
            "Smaller groups: " + ", ".join(f"{row.topic} ({len(items)})" for row, items in rest) + ".",
            "",
        ]
    return out


def _group(row: TopicRow, items: Sequence[ItemRef]) -> list[str]:
    out = [f"### {row.topic}: {len(items)} undetected of {row.items}", ""]
    if row.hint:
        out += [f"*To detect*: {row.hint}", ""]
    for it in items:
        link = f" ([written]({it.link}))" if it.link else ""
        seen = (
            f" — seen as {', '.join(f'`{r}`' for r in it.shared_rules)}, uncounted: the reference has it too"
            if it.shared_rules
            else ""
        )
        out.append(f"- `{it.task_id}` #{it.number} [{it.severity}] {it.title}{link}{seen}")
    out.append("")
    return out


def _misses(s: CalibrationSummary) -> list[str]:
    out = [
        "## Failures no reviewer wrote about",
        "",
        "Each is a candidate for a reviewer miss: open iacgrade's analysis for the evidence and the written "
        "analysis to confirm it is absent there.",
        "",
    ]
    if not s.misses:
        return [*out, "None: every failure on a compared task matched a written item.", ""]
    by_rule: dict[str, list[MissRef]] = {}
    for m in s.misses:
        by_rule.setdefault(m.rule_id, []).append(m)
    for rule_id, misses in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        out += [f"### `{rule_id}`: {len(misses)}", ""]
        rows = [
            (
                f"`{m.task_id}`",
                m.severity,
                m.title,
                f"`{m.location}`" if m.location else "-",
                f"[iacgrade]({m.analysis_link}) / [written]({m.written_link})",
            )
            for m in misses[:MISSES_SHOWN_PER_RULE]
        ]
        out += _table(("task", "severity", "failure", "where", "evidence"), rows)
        if len(misses) > MISSES_SHOWN_PER_RULE:
            out.append(f"\n... and {len(misses) - MISSES_SHOWN_PER_RULE} more in `calibration.csv`.")
        out.append("")
    return out


def _severity(s: CalibrationSummary) -> list[str]:
    c = s.confusion
    rows = [(f"**{idx}**", *(int(v) for v in c.loc[idx])) for idx in c.index if int(c.loc[idx].sum())]
    return [
        "## Severity agreement",
        "",
        "Written items by the severity the reviewer wrote (rows) and the severity of the most severe "
        "iacgrade failure they matched (columns).",
        "",
        *_table(("written \\ iacgrade", *c.columns), rows),
        "",
    ]


def _correlation(s: CalibrationSummary) -> list[str]:
    c = s.correlation
    lines = [
        "## Score and training_quality",
        "",
        c.statement,
        "",
    ]
    if s.training is not None:
        lines += [
            "The archive rubric (`iacgrade/harness/data/training_policy.toml`, the archive's published "
            "policy as "
            "iacgrade reads it) scores each task as the archive would:",
            "",
            *_training_headline(s),
            f"- {s.training.correlation.statement}",
            "",
        ]
    return [
        *lines,
        "Computed as Pearson's correlation of average ranks (Spearman's rho); the p-value comes from "
        "10,000 random permutations of training_quality.",
        "",
    ]


def _documents(s: CalibrationSummary) -> list[str]:
    items_by_shape: dict[str, int] = {}
    for t in s.tasks:
        if t.analysis is not None:
            items_by_shape[t.analysis.shape] = items_by_shape.get(t.analysis.shape, 0) + len(t.analysis.items)
    rows = [(f"`{shape}`", n, items_by_shape.get(shape, 0)) for shape, n in s.shapes.items()]
    return [
        "## Written analyses read",
        "",
        "Shape = how items are headed / how their parts are labelled.",
        "",
        *_table(("shape", "documents", "items"), rows),
        "",
    ]


def _method() -> list[str]:
    return [
        "## How items are matched",
        "",
        "1. **code**: the item quotes lines of the model answer (code blocks, or inline code inside its "
        "description), an iacgrade failure points at those lines (within two lines), and the item names "
        "something the failure names (a symbol of its message or error, or one of its rule's keywords).",
        "2. **error**: an error the item quotes shares its exception type and a name with a failure's error "
        "(or two names); or the item quotes an error of a kind the failure is of (Terraform's \"Unsupported "
        "argument\", cfn-lint's `E3012`: `data/error_kinds.toml`) and shares a name with it, or it is the "
        "task's only failure of that kind and the quoted error names nothing to compare.",
        "3. **keyword**: the item's title or quoted errors contain a phrase the rule declares in "
        "`calibration_keywords.toml`; only for failures that point at no line, or items whose quoted code "
        "is not in the answer (code found elsewhere means the item is about something else).",
        "",
        "The first method that finds anything decides; a failure may match several items and an item several "
        "failures.",
    ]
