"""The archive's training-quality score: a second rubric beside the answer score (pipeline/score.py).

The archive that produced the corpus publishes how it scores `training_quality`; the policy and
iacgrade's reading of it live in `iacgrade/harness/data/training_policy.toml`, with their source and date.
Its items come from what iacgrade measured:
- blockers: the model's platform and language (its imports and file types), its provider region
  against the regions the prompt names, the task's `aws_services` in its Terraform JSON;
- fixes: the failures (model findings the reference does not share), each a significant,
  moderate or minor fix by its rule, category and severity;
- complexity: the reference's resource graph (`iacgrade/harness/pipeline/training_graph.py`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacgrade.graders.constraints import all_regions, load
from iacgrade.graders.registry import declaring_rule
from iacgrade.graders.terraform_model import TerraformModel
from iacgrade.harness.core.results import Failure, Score, ScoreItem
from iacgrade.harness.pipeline.score import read_toml
from iacgrade.harness.pipeline.training_graph import GraphPolicy, Traits, read_traits
from iacgrade.harness.platforms.base import Platform

SIGNIFICANT, MODERATE, MINOR = "significant", "moderate", "minor"
KINDS = (SIGNIFICANT, MODERATE, MINOR)
_REGION = re.compile(r"\b[a-z]{2}(?:-gov)?-[a-z]+-\d\b")
_TITLES_SHOWN = 4
START_LABEL = "Starting score"
FIXES_LABEL = "Fixes the reference made"
# With no reference code, the model's failures stand in for the fixes.
MODEL_ONLY_FIXES_LABEL = "Model failures (no reference code)"
COMPLEXITY_LABEL = "Reference complexity"


@dataclass(frozen=True)
class Step:
    """One row of a count table: `bound` fixes (at least or at most) give `points`."""

    bound: int
    points: float


@dataclass(frozen=True)
class TrainingPolicy:
    """The archive's policy as data; see `training_policy.toml` for every value's reading."""

    name: str
    version: int
    date: str
    base: float
    floor: float
    ceiling: float
    blockers: dict[str, float]
    one_significant: float
    two_or_more_significant: float
    moderate: float
    minor: tuple[Step, ...]  # at least `bound` minor fixes, most demanding first
    almost_nothing: tuple[Step, ...]  # at most `bound` fixes, fewest first
    rule_kinds: dict[str, dict[str, str]]
    category_kinds: dict[str, dict[str, str]]
    complexity_cap: float
    complexity_points: dict[str, float]
    integrated_min: int
    graph: GraphPolicy
    # Per platform name, what tells an answer is written for it (Platform.foreign_code reads it).
    platforms: dict[str, dict[str, Any]]
    languages: dict[str, str]

    @classmethod
    def load(cls, path: Path | None = None) -> TrainingPolicy:
        """The policy at `path`, or the one shipped with the package."""
        return cls.from_dict(read_toml(path, "data", "training_policy.toml"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingPolicy:
        fixes = data.get("fixes", {})
        kinds = fixes.get("kinds", {})
        cx = data.get("complexity", {})
        return cls(
            name=str(data.get("name", "archive-training")),
            version=int(data.get("version", 1)),
            date=str(data.get("date", "")),
            base=float(data.get("base", 8.0)),
            floor=float(data.get("floor", 0.0)),
            ceiling=float(data.get("ceiling", 10.0)),
            blockers={k: float(v) for k, v in data.get("blockers", {}).items()},
            one_significant=float(fixes.get("one_significant", 1.0)),
            two_or_more_significant=float(fixes.get("two_or_more_significant", 2.0)),
            moderate=float(fixes.get("moderate", 0.0)),
            minor=tuple(
                sorted(
                    (Step(int(s["at_least"]), float(s["points"])) for s in fixes.get("minor", [])),
                    key=lambda s: -s.bound,
                )
            ),
            almost_nothing=tuple(
                sorted(
                    (Step(int(s["at_most"]), float(s["points"])) for s in fixes.get("almost_nothing", [])),
                    key=lambda s: s.bound,
                )
            ),
            rule_kinds={k.upper(): dict(v) for k, v in kinds.get("rules", {}).items()},
            category_kinds={k: dict(v) for k, v in kinds.get("categories", {}).items()},
            complexity_cap=float(cx.get("cap", 2.0)),
            complexity_points={k: float(v) for k, v in cx.get("points", {}).items()},
            integrated_min=int(cx.get("integrated_services_min", 3)),
            graph=GraphPolicy.from_dict(cx),
            platforms={name: dict(table) for name, table in data.get("platform", {}).items()},
            languages=dict(data.get("languages", {})),
        )

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def kind_of(self, failure: Failure) -> str:
        """Which kind of fix the reference made for `failure`: significant, moderate or minor."""
        severity = failure.severity.value
        # A checkov finding (SEC:CKV_AWS_18) takes the kinds of the rule that ran it (SEC001).
        by_rule = self.rule_kinds.get(failure.rule_id) or self.rule_kinds.get(declaring_rule(failure.rule_id))
        for table in (by_rule, self.category_kinds.get(failure.category.value)):
            if table:
                kind = table.get(severity) or table.get("default")
                if kind in KINDS:
                    return kind
        return MINOR


@dataclass(frozen=True)
class TrainingInputs:
    """What the archive's policy is applied to, as the pipeline measured it."""

    metadata: Mapping[str, Any]
    prompt: str
    failures: list[Failure]
    # The task's platform: it judges whether the model wrote for it at all.
    platform: Platform | None = None
    # The model answer's own files (path -> text): what its platform and language are read from.
    model_files: Mapping[str, str] = field(default_factory=dict)
    model_stacks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    ideal_stacks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The region the sandbox sets (AWS_REGION): a model region equal to it may come from there.
    env_region: str = ""
    model_only: bool = False
    # The model's synth stopped on what the sandbox does not give (ENV001): its Terraform JSON, if
    # any, is what a fallback built before the stop, so absent services say nothing of the answer.
    model_env_gap: bool = False


