"""The `iacgrade` command line: parses, delegates, reports. No grading logic lives here.

Exit codes:
  0  done: every task has a result (graded, or invalid with its reason)
  1  the harness failed on at least one task (status `error`), or `grade` got an invalid task
  2  usage error (bad option, missing path)
  3  the sandbox failed (status `infra_error`) on at least one task
  4  `--fail-on SEVERITY`: a model failure at that severity or worse (run and grade)
  5  `--fail-under SCORE`: the mean score of the graded tasks is below SCORE (run and grade)
  6  `diff --fail-on-regression`: run B has a new failure in a task graded in both runs, or the
     upper end of the confidence interval of the mean score difference (B − A) is below 0
A task status (3, then 1) outranks a gate (4, then 5): a run that broke says so first.

`--format json|sarif|junit` writes one document to stdout and everything else to stderr.
"""

from __future__ import annotations

import gc
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from iacgrade.graders.wording import counted
from iacgrade.harness.cli_output import Verbosity, configure, task_reporter
from iacgrade.harness.core.config import RunSettings
from iacgrade.harness.core.extras import missing_extra
from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.reports.machine import OutputFormat

app = typer.Typer(
    help="Grade LLM-written Infrastructure-as-Code: synthesize both answers in a sandbox, classify every "
    "failure, score the task and write a failure analysis.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
verbosity = Verbosity()

EXIT_OK, EXIT_TASK, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3
EXIT_FAIL_ON, EXIT_FAIL_UNDER, EXIT_REGRESSION = 4, 5, 6


class SandboxKind(StrEnum):
    """The choices of `--sandbox` (iacgrade.harness.sandbox.SANDBOX_KINDS)."""

    AUTO = "auto"
    LOCAL = "local"
    DOCKER = "docker"


class ExecutorKind(StrEnum):
    LOCAL = "local"
    RAY = "ray"


class ListFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class DiffFormat(StrEnum):
    """What `diff` writes (iacgrade.reports.compare.render)."""

    MARKDOWN = "markdown"
    JSON = "json"


SandboxOpt = Annotated[
    SandboxKind,
    typer.Option(
        "--sandbox",
        case_sensitive=False,
        help="Where answers run: local, docker, or auto (docker when usable).",
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds one answer may take to synthesize.")
]
RubricOpt = Annotated[
    Path | None, typer.Option("--rubric", help="A scoring rubric TOML (default: the built-in one).")
]

RepairOpt = Annotated[
    bool,
    typer.Option(
        "--repair/--no-repair",
        help="When an answer yields no Terraform JSON, synthesize it again in repair rounds past one "
        "blocker after another, so the JSON rules still see it (findings say so).",
    ),
]

TestsOpt = Annotated[
    bool,
    typer.Option(
        "--tests/--no-tests",
        help="Run each model answer's own unit tests with pytest after its synth, in the sandbox, and "
        "the reference's when one of them fails (TST002). Off saves the test time and the warm "
        "worker each test run replaces.",
    ),
]


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="The deploy environment to judge in: a shipped profile (default, archive; see `iacgrade "
        "profiles`) or a profile TOML. Default: the `profile` an iacgrade.toml in the task's folder or "
        "the folder above names, else `default`.",
    ),
]
SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        help="Report only these rules: ids or prefixes (AWS009, SEC, SEC:CKV_AWS_18), repeated or "
        "comma-separated; the others are SKIP (deselected). Default: `select` in the configuration, "
        "else every rule.",
    ),
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        help="Do not report these rules (ids or prefixes, as --select; wins over it). Default: "
        "`ignore` in the configuration.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The date (YYYY-MM-DD) AWS data is judged at for tasks with no startedAt (default: today).",
    ),
]


FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="What stdout gets: text (for people), or one json, sarif or junit document (progress "
        "and messages then go to stderr only).",
    ),
]
FailUnderOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-under",
        min=0,
        help=f"Exit {EXIT_FAIL_UNDER} when the mean score of the graded tasks is below SCORE.",
        metavar="SCORE",
    ),
]
FailOnOpt = Annotated[
    Severity | None,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        help=f"Exit {EXIT_FAIL_ON} when any model failure is at this severity or worse.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final summary.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log debug messages.")]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Neither reuse nor store synth results and rule outputs.")
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="The result cache (default: $IACGRADE_CACHE/results, else ~/.cache/iacgrade/results).",
    ),
]


