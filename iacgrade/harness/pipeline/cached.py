"""Grading with the result cache: sandboxes that answer from it, and rules that reuse stored outputs.

`CachedSandbox` wraps a real sandbox: a request whose synth key is stored is answered from the
cache and never reaches a worker (the sandboxes start workers on first use, so a batch that is
all cache hits starts none). `StoredSynth` is what `--regrade` grades with: it answers from the
cache or from the synth output kept in an earlier `result.json`, and never synthesizes at all.
`run_rules_cached` runs only the rules whose stored output is missing or from another version.
`in_process_cached` stores what a platform builds in process (no sandbox) the same way.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import (
    Rule,
    RuleRun,
    deselected_outcome,
    load_rules,
    run_rule,
    selected_checks,
)
from iacgrade.graders.requirements.outcome import requirement_checks
from iacgrade.harness.core.findings import Finding, Outcome, RuleOutcome
from iacgrade.harness.core.results import RequirementCheck, SideResult, TaskResult
from iacgrade.harness.core.selection import RuleSelection
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.pipeline.cache import (
    ResultCache,
    answer_key,
    local_toolchain_id,
    sandbox_toolchain_id,
    synth_key,
)
from iacgrade.harness.platforms.base import InProcessSynth, PlannedSynth
from iacgrade.harness.sandbox.base import Isolation, Sandbox, SynthRequest

log = logging.getLogger(__name__)

# error_type of the result `StoredSynth` gives for an answer it has no synth output for.
NOT_STORED = "SynthNotStored"
CACHE_WORKER = "cache"


def from_cache(result: SynthResult) -> SynthResult:
    """A stored result marked as reused, so a report can tell it was not synthesized this time."""
    worker = (
        result.worker if result.worker.startswith(f"{CACHE_WORKER}:") else f"{CACHE_WORKER}:{result.worker}"
    )
    return result.model_copy(update={"worker": worker})


class CachedSandbox(Sandbox):
    """A sandbox whose results are looked up in, and stored to, a `ResultCache`."""

    def __init__(self, inner: Sandbox, cache: ResultCache, toolchain: str | None = None) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        # None when the toolchain cannot be told: then nothing is looked up or stored.
        self.toolchain = toolchain or sandbox_toolchain_id(inner)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def synth(self, request: SynthRequest) -> SynthResult:
        if self.toolchain is None:
            return self.inner.synth(request)
        key = synth_key(request, self.toolchain)
        stored = self.cache.get_synth(key)
        self._count(stored is not None)
        if stored is not None:
            return from_cache(stored)
        result = self.inner.synth(request)
        self.cache.put_synth(key, result)
        return result

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    @property
    def isolation(self) -> Isolation:
        # The cache adds no promise and takes none away: what ran, ran in `inner`.
        return self.inner.isolation

    def describe(self) -> dict[str, str]:
        return self.inner.describe()

    def close(self) -> None:
        self.inner.close()


class StoredSynth(Sandbox):
    """`--regrade`: synth output from the cache or an earlier result, never from a worker."""

    name = "stored"

    def __init__(self, cache: ResultCache | None, toolchains: list[str]) -> None:
        self.cache = cache
        self.toolchains = toolchains
        self._earlier: dict[str, SideResult] = {}
        self._lock = threading.Lock()

    def remember(self, result: TaskResult) -> None:
        """Offer the synth output an earlier run stored in `result.json` for this task's answers."""
        with self._lock:
            for side in (result.model, result.ideal):
                if side is not None and side.synth is not None:
                    self._earlier[f"{result.task_id}:{side.side}"] = side

    def synth(self, request: SynthRequest) -> SynthResult:
        if self.cache is not None:
            for toolchain in self.toolchains:
                stored = self.cache.get_synth(synth_key(request, toolchain))
                if stored is not None:
                    return from_cache(stored)
        with self._lock:
            earlier = self._earlier.get(request.id)
        # The earlier result names its files, not their contents: a different set of files
        # means the answer is now laid out differently and its old synth output does not apply.
        if (
            earlier is not None
            and earlier.synth is not None
            and earlier.synth.status is not SynthStatus.INFRA_ERROR
            and set(earlier.files) == set(request.files)
            and earlier.entry == (request.entry or "")
        ):
            return from_cache(earlier.synth)
        return SynthResult(
            status=SynthStatus.INFRA_ERROR,
            error_type=NOT_STORED,
            message=(
                f"no stored synth output for {request.id} (--regrade never synthesizes): "
                "grade it once without --regrade"
            ),
        )

    def describe(self) -> dict[str, str]:
        return {"sandbox": self.name}


def in_process_cached(planned: PlannedSynth, cache: ResultCache | None) -> SynthResult | None:
    """`planned.in_process()`, from the cache when it holds the result. A platform that builds in
    process (HCL parsed and validated, a template linted) takes seconds an answer that a cached
    re-grade would otherwise spend again; its request and this interpreter's toolchain, which
    holds the platform's packages and code, decide the result as they do a worker's."""
    if cache is None or not isinstance(planned, InProcessSynth):
        return planned.in_process()
    key = synth_key(planned.request, local_toolchain_id())
    stored = cache.get_synth(key)
    if stored is not None:
        return from_cache(stored)
    result = planned.in_process()
    cache.put_synth(key, result)
    return result