@dataclass(frozen=True)
class Blocker:
    key: str  # wrong_platform | missing_services | wrong_region
    label: str
    detail: str


def score_training(inputs: TrainingInputs, policy: TrainingPolicy) -> Score:
    """The archive's training-quality score, itemised the way the seed itemises its rationale."""
    base = ScoreItem(
        label=START_LABEL,
        points=policy.base,
        detail="where the archive's policy starts, before blockers, fixes and complexity",
    )
    blockers = find_blockers(inputs, policy)
    if blockers:
        worst = min(blockers, key=lambda b: policy.blockers[b.key])
        value = _clamp(policy.blockers[worst.key], policy)
        items = [
            base,
            ScoreItem(
                label=worst.label,
                points=value - policy.base,
                detail=f"{worst.detail}; a blocker sets the score to {value:g}",
            ),
        ]
        items += [
            ScoreItem(label=b.label, points=0.0, detail=f"{b.detail} (the lower blocker applies)")
            for b in blockers
            if b is not worst
        ]
        summary = (
            f"The archive's policy gives {value:g}: {worst.label.lower()} is a blocker, so the fixes "
            "and the reference's complexity do not count."
        )
        return Score(value=value, items=items, summary=summary, rubric=policy.label)
    fixes = fixes_item(inputs, policy)
    complexity = complexity_item(inputs, policy)
    total = policy.base + fixes.points + complexity.points
    value = _clamp(total, policy)
    clamped = f", clamped to {value:g}" if value != total else ""
    summary = (
        f"The archive's policy gives {value:g} ({policy.base:g} {_sign(fixes.points)} for the fixes "
        f"{_sign(complexity.points)} for the reference's complexity{clamped})."
    )
    return Score(value=value, items=[base, fixes, complexity], summary=summary, rubric=policy.label)


# --- blockers ---------------------------------------------------------------------------------


def find_blockers(inputs: TrainingInputs, policy: TrainingPolicy) -> list[Blocker]:
    """Every blocker that applies to the model answer (none when it cannot be judged)."""
    found = [wrong_platform(inputs, policy), missing_services(inputs), wrong_region(inputs)]
    return [b for b in found if b is not None and b.key in policy.blockers]


def wrong_platform(inputs: TrainingInputs, policy: TrainingPolicy) -> Blocker | None:
    """The model answered in another language, or on another IaC framework, than the task's platform."""
    # A task that names no platform says nothing the model could contradict.
    if inputs.platform is None or not (inputs.metadata.get("platform") and inputs.metadata.get("language")):
        return None
    table = {**policy.platforms.get(inputs.platform.name, {}), "languages": policy.languages}
    found = inputs.platform.foreign_code(inputs.model_files, table)
    return Blocker("wrong_platform", *found) if found else None


