"""The rule catalogue: `@rule` declares a check with its metadata, `run_rules` runs them.

A rule is a function of a `GradeContext` that yields `Hit`s: what it saw and where. The
registry turns hits into `Finding`s by adding the rule's own metadata, so a rule never repeats
its severity, category or docs. Rule packs outside this package register through the
`iacgrade.rules` entry point group (each entry point names a module to import).
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from iacgrade.harness.core.findings import (
    CHECK_SEPARATOR,
    Category,
    ErrorKind,
    Finding,
    Location,
    Outcome,
    RuleOutcome,
    Severity,
    check_id_of,
)
from iacgrade.harness.core.plugins import import_plugins
from iacgrade.harness.core.selection import RuleSelection
from iacgrade.harness.core.synth import PLACEHOLDER_MARKER
from iacgrade.harness.platforms.cdktf_python.locate import statement_span
from iacgrade.harness.platforms.names import CDKTF_PYTHON, CFN, TF_HCL

if TYPE_CHECKING:
    from iacgrade.graders.context import GradeContext

log = logging.getLogger(__name__)

BUILTIN_FAMILIES = (
    "iacgrade.graders.synth.outcome",
    "iacgrade.graders.synth.blockers",
    "iacgrade.graders.synth.entry",
    "iacgrade.graders.synth.environment",
    "iacgrade.graders.python.source",
    "iacgrade.graders.terraform.backend",
    "iacgrade.graders.aws.data_stores",
    "iacgrade.graders.aws.network",
    "iacgrade.graders.terraform.checks",
    "iacgrade.graders.aws.naming",
    "iacgrade.graders.aws.name_limits",
    "iacgrade.graders.aws.lambdas",
    "iacgrade.graders.aws.iam",
    "iacgrade.graders.aws.general",
    "iacgrade.graders.aws.connectivity",
    "iacgrade.graders.aws.roles",
    "iacgrade.graders.aws.monitoring",
    "iacgrade.graders.security.scan",
    "iacgrade.graders.python.api",
    "iacgrade.graders.python.calls",
    "iacgrade.graders.python.names",
    "iacgrade.graders.python.attrs",
    "iacgrade.graders.tests.static",
    "iacgrade.graders.requirements.rules",
    "iacgrade.graders.tests.run",
    "iacgrade.graders.hcl.schema",
    "iacgrade.graders.cfn.template",
    "iacgrade.graders.cfn.lambdas",
    "iacgrade.graders.cfn.naming",
)


@dataclass(frozen=True)
class Hit:
    """What a rule saw; the registry adds the rule's metadata to make a `Finding`."""

    message: str
    location: Location = field(default_factory=Location)
    anchor: str = ""
    fix_anchor: str = ""
    evidence: str = ""
    error: str = ""
    title: str | None = None
    severity: Severity | None = None
    category: Category | None = None
    root_cause: str | None = None
    note: str = ""
    # The rule's documents that concern this hit, when it has several (e.g. one per service).
    docs: tuple[str, ...] | None = None
    # Set by rules whose `error` is the text a synth run printed; otherwise the registry
    # marks it predicted, at synth for rules that read the source and at deploy for the rest.
    error_kind: ErrorKind | None = None
    # The impact of this hit, when it differs from the rule's (a case that stops synth).
    impact: tuple[str, ...] | None = None
    # The outside tool's own check id, for a rule that runs a tool's checks (checkov's
    # "CKV_AWS_18"): the finding then carries "SEC:CKV_AWS_18" as its rule id.
    check: str = ""
    check_name: str = ""