def stored_in_process(planned: PlannedSynth, cache: ResultCache | None) -> bool:
    """Whether `in_process_cached` would answer `planned` from the cache."""
    if cache is None or not isinstance(planned, InProcessSynth):
        return False
    return cache.has_synth(synth_key(planned.request, local_toolchain_id()))


def regrade_toolchains(kind: str) -> list[str]:
    """The toolchains whose stored synth output `--regrade` accepts for a `--sandbox` choice."""
    toolchains: list[str] = []
    if kind in ("docker", "auto"):
        # The image tag needs the engine (it hashes the base image); without one, docker
        # results simply are not found in the cache.
        with contextlib.suppress(Exception):
            from iacgrade.harness.sandbox.image import current_tag

            toolchains.append(f"docker:{current_tag()}")
    if kind in ("local", "auto"):
        toolchains.append(local_toolchain_id())
    return toolchains


def open_sandbox(kind: str, slots: int, cache: ResultCache | None, regrade: bool) -> Sandbox:
    """The sandbox a batch grades with: real (wrapped by the cache when there is one), or stored."""
    if regrade:
        return StoredSynth(cache, regrade_toolchains(kind) if cache is not None else [])
    from iacgrade.harness.sandbox import make_sandbox

    box = make_sandbox(kind, slots=slots)
    return CachedSandbox(box, cache) if cache is not None else box


def run_rules_cached(
    ctx: GradeContext,
    cache: ResultCache,
    catalogue: Mapping[str, Rule] | None = None,
    selection: RuleSelection | None = None,
) -> RuleRun:
    """Every rule on one answer, reusing stored outputs of rules at the same version. Each rule's
    whole output is stored and the run's `selection` applied to what comes back, so an entry
    never holds a selection's view and one run's `--ignore` cannot hide findings from the next."""
    start = time.perf_counter()
    catalogue = catalogue if catalogue is not None else load_rules()
    key = _answer_key(ctx)
    stored = cache.get_rules(key)
    findings: list[Finding] = []
    outcomes: list[RuleOutcome] = []
    entries: dict[str, object] = {}
    for rule_id, r in catalogue.items():
        deselected = deselected_outcome(r, selection)
        if deselected is not None:
            outcomes.append(deselected)
            continue
        reused = _reuse(stored.get(rule_id), r)
        if reused is None:
            found, outcome = run_rule(r, ctx)
        else:
            found, outcome = reused
        shown, shown_outcome = selected_checks(r, found, outcome, selection)
        findings.extend(shown)
        outcomes.append(shown_outcome)
        # A rule that raised may have met a passing fault (checkov timing out): try it again next time.
        if outcome.outcome is not Outcome.ERROR:
            entries[rule_id] = {
                "version": r.meta.version,
                "platforms": list(r.meta.platforms),
                "outcome": outcome.model_dump(mode="json"),
                "findings": [f.model_dump(mode="json") for f in found],
            }
    # Entries of rules not loaded now (a rule pack not installed here) are kept for when they are.
    merged = {**stored, **entries}
    if merged != stored:
        cache.put_rules(key, merged)
    return RuleRun(findings=findings, outcomes=outcomes, seconds=time.perf_counter() - start)


def requirement_checks_cached(ctx: GradeContext, cache: ResultCache | None) -> list[RequirementCheck]:
    """The prompt's requirements judged on one answer, reused when stored: they read what the
    rules read (the answer key holds the graders' code and data), and judging them again is a
    fifth of a cached re-grade."""
    if cache is None or not ctx.prompt.strip():
        return requirement_checks(ctx)
    key = _answer_key(ctx)
    stored = cache.get_requirements(key)
    if stored is not None:
        with contextlib.suppress(ValueError):
            return [RequirementCheck.model_validate(c) for c in stored]
    checks = requirement_checks(ctx)
    cache.put_requirements(key, [c.model_dump(mode="json") for c in checks])
    return checks


def _answer_key(ctx: GradeContext) -> str:
    # Computed once per context: the rules and the requirement checks of one answer share it.
    memo = vars(ctx)
    if "_answer_key" not in memo:
        memo["_answer_key"] = answer_key(ctx)
    return str(memo["_answer_key"])


def _reuse(entry: object, r: Rule) -> tuple[list[Finding], RuleOutcome] | None:
    if not isinstance(entry, dict) or entry.get("version") != r.meta.version:
        return None
    # A rule opted in for another platform must run where it was skipped before.
    if entry.get("platforms", []) != list(r.meta.platforms):
        return None
    try:
        outcome = RuleOutcome.model_validate(entry["outcome"])
        findings = [Finding.model_validate(f) for f in entry["findings"]]
    except (KeyError, TypeError, ValueError):
        return None  # a damaged entry: run the rule
    return findings, outcome