def missing_services(inputs: TrainingInputs) -> Blocker | None:
    """Fewer than half of the task's `aws_services` have a resource in the model's Terraform JSON."""
    if not inputs.model_stacks or inputs.model_env_gap:
        return None
    judged = _judged_services(inputs.metadata)
    if len(judged) < 2:
        return None
    present = _present(judged, inputs.model_stacks)
    if 2 * len(present) >= len(judged):
        return None
    # A reference missing as many is a gap in the service table, not in the model.
    if inputs.ideal_stacks and 2 * len(_present(judged, inputs.ideal_stacks)) < len(judged):
        return None
    missing = [name for name in judged if name not in present]
    return Blocker(
        "missing_services",
        "Missing half of the required services",
        f"{len(present)} of the task's {len(judged)} services have a resource in the model's Terraform JSON; "
        f"missing: {', '.join(missing)}",
    )


def wrong_region(inputs: TrainingInputs) -> Blocker | None:
    """The model's provider regions include none of the regions the prompt names."""
    asked = prompt_regions(inputs.prompt)
    model = provider_regions(inputs.model_stacks)
    if not asked or not model or model & asked:
        return None
    if model <= {inputs.env_region}:
        return None  # the sandbox's AWS_REGION may have put it there, not the answer
    ideal = provider_regions(inputs.ideal_stacks)
    if ideal and not ideal <= {inputs.env_region} and not ideal & asked:
        return None  # the reference is elsewhere too: the prompt's regions are not what it requires
    return Blocker(
        "wrong_region",
        "Wrong region",
        f"the model deploys to {', '.join(sorted(model))}; the prompt asks for {', '.join(sorted(asked))}",
    )


def prompt_regions(prompt: str) -> set[str]:
    """The AWS region codes the prompt names."""
    known = set(all_regions())
    return {m for m in _REGION.findall(prompt) if m in known}