@dataclass(frozen=True)
class RuleMeta:
    """A rule's identity and its documentation."""

    id: str
    name: str
    title: str
    severity: Severity
    category: Category
    rationale: str
    docs: tuple[str, ...]
    impact: tuple[str, ...]
    fix_minutes: int
    version: int
    explanation: str
    needs: str  # "source" or "terraform": what the rule reads, for skipping
    # Phrases a reviewer writes about this rule's failures (`iacgrade calibrate` matches written
    # analyses with them); rules that declare none get theirs from `data/rule_keywords.toml`.
    keywords: tuple[str, ...] = ()
    # Whether the rule runs an outside tool's checks, each finding carrying the check's own id.
    runs_checks: bool = False
    # Where the rule is declared ("iacgrade/graders/terraform/backend.py:20"), repo-relative when it is ours.
    source: str = ""
    # The platforms (iacgrade/harness/platforms/names.py) whose answers it reads; empty: every platform.
    platforms: tuple[str, ...] = ()

    def applies_to(self, platform: str) -> bool:
        return not self.platforms or platform in self.platforms

    @property
    def family(self) -> str:
        return self.id.rstrip("0123456789")


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    check: Callable[[GradeContext], Iterable[Hit]]

    def to_finding(self, hit: Hit) -> Finding:
        m = self.meta
        severity = hit.severity or m.severity
        if hit.check and not m.runs_checks:
            raise ValueError(f"rule {m.id} does not run outside checks, yet a hit names {hit.check}")
        return Finding(
            rule_id=f"{m.family}{CHECK_SEPARATOR}{hit.check}" if hit.check else m.id,
            title=hit.title or m.title,
            severity=severity,
            category=hit.category or m.category,
            message=hit.message,
            location=hit.location,
            anchor=hit.anchor,
            fix_anchor=hit.fix_anchor,
            evidence=hit.evidence,
            error=hit.error,
            error_kind=hit.error_kind or _predicted(m.needs),
            root_cause=hit.root_cause or m.rationale,
            impact=impact_for(severity, hit.impact or m.impact),
            docs=hit.docs or m.docs,
            fix_minutes=m.fix_minutes,
            note=hit.note,
            check_name=hit.check_name,
        )


def _predicted(needs: str) -> ErrorKind:
    # A rule on the source predicts what Python raises while the app builds; the others predict
    # what Terraform or AWS answers at plan or apply, which grading never runs.
    return ErrorKind.EXPECTED_SYNTH if needs == "source" else ErrorKind.EXPECTED_DEPLOY


BLOCKER_LABEL = "Deployment Blocker"
# What a blocker bullet says of a finding the rule itself judged less than Critical.
RISK_LABEL = "Deployment Risk"


def impact_for(severity: Severity, impact: Iterable[str]) -> tuple[str, ...]:
    """The impact bullets as they fit the finding's severity: only a Critical finding blocks
    deployment, so below Critical a blocker bullet is told as a risk."""
    if severity is Severity.CRITICAL:
        return tuple(impact)
    return tuple(
        RISK_LABEL + line[len(BLOCKER_LABEL) :] if line.startswith(BLOCKER_LABEL) else line for line in impact
    )


_REGISTRY: dict[str, Rule] = {}

# Where a rule names no platforms, its module decides: the first prefix that matches. Rules on
# Python source, the CDKTF synth and pytest suites read what only CDKTF-Python answers have; the
# Terraform-model families read the model HCL answers map to as well. A platform whose answers
# map into the model opts a rule in with `platforms=` once its corpus shows no false finding.
FAMILY_PLATFORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("iacgrade.graders.synth.", (CDKTF_PYTHON,)),
    ("iacgrade.graders.python.", (CDKTF_PYTHON,)),
    ("iacgrade.graders.tests.", (CDKTF_PYTHON,)),
    ("iacgrade.graders.terraform.", (CDKTF_PYTHON, TF_HCL)),
    ("iacgrade.graders.requirements.", (CDKTF_PYTHON, TF_HCL)),
    ("iacgrade.graders.aws.", (CDKTF_PYTHON, TF_HCL)),
    # checkov scans a template itself (`--framework cloudformation`, Platform.scan_input).
    ("iacgrade.graders.security.", (CDKTF_PYTHON, TF_HCL, CFN)),
    ("iacgrade.graders.hcl.", (TF_HCL,)),
    ("iacgrade.graders.cfn.", (CFN,)),
)


def family_platforms(module: str) -> tuple[str, ...]:
    """The platforms a rule declared in `module` runs on when it names none (empty: all)."""
    return next((p for prefix, p in FAMILY_PLATFORMS if module.startswith(prefix)), ())