def _version(value: bool) -> None:
    if value:
        from iacgrade.harness.core.version import package_version

        typer.echo(f"iacgrade {package_version()}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit."),
    ] = False,
) -> None:
    # The options before the command; the app's help text stays that of `app`.
    _set_verbosity(quiet, verbose, reset=True)


def _set_verbosity(quiet: bool, verbose: bool, reset: bool = False) -> None:
    """`-q`/`-v` before the command (reset) or after it (added to what came before)."""
    if reset:
        verbosity.quiet = verbosity.verbose = False
    verbosity.quiet |= quiet
    verbosity.verbose |= verbose
    if verbosity.quiet and verbosity.verbose:
        raise typer.BadParameter("choose one of --quiet and --verbose")
    configure(console, verbosity)


# Where an option's value comes from when the user gave it (else: its default).
GIVEN_SOURCES = ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


def _configured(ctx: typer.Context, **cli: object) -> RunSettings:
    """The run's settings: the command line's where given, else the configuration file found from
    the current directory upward (iacgrade/harness/core/config.py), else the defaults."""
    from iacgrade.graders.registry import check_selection
    from iacgrade.harness.core.config import ConfigError, load_config
    from iacgrade.harness.core.selection import RuleSelection

    # By the source's name: typer ships its own copy of click, whose enum is not click's.
    given = {k for k in cli if getattr(ctx.get_parameter_source(k), "name", "") in GIVEN_SOURCES}
    try:
        chosen = load_config(Path.cwd()).settings(cli, given)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    unknown = check_selection(RuleSelection(chosen.select, chosen.ignore))
    if unknown:
        console.print(
            f"[red]--select/--ignore: no rule matches {', '.join(unknown)}[/red]; see `iacgrade rules`"
        )
        raise typer.Exit(EXIT_USAGE)
    return chosen


