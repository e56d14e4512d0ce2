"""Grading one task, forward only: load, extract, materialise, synth, grade, compare, score."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from iacgrade.graders.context import GradeContext, Settings
from iacgrade.graders.registry import RuleRun, rules_version, run_rules
from iacgrade.graders.security.scan import scan_files_ahead
from iacgrade.harness.core.errors import HarnessError, TaskLoadError
from iacgrade.harness.core.findings import Finding, Outcome, RuleOutcome, is_environment
from iacgrade.harness.core.profile import (
    DEFAULT_PROFILE,
    Environment,
    Profile,
    configured_profile,
    environment,
    load_profile,
)
from iacgrade.harness.core.results import (
    IgnoredFinding,
    RequirementCheck,
    SideResult,
    TaskResult,
    TaskStatus,
)
from iacgrade.harness.core.selection import ReviewerIgnore, RuleSelection, reviewer_ignores
from iacgrade.harness.core.synth import SynthRequest, SynthResult, SynthStatus
from iacgrade.harness.core.tasks import Task, load_task
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.pipeline.cache import ResultCache
from iacgrade.harness.pipeline.cached import (
    NOT_STORED,
    in_process_cached,
    requirement_checks_cached,
    run_rules_cached,
    stored_in_process,
)
from iacgrade.harness.pipeline.compare import Side, compare
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.pipeline.merge import merge_failures, order_failures
from iacgrade.harness.pipeline.score import Rubric, score_failures
from iacgrade.harness.pipeline.training import TrainingInputs, TrainingPolicy, score_training
from iacgrade.harness.platforms.base import PlannedSynth, Platform, Reference, SynthSettings
from iacgrade.harness.platforms.registry import platform_for, platform_named, supported
from iacgrade.harness.sandbox.base import Sandbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradeOptions:
    timeout: float = 120.0
    rubric: Rubric = field(default_factory=Rubric.load)
    training: TrainingPolicy = field(default_factory=TrainingPolicy.load)
    settings: Settings = field(default_factory=Settings)
    # Set over the platform's default environment for every app (Platform.default_env()).
    env: dict[str, str] = field(default_factory=dict)
    infra_retries: int = 1
    # When an answer does not synthesize as written, let its platform get past what stops it (for
    # CDKTF Python: wrong provider imports resolved, repair rounds), so the rules that read the
    # synthesized output still see it.
    repair: bool = True
    # Where rule outputs are reused from and stored (None: every rule runs every time).
    cache: ResultCache | None = None
    # The deploy environment (iacgrade/harness/core/profile.py); None: the task's iacgrade.toml, else
    # `default`.
    profile: Profile | None = None
    # The date to judge AWS data at for tasks that carry no startedAt (None: today).
    as_of: dt.date | None = None
    # Run each model answer's own unit tests after its synth, when it has any; the reference's
    # then run too when one of the model's failed, to tell the environment's failures apart.
    tests: bool = True
    # Which rules report (--select/--ignore); the others are SKIP with the reason.
    selection: RuleSelection = field(default_factory=RuleSelection)


def task_environment(task: Task, options: GradeOptions) -> Environment:
    """The environment `task` is judged in: the run's profile, else the task's configured one."""
    profile = options.profile or configured_profile(task.path) or load_profile(DEFAULT_PROFILE)
    return environment(profile, task.metadata, options.as_of)


def in_environment(options: GradeOptions, env: Environment, platform: Platform) -> GradeOptions:
    """`options` with what the rules read and what the app sees set from `env` and the platform."""
    settings = replace(
        options.settings,
        terraform_version=env.terraform_version,
        remote_state_required=env.remote_state_required,
        judged_at=env.judged_at.isoformat(),
    )
    app_env = {**platform.default_env(), **options.env, "AWS_REGION": env.region}
    return replace(options, settings=settings, env=app_env)


def grade_path(path: Path, sandbox: Sandbox, options: GradeOptions | None = None) -> TaskResult:
    """Grade the task at `path`; never raises for a bad task or a broken sandbox."""
    options = options or GradeOptions()
    start = time.perf_counter()
    try:
        task = load_task(path)
    except TaskLoadError as exc:
        return TaskResult(
            task_id=path.name, status=TaskStatus.INVALID, reason=str(exc.args[0]), task_dir=str(path)
        )
    try:
        result = grade_task(task, sandbox, options)
    except HarnessError as exc:
        result = _error_result(task, f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        log.exception("grading %s failed", task.id)
        result = _error_result(task, f"internal error: {type(exc).__name__}: {exc}")
    result.timings["total"] = round(time.perf_counter() - start, 3)
    return result


def grade_task(task: Task, sandbox: Sandbox, options: GradeOptions) -> TaskResult:
    platform = platform_for(task.metadata)
    if platform is None:
        return TaskResult(
            task_id=task.id,
            status=TaskStatus.INVALID,
            reason=(
                f"platform {task.metadata.get('platform')!r} / language {task.metadata.get('language')!r} "
                f"is not supported yet (supported: {supported()})"
            ),
            task_dir=str(task.path),
            metadata=task.metadata,
        )
    try:
        ignores = reviewer_ignores(task.metadata)
    except TaskLoadError as exc:
        return TaskResult(
            task_id=task.id,
            status=TaskStatus.INVALID,
            reason=str(exc),
            task_dir=str(task.path),
            metadata=task.metadata,
        )
    # One environment for the whole task: what rules read, the apps' region and clock, and the
    # date rules judge at.
    env = task_environment(task, options)
    options = in_environment(options, env, platform)
    timings: dict[str, float] = {}
    model_ws = build_workspace(task, "model", platform)
    ideal_ws = build_workspace(task, "ideal", platform) if task.has_reference else None
    _scan_ahead(platform, options, model_ws, ideal_ws)

    ideal_synth = _synth(ideal_ws, sandbox, options, timings) if ideal_ws else None
    reference = Reference(ideal_ws, failed=ideal_synth is not None and not ideal_synth.ok)
    model_synth = _synth(model_ws, sandbox, options, timings, reference, run_tests=options.tests)
    broken = [s for s in (model_synth, ideal_synth) if s and s.status is SynthStatus.INFRA_ERROR]
    if broken:
        # Under --regrade nothing broke: the answer's synth output was simply never stored.
        not_stored = broken[0].error_type == NOT_STORED
        return TaskResult(
            task_id=task.id,
            status=TaskStatus.INFRA_ERROR,
            reason=broken[0].message if not_stored else f"the sandbox failed: {broken[0].message}",
            task_dir=str(task.path),
            metadata=task.metadata,
            sandbox=sandbox.describe(),
            timings=timings,
        )

    if ideal_ws is not None and ideal_synth is not None and model_synth.tests and model_synth.tests.failed:
        ideal_synth = _reference_tests(ideal_ws, ideal_synth, sandbox, options, timings)

    t0 = time.perf_counter()
    model_ctx = GradeContext(model_ws, model_synth, task.metadata, options.settings, task.prompt)
    model_run = _run_rules(model_ctx, options)
    ideal_ctx = (
        GradeContext(ideal_ws, ideal_synth, task.metadata, options.settings, task.prompt)
        if ideal_ws
        else None
    )
    ideal_run = _run_rules(ideal_ctx, options) if ideal_ctx and ideal_ws and ideal_ws.has_code else None
    timings["grade"] = round(time.perf_counter() - t0, 3)
    # The reviewer's ignore list sets findings aside on both sides, before anything is counted.
    model_findings, ignored = set_aside(model_run.findings, ignores)
    ideal_findings = set_aside(ideal_run.findings, ignores)[0] if ideal_run else []

    ideal_usable = bool(ideal_ws and ideal_ws.has_code and ideal_ws.stack_class)
    comparison = compare(
        Side(model_ws, model_findings, usable=True),
        Side(
            ideal_ws,
            ideal_findings,
            usable=ideal_usable,
            unchecked=frozenset(o.rule_id for o in ideal_run.outcomes if o.outcome is Outcome.SKIP)
            if ideal_run
            else frozenset(),
            locate=platform.locator(ideal_ws) if ideal_ws and ideal_usable else None,
        ),
    )
    failures = order_failures(merge_failures(comparison.failures))
    score = score_failures(failures, options.rubric, shared=len(comparison.shared))
    training = score_training(
        TrainingInputs(
            platform=platform,
            metadata=task.metadata,
            prompt=task.prompt,
            failures=failures,
            model_files={
                p: t for p, t in model_ws.files.items() if model_ws.origins.get(p, "").startswith("answer")
            },
            model_stacks=model_synth.stacks,
            ideal_stacks=ideal_synth.stacks if ideal_synth and ideal_usable else {},
            env_region=options.env.get("AWS_REGION", ""),
            model_only=not ideal_usable,
            model_env_gap=model_synth.status is not SynthStatus.OK
            and any(is_environment(f.rule_id) for f in model_run.findings),
        ),
        options.training,
    )
    return TaskResult(
        task_id=task.id,
        status=TaskStatus.GRADED,
        task_dir=str(task.path),
        metadata=task.metadata,
        prompt_excerpt=task.prompt.strip()[:600],
        model_only=not ideal_usable,
        reason="" if ideal_usable else _model_only_reason(task, ideal_ws, platform),
        score=score,
        training=training,
        model=_side_result(
            model_ws,
            model_synth,
            model_findings,
            model_run.outcomes,
            requirement_checks_cached(model_ctx, options.cache),
        ),
        ideal=_ideal_side(ideal_ws, ideal_synth, ideal_run, ideal_ctx, ideal_findings, options.cache),
        failures=failures,
        shared=comparison.shared,
        ideal_only=comparison.ideal_only,
        sandbox=sandbox.describe(),
        timings=timings,
        environment=env.to_dict(),
        # What `--regrade` compares to tell a result graded by other rule versions.
        versions={"rules": rules_version()},
        selection=options.selection.to_dict(),
        reviewer_ignored=ignored,
    )


def set_aside(
    findings: list[Finding], ignores: tuple[ReviewerIgnore, ...]
) -> tuple[list[Finding], list[IgnoredFinding]]:
    """`findings` without those a reviewer's ignore entry matches, and those, with the entry."""
    kept: list[Finding] = []
    ignored: list[IgnoredFinding] = []
    for f in findings:
        entry = next((i for i in ignores if i.matches(f.rule_id)), None)
        if entry is None:
            kept.append(f)
        else:
            ignored.append(IgnoredFinding(finding=f, pattern=entry.pattern, reason=entry.reason))
    return kept, ignored