def rule(
    *,
    id: str,  # noqa: A002 - the public keyword mirrors the metadata field
    name: str,
    title: str,
    severity: Severity,
    category: Category,
    rationale: str,
    docs: Iterable[str] = (),
    impact: Iterable[str] = (),
    fix_minutes: int = 5,
    version: int = 1,
    needs: str = "source",
    keywords: Iterable[str] = (),
    runs_checks: bool = False,
    platforms: Iterable[str] | None = None,
) -> Callable[[Callable[[GradeContext], Iterable[Hit]]], Callable[[GradeContext], Iterable[Hit]]]:
    """Declare a rule; its docstring is the user documentation `iacgrade rules ID` prints."""

    def register(fn: Callable[[GradeContext], Iterable[Hit]]) -> Callable[[GradeContext], Iterable[Hit]]:
        if id in _REGISTRY and _REGISTRY[id].check is not fn:
            raise ValueError(f"rule id {id} is declared twice")
        meta = RuleMeta(
            id=id,
            name=name,
            title=title,
            severity=severity,
            category=category,
            rationale=rationale,
            docs=tuple(docs),
            impact=tuple(impact),
            fix_minutes=fix_minutes,
            version=version,
            explanation=inspect.cleandoc(fn.__doc__ or ""),
            needs=needs,
            keywords=tuple(keywords),
            runs_checks=runs_checks,
            source=_source_of(fn),
            platforms=tuple(platforms) if platforms is not None else family_platforms(fn.__module__),
        )
        _REGISTRY[id] = Rule(meta=meta, check=fn)
        return fn

    return register


# The repository root: rule sources under it are shown relative to it.
_REPO_ROOT = Path(__file__).resolve().parents[2]


def _source_of(fn: Callable[..., object]) -> str:
    """`path:line` of the rule's declaration (its `@rule` line), so a reader can open it."""
    try:
        path = Path(inspect.getsourcefile(fn) or "").resolve()
        line = inspect.getsourcelines(fn)[1]
    except (OSError, TypeError):
        return ""
    shown = path.relative_to(_REPO_ROOT).as_posix() if path.is_relative_to(_REPO_ROOT) else str(path)
    return f"{shown}:{line}"


_loaded = False


def load_rules() -> dict[str, Rule]:
    """Import the built-in families and any installed rule packs, once."""
    global _loaded
    if not _loaded:
        import_plugins(BUILTIN_FAMILIES, "iacgrade.rules")
        _apply_keywords()
        _loaded = True
    return dict(sorted(_REGISTRY.items()))


def _apply_keywords() -> None:
    """Give rules that declare no keywords those of `data/rule_keywords.toml` (rule id -> phrases):
    one reviewed vocabulary file, rather than phrases scattered over every family module."""
    table = tomllib.loads(
        (files("iacgrade.graders") / "data" / "rule_keywords.toml").read_text(encoding="utf-8")
    )
    for rule_id, phrases in table.items():
        found = _REGISTRY.get(rule_id.upper())
        if found is not None and not found.meta.keywords:
            meta = dataclasses.replace(found.meta, keywords=tuple(phrases))
            _REGISTRY[meta.id] = Rule(meta=meta, check=found.check)


def declaring_rule(rule_id: str) -> str:
    """The registered rule a finding's rule id comes from: itself, or for a check id
    ("SEC:CKV_AWS_18") the rule of that family that runs the checks (SEC001)."""
    if not check_id_of(rule_id):
        return rule_id
    family = rule_id.partition(CHECK_SEPARATOR)[0]
    runner = next(
        (r.meta.id for r in load_rules().values() if r.meta.runs_checks and r.meta.family == family), None
    )
    return runner or rule_id


def rules_version() -> str:
    """A string that changes whenever any rule's id or version does (for the result cache)."""
    return ",".join(f"{r.meta.id}@{r.meta.version}" for r in load_rules().values())


def parse_rules_version(text: str) -> dict[str, str]:
    """Rule id -> version, from a `rules_version()` string ("AWS001@1,AWS002@2,...")."""
    pairs = (item.strip().partition("@") for item in text.split(","))
    return {rule_id: version for rule_id, sep, version in pairs if sep and rule_id}


@dataclass
class RuleRun:
    findings: list[Finding]
    outcomes: list[RuleOutcome]
    seconds: float


def run_rules(
    ctx: GradeContext, only: Iterable[str] | None = None, selection: RuleSelection | None = None
) -> RuleRun:
    """Run every rule (or the `only` ids) on one answer; a crashing rule yields ERROR, a rule the
    run's `selection` leaves out a SKIP that says so."""
    selected = set(only) if only is not None else None
    findings: list[Finding] = []
    outcomes: list[RuleOutcome] = []
    start = time.perf_counter()
    for rule_id, r in load_rules().items():
        if selected is not None and rule_id not in selected:
            continue
        deselected = deselected_outcome(r, selection)
        if deselected is not None:
            outcomes.append(deselected)
            continue
        found, outcome = selected_checks(r, *run_rule(r, ctx), selection)
        findings.extend(found)
        outcomes.append(outcome)
    return RuleRun(findings=findings, outcomes=outcomes, seconds=time.perf_counter() - start)