def _options(
    timeout: float,
    rubric: Path | None,
    repair: bool = True,
    profile: str | None = None,
    as_of: str | None = None,
    tests: bool = True,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
):
    from iacgrade.harness.core.profile import ProfileError, load_profile, parse_date
    from iacgrade.harness.core.selection import RuleSelection
    from iacgrade.harness.pipeline.grade import GradeOptions
    from iacgrade.harness.pipeline.score import Rubric

    if rubric is not None and not rubric.is_file():
        console.print(f"[red]rubric not found: {rubric}[/red]")
        raise typer.Exit(EXIT_USAGE)
    try:
        chosen = load_profile(profile) if profile else None
        date = parse_date(as_of) if as_of else None
    except ProfileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    try:
        scoring = Rubric.load(rubric)
    except (ValueError, TypeError, AttributeError) as exc:  # not TOML, or values of the wrong kind
        console.print(f"[red]rubric {rubric}: {exc}[/red]", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    return GradeOptions(
        timeout=timeout,
        rubric=scoring,
        repair=repair,
        profile=chosen,
        as_of=date,
        tests=tests,
        selection=RuleSelection(select, ignore),
    )


@app.command()
def grade(
    ctx: typer.Context,
    task_dir: Annotated[Path, typer.Argument(help="A task directory (PROMPT.md, MODEL_RESPONSE.md, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where analysis.md and result.json go.")],
    sandbox: SandboxOpt = SandboxKind.AUTO,
    timeout: TimeoutOpt = 120.0,
    rubric: RubricOpt = None,
    repair: RepairOpt = True,
    tests: TestsOpt = True,
    profile: ProfileOpt = None,
    as_of: AsOfOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    fmt: FormatOpt = OutputFormat.TEXT,
    fail_under: FailUnderOpt = None,
    fail_on: FailOnOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Grade one task and write OUT/analysis.md and OUT/result.json (reusing the result cache).

    Options left out are taken from an iacgrade.toml, or the tool.iacgrade table of a pyproject.toml,
    found from the current directory upward."""
    import contextlib
    import dataclasses

    from iacgrade.harness.batch.runner import write_task_result
    from iacgrade.harness.pipeline.cache import ResultCache
    from iacgrade.harness.pipeline.cached import open_sandbox
    from iacgrade.harness.pipeline.grade import grade_path

    _set_verbosity(quiet, verbose)
    if not task_dir.exists():
        console.print(f"[red]no such task directory: {task_dir}[/red]")
        raise typer.Exit(EXIT_USAGE)
    _check_out(out)
    cfg = _configured(
        ctx, sandbox=sandbox, timeout=timeout, rubric=rubric, profile=profile, select=select, ignore=ignore
    )
    cache = None if no_cache else ResultCache(cache_dir)
    chosen = _options(cfg.timeout, cfg.rubric, repair, cfg.profile, as_of, tests, cfg.select, cfg.ignore)
    options = dataclasses.replace(chosen, cache=cache)
    waiting = "grading (a warm synth worker loads the AWS provider once, unless cached)..."
    with (
        console.status(waiting) if console.is_terminal and not verbosity.quiet else contextlib.nullcontext(),
        open_sandbox(cfg.sandbox, 1, cache, regrade=False) as box,
    ):
        result = grade_path(task_dir, box, options)
    write_task_result(result, out)
    _print_result(result)
    if not verbosity.quiet:
        console.print(f"analysis: {out / 'analysis.md'}")
    _emit(fmt, [result], single=True)
    raise typer.Exit(_final_code([result], single=True, fail_under=fail_under, fail_on=fail_on))


@app.command()
def run(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Task directories, or directories of task directories.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The run directory (resumes when it exists).")],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Tasks graded at once (warm workers).")
    ] = 1,
    sandbox: SandboxOpt = SandboxKind.AUTO,
    timeout: TimeoutOpt = 120.0,
    rubric: RubricOpt = None,
    repair: RepairOpt = True,
    tests: TestsOpt = True,
    profile: ProfileOpt = None,
    as_of: AsOfOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    regrade: Annotated[
        bool,
        typer.Option(
            "--regrade",
            help="Grade again, from stored synth output and without any worker, the tasks whose result "
            "was graded by other rule versions.",
        ),
    ] = False,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    executor: Annotated[
        ExecutorKind,
        typer.Option(
            "--executor",
            case_sensitive=False,
            help="Where tasks are graded: local (this machine) or ray (one warm worker per Ray actor; "
            "see docs/ray.md).",
        ),
    ] = ExecutorKind.LOCAL,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="With --executor ray: the cluster (HEAD:6379, or auto); default: a local Ray instance.",
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.TEXT,
    fail_under: FailUnderOpt = None,
    fail_on: FailOnOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Grade many tasks into OUT/<task_id>/ and OUT/results.csv; a re-run skips finished tasks.

    Options left out are taken from an iacgrade.toml, or the tool.iacgrade table of a pyproject.toml,
    found from the current directory upward."""
    import dataclasses

    from iacgrade.harness.batch.executor import ThreadExecutor
    from iacgrade.harness.batch.runner import run_batch
    from iacgrade.harness.core.tasks import discover
    from iacgrade.harness.pipeline.cache import ResultCache
    from iacgrade.harness.pipeline.cached import open_sandbox

    _set_verbosity(quiet, verbose)
    cfg = _configured(
        ctx,
        sandbox=sandbox,
        jobs=jobs,
        timeout=timeout,
        rubric=rubric,
        profile=profile,
        select=select,
        ignore=ignore,
        executor=executor,
    )
    sandbox, jobs, executor = SandboxKind(cfg.sandbox), cfg.jobs, ExecutorKind(cfg.executor)
    if executor is not ExecutorKind.RAY and address is not None:
        console.print("[red]--address needs --executor ray[/red]")
        raise typer.Exit(EXIT_USAGE)
    if executor is ExecutorKind.RAY and (needed := missing_extra("ray", "ray")):
        console.print(f"[red]--executor ray: {escape(needed)}[/red]")
        raise typer.Exit(EXIT_USAGE)
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such path: {', '.join(map(str, missing))}[/red]")
        raise typer.Exit(EXIT_USAGE)
    _check_out(out)
    cache = None if no_cache else ResultCache(cache_dir)
    chosen = _options(cfg.timeout, cfg.rubric, repair, cfg.profile, as_of, tests, cfg.select, cfg.ignore)
    options = dataclasses.replace(chosen, cache=cache)
    total = len(discover(list(paths)))
    with task_reporter(console, total, verbosity) as on_done:
        if executor is ExecutorKind.RAY:
            from iacgrade.harness.batch.ray import RayExecutor
            from iacgrade.harness.core.errors import SandboxError

            # A plain str: Ray actors unpickle it without importing the command line.
            kind = sandbox.value
            on_ray = RayExecutor(options, sandbox_kind=kind, jobs=jobs, address=address, regrade=regrade)
            try:
                summary = run_batch(paths, out, on_ray, on_done)
            except SandboxError as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(EXIT_INFRA) from exc
        else:
            with open_sandbox(sandbox, jobs, cache, regrade) as box:
                summary = run_batch(paths, out, ThreadExecutor(box, options, jobs), on_done)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.counts().items()))
    console.print(
        f"{counted(summary.total, 'task')}: {counts}; {summary.graded_now} graded now ({summary.executor}), "
        f"{summary.skipped} reused from an earlier run; {summary.seconds:.1f} s"
    )
    if not verbosity.quiet:
        console.print(f"results: {out / 'results.csv'}")
    other = [
        r
        for r in summary.results
        if r.status is TaskStatus.GRADED and r.selection != options.selection.to_dict()
    ]
    if other:
        console.print(
            f"[yellow]{counted(len(other), 'result')} in {out} graded under another --select/--ignore than "
            "this run's: their scores do not compare with the others; grade into a new --out[/yellow]"
        )
    if cache is not None:
        from iacgrade.harness.pipeline.cache_admin import auto_prune

        auto_prune(cache_dir)
    _emit(fmt, summary.results, single=False)
    raise typer.Exit(_final_code(summary.results, single=False, fail_under=fail_under, fail_on=fail_on))