def _scan_ahead(platform: Platform, options: GradeOptions, *workspaces: Workspace | None) -> None:
    """Start checkov on the answers' own files while they are built, for a platform that scans
    them rather than a synthesized JSON (the scan runs in checkov's process). An answer whose
    build is cached is not built now, and its rules' outputs are almost always cached with it:
    a scan started for it would run for nothing (the SEC rule still scans it when it runs)."""
    for ws in workspaces:
        if ws is None or not ws.has_code:
            continue
        scan = platform.scan_input(ws)
        if scan is not None and not stored_in_process(synth_plan(ws, options), options.cache):
            scan_files_ahead(scan.files, scan.framework)


def _run_rules(ctx: GradeContext, options: GradeOptions) -> RuleRun:
    if options.cache is not None:
        return run_rules_cached(ctx, options.cache, selection=options.selection)
    return run_rules(ctx, selection=options.selection)


def synth_plan(
    ws: Workspace, options: GradeOptions, reference: Reference | None = None, run_tests: bool = False
) -> PlannedSynth:
    """What the sandbox is asked for one workspace (the model's side gets the reference's)."""
    platform = platform_named(ws.platform)
    settings = SynthSettings(
        env={**platform.default_env(), **options.env},
        timeout=options.timeout,
        clock=options.settings.judged_at,
        repair=options.repair,
        run_tests=run_tests,
    )
    return platform.plan_synth(ws, settings, reference)