def deselected_outcome(r: Rule, selection: RuleSelection | None) -> RuleOutcome | None:
    """The SKIP of a rule the run's selection leaves out, or None when it runs."""
    reason = selection.skip_reason(r.meta.id, r.meta.runs_checks) if selection else ""
    return RuleOutcome(rule_id=r.meta.id, outcome=Outcome.SKIP, detail=reason) if reason else None


def selected_checks(
    r: Rule, found: list[Finding], outcome: RuleOutcome, selection: RuleSelection | None
) -> tuple[list[Finding], RuleOutcome]:
    """A check-running rule's findings without the checks the selection leaves out (applied after
    the rule ran, so what the cache stores is the rule's whole output, whatever the selection)."""
    if selection is None or not selection.active or not r.meta.runs_checks:
        return found, outcome
    kept = [f for f in found if selection.keeps_check(f.rule_id, r.meta.id)]
    if len(kept) == len(found):
        return found, outcome
    dropped = len(found) - len(kept)
    detail = f"{dropped} finding(s) of deselected checks left out"
    state = outcome.outcome if kept else Outcome.PASS
    return kept, outcome.model_copy(update={"outcome": state, "detail": detail})


def check_selection(selection: RuleSelection) -> list[str]:
    """The selection's patterns that match no rule and no check (for a usage error)."""
    catalogue = load_rules().values()
    families = {r.meta.family for r in catalogue if r.meta.runs_checks}
    return selection.unknown((r.meta.id for r in catalogue), families)


def run_rule(r: Rule, ctx: GradeContext) -> tuple[list[Finding], RuleOutcome]:
    """One rule on one answer: its findings and its outcome (SKIP, PASS, FAIL, or ERROR if it raised)."""
    rule_id = r.meta.id
    if not r.meta.applies_to(ctx.platform):
        detail = f"the rule does not read {ctx.platform} answers"
        return [], RuleOutcome(rule_id=rule_id, outcome=Outcome.SKIP, detail=detail)
    skip = ctx.skip_reason(r.meta.needs)
    if skip:
        return [], RuleOutcome(rule_id=rule_id, outcome=Outcome.SKIP, detail=skip)
    try:
        hits = list(_iterate(r, ctx))
    except Exception as exc:
        log.exception("rule %s crashed", rule_id)
        return [], RuleOutcome(rule_id=rule_id, outcome=Outcome.ERROR, detail=f"{type(exc).__name__}: {exc}")
    # A value the repair rounds made up is not the answer's: a hit about one says nothing of it.
    hits = [h for h in hits if not _about_placeholder(h)]
    if r.meta.needs == "terraform":
        # JSON a repair changed at a statement says nothing of what the answer wrote there.
        repaired = _repaired_statements(ctx)
        hits = [h for h in hits if not _at_repaired_statement(h, repaired)]
    findings = [r.to_finding(h) for h in hits]
    if r.meta.needs == "terraform" and ctx.terraform_note:
        # Every finding on fallback JSON says so, whether or not its rule remembered to.
        findings = [f if f.note else f.model_copy(update={"note": ctx.terraform_note}) for f in findings]
    return findings, RuleOutcome(rule_id=rule_id, outcome=Outcome.FAIL if hits else Outcome.PASS)


def _repaired_statements(ctx: GradeContext) -> list[tuple[str, int, int]]:
    synth = ctx.synth
    if synth is None or not synth.from_repair:
        return []
    spans: list[tuple[str, int, int]] = []
    for b in synth.blockers:
        tree = ctx.trees.get(b.file)
        if b.kind in CALL_REPAIRS and tree is not None and b.line:
            span = statement_span(tree, b.file, b.line)
            spans.append((b.file, span.start, span.end))
    return spans


def _at_repaired_statement(hit: Hit, spans: list[tuple[str, int, int]]) -> bool:
    loc = hit.location
    return bool(loc.path and loc.line) and any(
        loc.path == path and start <= (loc.line or 0) <= end for path, start, end in spans
    )


# Repairs that change the arguments of a call: the JSON of that call is the worker's, not the answer's.
CALL_REPAIRS = frozenset({"unknown-keyword", "value-shape", "missing-argument", "extra-argument"})


def _about_placeholder(hit: Hit) -> bool:
    return PLACEHOLDER_MARKER in hit.message or PLACEHOLDER_MARKER in (hit.location.address or "")


def _iterate(r: Rule, ctx: GradeContext) -> Iterator[Hit]:
    yield from r.check(ctx)