@app.command()
def rules(
    rule_id: Annotated[str | None, typer.Argument(help="A rule id, e.g. SYN001.")] = None,
    fmt: Annotated[
        ListFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="text (aligned columns; one rule's documentation with RULE_ID) or json (id, name, "
            "title, severity, category, platforms, docs, rationale, version).",
        ),
    ] = ListFormat.TEXT,
) -> None:
    """List the rules, or print one rule's documentation."""
    from iacgrade.graders.registry import load_rules
    from iacgrade.reports.catalogue import rules_json, rules_text

    catalogue = load_rules()
    found = catalogue.get(rule_id.upper()) if rule_id is not None else None
    if rule_id is not None and found is None:
        console.print(f"[red]no rule {rule_id}[/red]; `iacgrade rules` lists them")
        raise typer.Exit(EXIT_USAGE)
    if fmt is ListFormat.JSON:
        typer.echo(rules_json([found] if found else catalogue.values()), nl=False)
        return
    if found is None:
        typer.echo("\n".join(rules_text(catalogue.values())))
        return
    m = found.meta
    typer.echo(f"{m.id} {m.name} ({m.severity.value}, {m.category.value}, version {m.version})\n")
    typer.echo(f"{m.title}\n")
    if m.source:
        typer.echo(f"Source: {m.source}\n")
    typer.echo(m.explanation)
    if m.docs:
        typer.echo("\nDocumentation:\n" + "\n".join(f"  {d}" for d in m.docs))


@app.command()
def profiles() -> None:
    """List the shipped environment profiles and what each assumes."""
    import datetime as dt

    from iacgrade.harness.core.profile import load_profile, shipped_profiles

    today = dt.date.today()
    for name in shipped_profiles():
        p = load_profile(name)
        releases = ", ".join(f"{r.version} until {r.until}" if r.until else r.version for r in p.terraform)
        state = "required" if p.remote_state_required else "not required"
        typer.echo(f"{p.name}: {p.description}")
        typer.echo(
            f"  Terraform {releases} (today: {p.terraform_version(today)}); "
            f"remote state {state}; region {p.region}"
        )
        for line in p.source:
            typer.echo(f"  source: {line}")


@app.command()
def platforms() -> None:
    """List the registered platforms (built-in and installed) and the tasks each takes."""
    from iacgrade.harness.platforms.registry import registered

    for i, p in enumerate(registered()):
        default = "  (default: tasks that name no platform)" if i == 0 else ""
        module = type(p).__module__
        typer.echo(f"{p.name}: {p.label}, {p.code_kind} code; {module}{default}")