def _synth(
    ws: Workspace | None,
    sandbox: Sandbox,
    options: GradeOptions,
    timings: dict[str, float],
    reference: Reference | None = None,
    run_tests: bool = False,
) -> SynthResult:
    if ws is None or not ws.has_code:
        return SynthResult(status=SynthStatus.SKIPPED, message="no code to synthesize")
    if not ws.entry:
        return SynthResult(
            status=SynthStatus.ERROR,
            error_type="NoEntry",
            message=f"the answer has no entry point and no {platform_named(ws.platform).main_kind} to build",
        )
    planned = synth_plan(ws, options, reference, run_tests)
    t0 = time.perf_counter()
    local = in_process_cached(planned, options.cache)
    if local is not None:
        timings[f"synth_{ws.side}"] = round(time.perf_counter() - t0, 3)
        return planned.finish(local)
    return planned.finish(_timed_ask(sandbox, planned.request, options, ws.side, timings))


def _reference_tests(
    ws: Workspace, first: SynthResult, sandbox: Sandbox, options: GradeOptions, timings: dict[str, float]
) -> SynthResult:
    """The reference synthesized again with its own unit tests run, when it has any: a test that
    fails on both sides the same way is the environment's, not the model's. Its synth is the same
    (the worker is deterministic), so the result replaces the first; a sandbox failure keeps it."""
    if not ws.has_code or not ws.entry:
        return first
    planned = synth_plan(ws, options, run_tests=True)
    if not planned.runs_tests:
        return first
    result = _timed_ask(sandbox, planned.request, options, ws.side, timings)
    return first if result.status is SynthStatus.INFRA_ERROR else planned.finish(result)


