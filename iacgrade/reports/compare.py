"""Two runs of the same tasks, compared: which failures are new, fixed or unchanged per task, and
how the mean score moved, with a paired bootstrap confidence interval.

A run is read from its `<task_id>/result.json` files (what `iacgrade run` leaves). Failures are
matched by the fingerprint the SARIF output gives them (`iacgrade.reports.sarif.fingerprint`:
task, rule and anchor), so a failure whose code moved a few lines is the same failure; what is
left on both sides is then matched by rule, file and line, so an anchor a rule version renamed
does not make one failure both new and fixed. Only tasks graded in both runs are compared; a task
in one run only, or graded in one and not the other, is listed as such and counts neither way.

A run regresses against the first when any compared task has a new failure, or when the upper
end of the confidence interval of the mean score difference (second minus first) is below 0.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from iacgrade.graders.registry import parse_rules_version
from iacgrade.harness.core.errors import HarnessError
from iacgrade.harness.core.results import Failure, TaskResult, TaskStatus
from iacgrade.reports.sarif import fingerprint
from iacgrade.reports.writers import RESULT_NAME

log = logging.getLogger(__name__)

RESAMPLES = 10_000
CONFIDENCE = 0.95
SEED = 0
# Scores are given to two decimals; a float residue must not make an unchanged task "lower".
_PLACES = 6
_DRAWS = 1_000_000


class CompareError(HarnessError):
    """A run directory cannot be compared (missing, or holds no results)."""


@dataclass(frozen=True)
class FailureRef:
    """One failure as the comparison names it."""

    fingerprint: str
    rule_id: str
    severity: str
    title: str
    location: str
    # Set on an unchanged failure matched by its place, not its fingerprint: the fingerprint it
    # had in run A.
    previous_fingerprint: str = ""
    # Set on an unchanged failure whose severity differs in run A (a rule version that rates it
    # anew): the severity it had there.
    previous_severity: str = ""


@dataclass(frozen=True)
class TaskDiff:
    """One task present in both runs."""

    task_id: str
    status_a: str
    status_b: str
    score_a: float | None
    score_b: float | None
    new: list[FailureRef] = field(default_factory=list)
    fixed: list[FailureRef] = field(default_factory=list)
    unchanged: list[FailureRef] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        """Graded in both runs: its failures and score can be set side by side."""
        return self.status_a == self.status_b == TaskStatus.GRADED.value

    @property
    def score_difference(self) -> float | None:
        if self.score_a is None or self.score_b is None:
            return None
        return round(self.score_b - self.score_a, _PLACES)

    @property
    def changed(self) -> bool:
        return (
            self.status_a != self.status_b
            or bool(self.new or self.fixed)
            or any(f.previous_severity for f in self.unchanged)
            or (self.score_difference is not None and self.score_difference != 0)
        )


@dataclass(frozen=True)
class ScoreDiff:
    """The mean score difference (B − A) over the tasks graded in both, with its interval."""

    tasks: int
    mean_a: float | None
    mean_b: float | None
    mean_difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    resamples: int
    seed: int


@dataclass(frozen=True)
class RuleChange:
    """A rule graded at other versions in run B than in run A; no versions: absent from that run."""

    rule_id: str
    versions_a: tuple[str, ...]
    versions_b: tuple[str, ...]


@dataclass(frozen=True)
class RunDiff:
    run_a: Path
    run_b: Path
    tasks: list[TaskDiff]
    only_in_a: list[str]
    only_in_b: list[str]
    score: ScoreDiff
    # What changed in the grader between the runs, read from the results' rule versions: the
    # first thing to look at when failures appear or go.
    rules: list[RuleChange] = field(default_factory=list)

    @property
    def compared(self) -> list[TaskDiff]:
        return [t for t in self.tasks if t.compared]

    @property
    def changed(self) -> list[TaskDiff]:
        return [t for t in self.tasks if t.changed]

    @property
    def status_changed(self) -> list[TaskDiff]:
        return [t for t in self.tasks if t.status_a != t.status_b]

    @property
    def rerated(self) -> list[tuple[str, FailureRef]]:
        """(task id, failure) for each unchanged failure whose severity changed."""
        return [(t.task_id, f) for t in self.compared for f in t.unchanged if f.previous_severity]

    def count(self, kind: str) -> int:
        """How many failures, over the compared tasks, are `new`, `fixed` or `unchanged`."""
        return sum(len(getattr(t, kind)) for t in self.compared)

    @property
    def regression_reasons(self) -> list[str]:
        reasons = []
        regressed = [t.task_id for t in self.compared if t.new]
        if regressed:
            reasons.append(f"{self.count('new')} new failure(s) in {len(regressed)} task(s)")
        if self.score.ci_high is not None and self.score.ci_high < 0:
            reasons.append(
                f"the mean score difference's {self.score.confidence:.0%} interval lies below 0 "
                f"(upper end {self.score.ci_high:+.2f})"
            )
        return reasons

    @property
    def regressed(self) -> bool:
        return bool(self.regression_reasons)


def compare_runs(
    run_a: Path,
    run_b: Path,
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> RunDiff:
    """Compare run B against run A (the baseline)."""
    if resamples < 1:
        raise CompareError(f"resamples must be at least 1, not {resamples}")
    if not 0 < confidence < 1:
        raise CompareError(f"confidence must lie between 0 and 1, not {confidence}")
    a, b = read_run(run_a), read_run(run_b)
    tasks = [_task_diff(a[task_id], b[task_id]) for task_id in a if task_id in b]
    return RunDiff(
        run_a=run_a,
        run_b=run_b,
        tasks=tasks,
        only_in_a=[t for t in a if t not in b],
        only_in_b=[t for t in b if t not in a],
        score=_score_diff([t for t in tasks if t.compared], resamples, confidence, seed),
        rules=rule_changes(a.values(), b.values()),
    )


def rule_changes(a: Iterable[TaskResult], b: Iterable[TaskResult]) -> list[RuleChange]:
    """The rules whose versions differ between two runs' results, by rule id. A run resumed across
    an upgrade holds results of several versions of a rule: each is listed."""
    versions_a, versions_b = _rule_versions(a), _rule_versions(b)
    return [
        RuleChange(rule_id, versions_a.get(rule_id, ()), versions_b.get(rule_id, ()))
        for rule_id in sorted(versions_a.keys() | versions_b.keys())
        if versions_a.get(rule_id) != versions_b.get(rule_id)
    ]


def _rule_versions(results: Iterable[TaskResult]) -> dict[str, tuple[str, ...]]:
    # `versions["rules"]` names the rules a result was graded by, at their versions.
    found: dict[str, set[str]] = {}
    for result in results:
        for rule_id, version in parse_rules_version(result.versions.get("rules", "")).items():
            found.setdefault(rule_id, set()).add(version)
    return {r: tuple(sorted(v, key=lambda x: (len(x), x))) for r, v in found.items()}


def read_run(run_dir: Path) -> dict[str, TaskResult]:
    """Every task result a run directory holds, by task id, in task id order."""
    if not run_dir.is_dir():
        raise CompareError(f"no such run directory: {run_dir}")
    results: dict[str, TaskResult] = {}
    for path in sorted(run_dir.glob(f"*/{RESULT_NAME}")):
        try:
            result = TaskResult.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            log.warning("skipping %s: %s", path, exc)
            continue
        results[result.task_id] = result
    if not results:
        raise CompareError(f"{run_dir} holds no */{RESULT_NAME}: is it a run directory (`iacgrade run`)?")
    return dict(sorted(results.items()))


def _task_diff(a: TaskResult, b: TaskResult) -> TaskDiff:
    sides: dict[str, Any] = {
        "task_id": a.task_id,
        "status_a": a.status.value,
        "status_b": b.status.value,
        "score_a": a.score.value if a.score is not None else None,
        "score_b": b.score.value if b.score is not None else None,
    }
    if a.status is not TaskStatus.GRADED or b.status is not TaskStatus.GRADED:
        return TaskDiff(**sides)
    before = {fingerprint(a.task_id, f): f for f in a.failures}
    after = {fingerprint(b.task_id, f): f for f in b.failures}
    # One task could hold two failures of one fingerprint (same rule and anchor): count them.
    counts_a = Counter(fingerprint(a.task_id, f) for f in a.failures)
    counts_b = Counter(fingerprint(b.task_id, f) for f in b.failures)
    new, fixed, moved = _match_by_place(_refs(counts_b - counts_a, after), _refs(counts_a - counts_b, before))
    kept = [_rated(ref, before[ref.fingerprint].severity.value) for ref in _refs(counts_a & counts_b, after)]
    return TaskDiff(**sides, new=new, fixed=fixed, unchanged=kept + moved)


def _rated(ref: FailureRef, severity_a: str) -> FailureRef:
    return ref if ref.severity == severity_a else replace(ref, previous_severity=severity_a)


def _match_by_place(
    new: list[FailureRef], fixed: list[FailureRef]
) -> tuple[list[FailureRef], list[FailureRef], list[FailureRef]]:
    """Pair a new failure with a fixed one of the same rule at the same file and line: the same
    failure whose anchor changed (a rule version that names the resource anew, `AWS::S3::Bucket.X`
    then `aws_s3_bucket.X`). Returns what stays new, what stays fixed, and the pairs (as B has
    them). A failure with no file and line is matched by its fingerprint only."""
    waiting: dict[tuple[str, str], list[FailureRef]] = {}
    for ref in fixed:
        if _placed(ref):
            waiting.setdefault((ref.rule_id, ref.location), []).append(ref)
    still_new, moved = [], []
    for ref in new:
        match = waiting.get((ref.rule_id, ref.location)) if _placed(ref) else None
        if match:
            was = match.pop(0)
            moved.append(_rated(replace(ref, previous_fingerprint=was.fingerprint), was.severity))
        else:
            still_new.append(ref)
    # The pairs took each place's first fixed failures; the rest of them stay fixed.
    taken = Counter((ref.rule_id, ref.location) for ref in fixed if _placed(ref))
    taken.subtract({key: len(refs) for key, refs in waiting.items()})
    still_fixed = []
    for ref in fixed:
        key = (ref.rule_id, ref.location)
        if _placed(ref) and taken[key] > 0:
            taken[key] -= 1
        else:
            still_fixed.append(ref)
    return still_new, still_fixed, moved


def _placed(ref: FailureRef) -> bool:
    # "file:line": a place in the answer; a resource address or stack alone is not one.
    path, _, line = ref.location.rpartition(":")
    return bool(path) and line.isdigit()


def _refs(counts: Counter[str], failures: dict[str, Failure]) -> list[FailureRef]:
    refs = []
    for fp, n in counts.items():
        f = failures[fp]
        refs.extend([FailureRef(fp, f.rule_id, f.severity.value, f.title, f.location_text)] * n)
    return refs


def _score_diff(tasks: list[TaskDiff], resamples: int, confidence: float, seed: int) -> ScoreDiff:
    # numpy is imported when a score is compared, not whenever the dashboard loads this module.
    import numpy as np

    paired = [t for t in tasks if t.score_difference is not None]
    empty = ScoreDiff(len(paired), None, None, None, None, None, confidence, resamples, seed)
    if not paired:
        return empty
    a = np.array([t.score_a for t in paired], dtype=float)
    b = np.array([t.score_b for t in paired], dtype=float)
    diffs = np.round(b - a, _PLACES)
    # Paired: a resample draws tasks, each with both of its scores.
    rng = np.random.default_rng(seed)
    # In blocks of about a million draws, so thousands of tasks do not need gigabytes.
    block = max(1, _DRAWS // len(diffs))
    means = np.concatenate(
        [
            diffs[rng.integers(0, len(diffs), size=(min(block, resamples - start), len(diffs)))].mean(axis=1)
            for start in range(0, resamples, block)
        ]
    )
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return ScoreDiff(
        tasks=len(paired),
        mean_a=_round(a.mean()),
        mean_b=_round(b.mean()),
        mean_difference=_round(diffs.mean()),
        ci_low=_round(low),
        ci_high=_round(high),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def _round(value: Any) -> float:
    return round(float(value), 4)


# --- rendering ------------------------------------------------------------------------------


def to_json(diff: RunDiff) -> dict[str, Any]:
    """The comparison as plain JSON data (`iacgrade diff --format json`)."""
    return {
        "run_a": str(diff.run_a),
        "run_b": str(diff.run_b),
        "summary": {
            "tasks_in_both": len(diff.tasks),
            "tasks_compared": len(diff.compared),
            "tasks_changed": len(diff.changed),
            "new": diff.count("new"),
            "fixed": diff.count("fixed"),
            "unchanged": diff.count("unchanged"),
            "severity_changed": len(diff.rerated),
            "only_in_a": diff.only_in_a,
            "only_in_b": diff.only_in_b,
            "status_changed": [t.task_id for t in diff.status_changed],
        },
        "rules": [asdict(r) for r in diff.rules],
        "score": asdict(diff.score),
        "regression": {"regressed": diff.regressed, "reasons": diff.regression_reasons},
        "tasks": [
            {
                "task_id": t.task_id,
                "status_a": t.status_a,
                "status_b": t.status_b,
                "score_a": t.score_a,
                "score_b": t.score_b,
                "score_difference": t.score_difference,
                "changed": t.changed,
                "new": [asdict(f) for f in t.new],
                "fixed": [asdict(f) for f in t.fixed],
                "unchanged": [asdict(f) for f in t.unchanged],
            }
            for t in diff.tasks
        ],
    }


def render(diff: RunDiff, fmt: str) -> str:
    """The comparison as `markdown` or `json` text."""
    if fmt == "json":
        return json.dumps(to_json(diff), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return to_markdown(diff)
    raise ValueError(f"unknown diff format {fmt!r}: markdown or json")


def to_markdown(diff: RunDiff) -> str:
    """The comparison as a Markdown report: the verdict, the score, then what changed per task."""
    s = diff.score
    lines = [f"# iacgrade diff: `{diff.run_a}` → `{diff.run_b}`", ""]
    verdict = "; ".join(diff.regression_reasons) if diff.regressed else "none"
    lines += [f"**Regression:** {verdict}", ""]
    if s.mean_difference is None:
        lines.append("**Score:** no task has a score in both runs.")
    else:
        lines.append(
            f"**Score:** mean {_num(s.mean_a)} → {_num(s.mean_b)} over {s.tasks} task(s) graded in both; "
            f"difference {_signed(s.mean_difference)}, {s.confidence:.0%} paired bootstrap interval "
            f"[{_signed(s.ci_low)}, {_signed(s.ci_high)}] ({s.resamples:,} resamples, seed {s.seed})."
        )
    rerated = f" ({len(diff.rerated)} of them rated anew)" if diff.rerated else ""
    lines += [
        "",
        f"**Failures:** {diff.count('new')} new, {diff.count('fixed')} fixed, "
        f"{diff.count('unchanged')} unchanged{rerated}, over {len(diff.compared)} task(s) graded in both; "
        f"{len(diff.changed)} task(s) changed.",
        "",
        f"**Rules:** {_rules_line(diff.rules)}",
        "",
    ]
    if diff.changed:
        lines += [
            "## Changed tasks",
            "",
            "| Task | Status | Score A | Score B | Δ | New | Fixed | Unchanged |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for t in diff.changed:
            status = t.status_a if t.status_a == t.status_b else f"{t.status_a} → {t.status_b}"
            lines.append(
                f"| {_cell(t.task_id)} | {status} | {_num(t.score_a)} | {_num(t.score_b)} | "
                f"{_signed(t.score_difference)} | {len(t.new)} | {len(t.fixed)} | {len(t.unchanged)} |"
            )
        lines.append("")
    for kind, heading in (("new", "New failures"), ("fixed", "Fixed failures")):
        refs = [(t.task_id, f) for t in diff.compared for f in getattr(t, kind)]
        if refs:
            lines += [f"## {heading}", ""]
            lines += [
                f"- {_cell(task_id)}: {f.rule_id} ({f.severity}) {_cell(f.title)}"
                + (f" at {_cell(f.location)}" if f.location else "")
                for task_id, f in refs
            ]
            lines.append("")
    if diff.rerated:
        lines += ["## Severity changed (unchanged failures)", ""]
        lines += [
            f"- {_cell(task_id)}: {f.rule_id} {f.previous_severity} → {f.severity} {_cell(f.title)}"
            + (f" at {_cell(f.location)}" if f.location else "")
            for task_id, f in diff.rerated
        ]
        lines.append("")
    for label, ids in (("Only in A", diff.only_in_a), ("Only in B", diff.only_in_b)):
        if ids:
            lines += [f"## {label}", "", ", ".join(_cell(i) for i in ids), ""]
    return "\n".join(lines)


def _rules_line(changes: list[RuleChange]) -> str:
    if not changes:
        return "the same rules at the same versions in both runs."
    parts = []
    for c in changes:
        a, b = ", ".join(f"v{v}" for v in c.versions_a), ", ".join(f"v{v}" for v in c.versions_b)
        if not c.versions_a:
            parts.append(f"{c.rule_id} only in B ({b})")
        elif not c.versions_b:
            parts.append(f"{c.rule_id} only in A ({a})")
        else:
            parts.append(f"{c.rule_id} {a} → {b}")
    return "; ".join(parts) + "."


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _cell(text: str) -> str:
    # A task id or title must not break the table or start Markdown of its own.
    return text.replace("|", "\\|").replace("\n", " ")