@app.command()
def calibrate(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (`iacgrade run --out`).")],
    corpus_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="The corpora whose tasks it graded, with written analyses (`MODEL_FAILURES.md`); "
            "a task is looked up in each, in order."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where calibration.md/.csv go (default: RUN_DIR).")
    ] = None,
    keywords: Annotated[
        Path | None,
        typer.Option("--keywords", help="A vocabulary TOML: topics, and [rules] phrases for plug-in rules."),
    ] = None,
) -> None:
    """Measure how iacgrade's failures agree with reviewers' written analyses of the same tasks."""
    from iacgrade.harness.calibration.calibrate import CalibrationError, check_inputs
    from iacgrade.harness.calibration.report import calibrate as run_calibration

    try:
        check_inputs(run_dir, corpus_dirs, keywords)
    except CalibrationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    summary = run_calibration(run_dir, corpus_dirs, out, keywords=keywords)
    crit, crit_high = summary.recall_of("Critical"), summary.recall_of("Critical", "High")
    console.print(
        f"{counted(len(summary.compared), 'task')} compared; "
        f"written Critical items matched {crit[0]}/{crit[1]}, "
        f"Critical+High {crit_high[0]}/{crit_high[1]}; {summary.correlation.statement}"
    )
    console.print(f"report: {summary.out_dir / 'calibration.md'}")


@app.command()
def doctor(
    fix: Annotated[
        bool,
        typer.Option("--fix", help="First install what needs no root: checkov, in a venv of its own."),
    ] = False,
) -> None:
    """Check the Docker engine and images, Node, the toolchain pins, checkov and Chromium; exit 3
    when no sandbox is usable."""
    from iacgrade.harness.core.errors import HarnessError
    from iacgrade.harness.doctor import apply_fixes, render, run_checks

    if fix:
        try:
            for done in apply_fixes(progress=lambda line: console.print(line)):
                console.print(done)
        except HarnessError as exc:
            console.print(f"[red]{exc}[/red]")
    with console.status("checking (starts the toolchain once, ~10 s)..."):
        report = run_checks()
    render(report, Console())
    raise typer.Exit(EXIT_OK if report.usable else EXIT_INFRA)


image_app = typer.Typer(help="The Docker sandbox image: build it offline, or check that it is current.")
app.add_typer(image_app, name="image")


@image_app.command("build")
def image_build() -> None:
    """Build the sandbox image (Debian base by debootstrap, packages from a local wheelhouse)."""
    from iacgrade.harness.sandbox.image import ImageError, ensure_image

    try:
        tag = ensure_image(build=True, progress=lambda line: console.print(line))
    except ImageError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INFRA) from exc
    typer.echo(tag)


@image_app.command("status")
def image_status_cmd() -> None:
    """Say whether the engine answers and the current image is present; exit 1 when not usable."""
    from iacgrade.harness.sandbox.image import image_status

    status = image_status()
    for key, value in status.to_dict().items():
        typer.echo(f"{key}: {value}")
    raise typer.Exit(EXIT_OK if status.usable else EXIT_TASK)