def _timed_ask(
    sandbox: Sandbox, request: SynthRequest, options: GradeOptions, side: str, timings: dict[str, float]
) -> SynthResult:
    """`_ask`, its seconds added to the side's synth time (a second synth for the reference's
    tests is the tests' price too), and pytest's own seconds apart, so their cost reads alone."""
    t0 = time.perf_counter()
    result = _ask(sandbox, request, options)
    timings[f"synth_{side}"] = round(timings.get(f"synth_{side}", 0.0) + time.perf_counter() - t0, 3)
    if result.tests is not None and result.tests.ran:
        timings[f"tests_{side}"] = round(result.tests.seconds, 3)
    return result


def _ask(sandbox: Sandbox, request: SynthRequest, options: GradeOptions) -> SynthResult:
    result = sandbox.synth(request)
    for _ in range(options.infra_retries):
        if result.status is not SynthStatus.INFRA_ERROR:
            break
        log.warning("sandbox failed on %s, retrying once: %s", request.id, result.message)
        result = sandbox.synth(request)
    return result


def _ideal_side(
    ws: Workspace | None,
    synth: SynthResult | None,
    run: RuleRun | None,
    ctx: GradeContext | None,
    findings: list[Finding],
    cache: ResultCache | None = None,
) -> SideResult | None:
    """The reference's side: None without a reference, which is also when nothing was synthesized;
    no findings when its rules did not run (a reference without code)."""
    if ws is None or synth is None:
        return None
    requirements = requirement_checks_cached(ctx, cache) if ctx is not None and run is not None else []
    return _side_result(ws, synth, findings, run.outcomes if run else [], requirements)


def _side_result(
    ws: Workspace,
    synth: SynthResult,
    findings: list[Finding],
    outcomes: list[RuleOutcome],
    requirements: list[RequirementCheck],
) -> SideResult:
    return SideResult(
        side=ws.side,
        has_code=ws.has_code,
        files={p: o for p, o in sorted(ws.origins.items())},
        entry=ws.entry,
        entry_source=ws.entry_source,
        synth=synth,
        findings=findings,
        outcomes=outcomes,
        notes=list(ws.notes),
        requirements=requirements,
    )


def _model_only_reason(task: Task, ideal_ws: Workspace | None, platform: Platform) -> str:
    if not task.has_reference:
        return "the task has no reference answer: only the model answer was graded"
    if ideal_ws is None or not ideal_ws.has_code:
        return "the reference answer is prose with no code: only the model answer was graded"
    return (
        f"the reference answer's code has no {platform.main_kind} to build: only the model answer was graded"
    )


def _error_result(task: Task, reason: str) -> TaskResult:
    return TaskResult(
        task_id=task.id,
        status=TaskStatus.ERROR,
        reason=reason,
        task_dir=str(task.path),
        metadata=task.metadata,
    )