def provider_regions(stacks: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The literal regions of the AWS providers that resources are created with."""
    tf = TerraformModel(stacks)
    return {
        r
        for stack, res in tf.resources()
        if res.provider_ref.startswith("aws")
        for r in [stack.region_of(res)]
        if r
    }


def _judged_services(metadata: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    # The table AWS013 uses (iacgrade/graders/aws/data/service_resources.json); API-only services are not
    # judged.
    table = load("service_resources.json")["services"]
    judged: dict[str, tuple[str, ...]] = {}
    for name in metadata.get("aws_services") or []:
        prefixes = table.get(_service_key(str(name)))
        if prefixes:
            judged[str(name)] = tuple(prefixes)
    return judged


def _present(judged: dict[str, tuple[str, ...]], stacks: Mapping[str, Mapping[str, Any]]) -> set[str]:
    types = {res.type for _stack, res in TerraformModel(stacks).resources()}
    present = {name for name, prefixes in judged.items() if any(t.startswith(prefixes) for t in types)}
    modelled = _modelled_types(stacks)
    if modelled is None:
        return present
    # A stack mapped from another language (a template) holds only the types its mapping knows: a
    # service none of whose types it can hold is not seen missing.
    unseen = {name for name, prefixes in judged.items() if not any(t.startswith(prefixes) for t in modelled)}
    return present | unseen


def _modelled_types(stacks: Mapping[str, Mapping[str, Any]]) -> set[str] | None:
    """The Terraform types the stacks' mapping can hold (their `//` `modelled_types`), or None
    when the stacks are Terraform itself."""
    found = [
        stack["//"]["modelled_types"]
        for stack in stacks.values()
        if isinstance(stack.get("//"), Mapping) and isinstance(stack["//"].get("modelled_types"), list)
    ]
    return {str(t) for types in found for t in types} if found else None


def _service_key(name: str) -> str:
    # The normalisation AWS013 applies to `aws_services` names.
    text = name.lower().replace("amazon", "").replace("aws", "")
    return re.sub(r"[^a-z0-9]", "", text)


# --- fixes ------------------------------------------------------------------------------------


def fix_points(counts: Mapping[str, int], policy: TrainingPolicy) -> tuple[float, str]:
    """What the fixes the reference made are worth, and which clause of the policy decided it."""
    significant, moderate, minor = (counts.get(k, 0) for k in KINDS)
    if significant >= 2:
        return policy.two_or_more_significant, "two or more significant fixes"
    if significant == 1:
        return policy.one_significant, "one significant fix"
    if moderate:
        return policy.moderate, "moderate fixes with no significant one"
    for step in policy.minor:
        if minor >= step.bound:
            return step.points, f"{minor} minor fixes and nothing else"
    for step in policy.almost_nothing:
        if minor <= step.bound:
            return step.points, "a model that needed almost nothing"
    return 0.0, "only minor fixes"


def fixes_item(inputs: TrainingInputs, policy: TrainingPolicy) -> ScoreItem:
    by_kind: dict[str, list[Failure]] = {k: [] for k in KINDS}
    for failure in inputs.failures:
        by_kind[policy.kind_of(failure)].append(failure)
    points, clause = fix_points({k: len(v) for k, v in by_kind.items()}, policy)
    label = MODEL_ONLY_FIXES_LABEL if inputs.model_only else FIXES_LABEL
    if not inputs.failures:
        return ScoreItem(
            label=label,
            points=points,
            detail=f"iacgrade found no failure the reference does not share; {_policy_gives(points, clause)}",
        )
    parts = [f"{len(v)} {k} ({_titles(v)})" for k, v in by_kind.items() if v]
    return ScoreItem(
        label=label, points=points, detail=f"{'; '.join(parts)}; {_policy_gives(points, clause)}"
    )


def _policy_gives(points: float, clause: str) -> str:
    sign = "-" if points < 0 else "+" if points > 0 else ""
    return f"the policy gives {sign}{abs(points):g} for {clause}"


def _titles(failures: list[Failure]) -> str:
    counts = Counter(f"{f.title} ({f.rule_id})" for f in failures)
    titles = [t if n == 1 else f"{t} x{n}" for t, n in counts.items()]
    shown = ", ".join(titles[:_TITLES_SHOWN])
    return shown + (f" and {len(titles) - _TITLES_SHOWN} more" if len(titles) > _TITLES_SHOWN else "")


# --- complexity -------------------------------------------------------------------------------


def complexity_points(traits: Traits, policy: TrainingPolicy) -> tuple[float, list[str]]:
    """The reference's complexity bonus (capped) and what it rests on."""
    pts = policy.complexity_points
    earned: list[tuple[float, str]] = []
    if len(traits.integrated) >= policy.integrated_min:
        earned.append(
            (
                pts.get("integrated_services", 1.0),
                f"{len(traits.integrated)} integrated services ({', '.join(traits.integrated)})",
            )
        )
    for key, label, evidence in (
        ("security", "security practices", traits.security),
        ("high_availability", "high availability", traits.high_availability),
        ("advanced_patterns", "advanced patterns", traits.advanced_patterns),
    ):
        if evidence:
            earned.append((pts.get(key, 1.0), f"{label} ({', '.join(evidence[:_TITLES_SHOWN])})"))
    if not earned and len(traits.services) <= 1:
        service = traits.services[0] if traits.services else "no service"
        return pts.get("single_basic_service", -1.0), [f"a single basic service ({service})"]
    total = sum(p for p, _ in earned)
    reasons = [r for _, r in earned]
    if total > policy.complexity_cap:
        reasons.append(f"capped at +{policy.complexity_cap:g}")
    return min(total, policy.complexity_cap), reasons


def complexity_item(inputs: TrainingInputs, policy: TrainingPolicy) -> ScoreItem:
    stacks, whose = (
        (inputs.ideal_stacks, "the reference")
        if inputs.ideal_stacks
        else (inputs.model_stacks, "the model (the reference has no Terraform JSON)")
    )
    if not stacks:
        return ScoreItem(
            label=COMPLEXITY_LABEL, points=0.0, detail="not assessed: neither answer has Terraform JSON"
        )
    points, reasons = complexity_points(read_traits(TerraformModel(stacks), policy.graph), policy)
    detail = "; ".join(reasons) if reasons else "no trait the policy rewards"
    return ScoreItem(label=COMPLEXITY_LABEL, points=points, detail=f"read from {whose}: {detail}")


def _clamp(value: float, policy: TrainingPolicy) -> float:
    return round(max(policy.floor, min(policy.ceiling, value)), 2)


def _sign(points: float) -> str:
    return f"- {abs(points):g}" if points < 0 else f"+ {points:g}"