cache_app = typer.Typer(help="The result cache: what it holds, and pruning it.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def cache_info_cmd(cache_dir: CacheDirOpt = None) -> None:
    """Where the cache is, its size and files, entries by kind, and its oldest and newest use."""
    from iacgrade.harness.pipeline.cache_admin import cache_info, format_info

    typer.echo(format_info(cache_info(cache_dir)))


@cache_app.command("prune")
def cache_prune_cmd(
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size", help="Remove the least recently used entries down to this size (2G, 500M)."
        ),
    ] = None,
    older_than: Annotated[
        float | None, typer.Option("--older-than", min=0, help="Remove entries unused for this many days.")
    ] = None,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Remove least recently used entries; without options, down to the cap every run keeps."""
    from iacgrade.harness.pipeline.cache_admin import human_size, max_size_setting, parse_size, prune

    try:
        cap = parse_size(max_size) if max_size is not None else None
    except ValueError as exc:
        console.print(f"[red]--max-size: {exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    if cap is None and older_than is None:
        cap = max_size_setting()
    report = prune(cache_dir, max_size=cap, older_than_days=older_than)
    typer.echo(
        f"removed {report.removed} entries ({human_size(report.freed)}); {human_size(report.size)} left"
    )


@app.command()
def dashboard(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (several: compared side by side).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "dashboard.html"
    ),
) -> None:
    """Render one self-contained HTML dashboard (no network needed) from one or more runs."""
    from iacgrade.reports.dashboard import DashboardError, write_dashboard

    if output.is_dir():
        console.print(f"[red]--output {output} is a directory; name the HTML file[/red]", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    try:
        path = write_dashboard(run_dirs, output)
    except DashboardError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    console.print(f"dashboard: {path}")


@app.command("diff")
def diff_runs(
    run_a: Annotated[Path, typer.Argument(help="The baseline run directory (`iacgrade run --out`).")],
    run_b: Annotated[Path, typer.Argument(help="The run compared against it.")],
    output_format: Annotated[
        DiffFormat, typer.Option("--format", help="markdown (a report) or json (every task, for tools).")
    ] = DiffFormat.MARKDOWN,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report to this file instead of stdout.")
    ] = None,
    fail_on_regression: Annotated[
        bool,
        typer.Option(
            "--fail-on-regression",
            help="Exit 6 when B regresses: a task graded in both runs has a failure A did not have "
            "(matched by fingerprint: task, rule, anchor; else by rule, file and line), or the upper "
            "end of the paired bootstrap interval of the mean score difference (B − A, tasks graded "
            "in both) is below 0.",
        ),
    ] = False,
    confidence: Annotated[
        float, typer.Option("--confidence", min=0.5, max=0.999, help="The interval's confidence level.")
    ] = 0.95,
    resamples: Annotated[int, typer.Option("--resamples", min=100, help="Bootstrap resamples.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="The bootstrap's seed: same inputs, same output.")] = 0,
) -> None:
    """Compare run B against run A: failures new, fixed and unchanged per task, and the mean score
    difference with a paired bootstrap confidence interval."""
    from iacgrade.harness.core.atomic import write_text_atomic
    from iacgrade.reports.compare import CompareError, compare_runs, render

    try:
        diff = compare_runs(run_a, run_b, resamples=resamples, confidence=confidence, seed=seed)
    except CompareError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    text = render(diff, output_format.value)
    if out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out, text)
        console.print(f"diff: {out}")
    raise typer.Exit(EXIT_REGRESSION if fail_on_regression and diff.regressed else EXIT_OK)


def _print_result(result: TaskResult) -> None:
    if result.status is not TaskStatus.GRADED:
        console.print(f"{result.task_id}: [yellow]{result.status.value}[/yellow]: {result.reason}")
        return
    counts = result.severity_counts()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    score = result.score.value if result.score else "-"
    training = f" (archive training quality {result.training.value:g}/10)" if result.training else ""
    console.print(f"{result.task_id}: score {score}/10{training}; failures: {summary or 'none'}")


def _exit_code(results: list[TaskResult], single: bool) -> int:
    statuses = {r.status for r in results}
    if TaskStatus.INFRA_ERROR in statuses:
        return EXIT_INFRA
    if TaskStatus.ERROR in statuses or (single and TaskStatus.INVALID in statuses):
        return EXIT_TASK
    return EXIT_OK


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        console.print(f"[red]--out {out} is a file, not a directory[/red]", highlight=False)
        raise typer.Exit(EXIT_USAGE)


def _emit(fmt: OutputFormat, results: list[TaskResult], single: bool) -> None:
    """With a machine format, the one document stdout carries."""
    if fmt is not OutputFormat.TEXT:
        from iacgrade.reports.machine import render_document

        sys.stdout.write(render_document(fmt, results, single=single))
        sys.stdout.flush()


def _final_code(
    results: list[TaskResult], single: bool, fail_under: float | None, fail_on: Severity | None
) -> int:
    """The task statuses' exit code, else the first gate breached (each breach said on stderr)."""
    from iacgrade.harness.core.gates import Gate, check_gates

    breaches = check_gates(results, fail_under, fail_on)
    for breach in breaches:
        console.print(f"[red]--{breach.gate.value}:[/red] {breach.message}", highlight=False)
    code = _exit_code(results, single)
    if code != EXIT_OK or not breaches:
        return code
    return EXIT_FAIL_ON if breaches[0].gate is Gate.FAIL_ON else EXIT_FAIL_UNDER


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        console.print(
            "[yellow]interrupted: finished tasks are kept; run again with the same --out to resume[/yellow]"
        )
        sys.exit(130)
    finally:
        # The command's work is written; what is left is the interpreter's exit, whose collections
        # traced the million objects a batch's caches hold (2 s after 345 cached gradings).
        # Frozen, they are freed as the process ends without being traced first.
        gc.freeze()


if __name__ == "__main__":
    main()
