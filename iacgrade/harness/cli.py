"""The `iacgrade` command line: parses, delegates, reports. No grading logic lives here.

Exit codes:
  0  done: every task has a result (graded, or invalid with its reason)
  1  the harness failed on at least one task (status `error`), or `grade` got an invalid task
  2  usage error (bad option, missing path)
  3  the sandbox failed (status `infra_error`) on at least one task
  4  `diff --fail-on-regression`: run B has a new failure in a task graded in both runs, or the
     upper end of the confidence interval of the mean score difference (B − A) is below 0
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from iacgrade.graders.wording import counted
from iacgrade.harness.core.results import TaskResult, TaskStatus

app = typer.Typer(
    help="Grade LLM-written Infrastructure-as-Code: synthesize both answers in a sandbox, classify every "
    "failure, score the task and write a failure analysis.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)

EXIT_OK, EXIT_TASK, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3
EXIT_REGRESSION = 4


class DiffFormat(StrEnum):
    """What `diff` writes (iacgrade.reports.compare.render)."""

    MARKDOWN = "markdown"
    JSON = "json"


SandboxOpt = Annotated[
    str, typer.Option("--sandbox", help="Where answers run: local, docker, or auto (docker when usable).")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds one answer may take to synthesize.")]
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
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The date (YYYY-MM-DD) AWS data is judged at for tasks with no startedAt (default: today).",
    ),
]


def _options(
    timeout: float,
    rubric: Path | None,
    repair: bool = True,
    profile: str | None = None,
    as_of: str | None = None,
    tests: bool = True,
):
    from iacgrade.harness.core.profile import ProfileError, load_profile, parse_date
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
    return GradeOptions(
        timeout=timeout,
        rubric=Rubric.load(rubric),
        repair=repair,
        profile=chosen,
        as_of=date,
        tests=tests,
    )


@app.command()
def grade(
    task_dir: Annotated[Path, typer.Argument(help="A task directory (PROMPT.md, MODEL_RESPONSE.md, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where analysis.md and result.json go.")],
    sandbox: SandboxOpt = "auto",
    timeout: TimeoutOpt = 120.0,
    rubric: RubricOpt = None,
    repair: RepairOpt = True,
    tests: TestsOpt = True,
    profile: ProfileOpt = None,
    as_of: AsOfOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither reuse nor store synth results and rule outputs.")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="The result cache (default: $IACGRADE_CACHE/results, else ~/.cache/iacgrade/results).",
        ),
    ] = None,
) -> None:
    """Grade one task and write OUT/analysis.md and OUT/result.json (reusing the result cache)."""
    import dataclasses

    from iacgrade.harness.batch.runner import write_task_result
    from iacgrade.harness.pipeline.cache import ResultCache
    from iacgrade.harness.pipeline.cached import open_sandbox
    from iacgrade.harness.pipeline.grade import grade_path

    if not task_dir.exists():
        console.print(f"[red]no such task directory: {task_dir}[/red]")
        raise typer.Exit(EXIT_USAGE)
    cache = None if no_cache else ResultCache(cache_dir)
    options = dataclasses.replace(_options(timeout, rubric, repair, profile, as_of, tests), cache=cache)
    with (
        console.status("grading (a warm synth worker loads the AWS provider once, unless cached)..."),
        open_sandbox(sandbox, 1, cache, regrade=False) as box,
    ):
        result = grade_path(task_dir, box, options)
    write_task_result(result, out)
    _print_result(result)
    console.print(f"analysis: {out / 'analysis.md'}")
    raise typer.Exit(_exit_code([result], single=True))


@app.command()
def run(
    paths: Annotated[
        list[Path], typer.Argument(help="Task directories, or directories of task directories.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The run directory (resumes when it exists).")],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Tasks graded at once (warm workers).")
    ] = 1,
    sandbox: SandboxOpt = "auto",
    timeout: TimeoutOpt = 120.0,
    rubric: RubricOpt = None,
    repair: RepairOpt = True,
    tests: TestsOpt = True,
    profile: ProfileOpt = None,
    as_of: AsOfOpt = None,
    regrade: Annotated[
        bool,
        typer.Option(
            "--regrade",
            help="Grade again, from stored synth output and without any worker, the tasks whose result "
            "was graded by other rule versions.",
        ),
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither reuse nor store synth results and rule outputs.")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="The result cache (default: $IACGRADE_CACHE/results, else ~/.cache/iacgrade/results).",
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="Where tasks are graded: local (this machine) or ray (one warm worker per Ray actor; "
            "see docs/ray.md).",
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="With --executor ray: the cluster (HEAD:6379, or auto); default: a local Ray instance.",
        ),
    ] = None,
) -> None:
    """Grade many tasks into OUT/<task_id>/ and OUT/results.csv; a re-run skips finished tasks."""
    import dataclasses

    from iacgrade.harness.batch.executor import ThreadExecutor
    from iacgrade.harness.batch.runner import run_batch
    from iacgrade.harness.core.tasks import discover
    from iacgrade.harness.pipeline.cache import ResultCache
    from iacgrade.harness.pipeline.cached import open_sandbox

    if executor not in ("local", "ray"):
        console.print(f"[red]unknown executor {executor!r}: choose local or ray[/red]")
        raise typer.Exit(EXIT_USAGE)
    if executor != "ray" and address is not None:
        console.print("[red]--address needs --executor ray[/red]")
        raise typer.Exit(EXIT_USAGE)
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such path: {', '.join(map(str, missing))}[/red]")
        raise typer.Exit(EXIT_USAGE)
    cache = None if no_cache else ResultCache(cache_dir)
    options = dataclasses.replace(_options(timeout, rubric, repair, profile, as_of, tests), cache=cache)
    total = len(discover(list(paths)))
    progress = Progress(
        TextColumn("[bold]grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
    )
    bar = progress.add_task("", total=total)

    def on_done(result: TaskResult, reused: bool) -> None:
        tag = "reused" if reused else result.status.value
        progress.update(bar, advance=1, description=f"{result.task_id}: {tag}")

    with progress:
        if executor == "ray":
            from iacgrade.harness.batch.ray import RayExecutor
            from iacgrade.harness.core.errors import SandboxError

            on_ray = RayExecutor(options, sandbox_kind=sandbox, jobs=jobs, address=address, regrade=regrade)
            try:
                summary = run_batch(paths, out, on_ray, on_done)
            except SandboxError as exc:
                progress.stop()
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
    console.print(f"results: {out / 'results.csv'}")
    raise typer.Exit(_exit_code(summary.results, single=False))


@app.command()
def rules(rule_id: Annotated[str | None, typer.Argument(help="A rule id, e.g. SYN001.")] = None) -> None:
    """List the rules, or print one rule's documentation."""
    from iacgrade.graders.registry import load_rules

    catalogue = load_rules()
    if rule_id is None:
        for r in catalogue.values():
            m = r.meta
            typer.echo(f"{m.id}  {m.severity.value:<8}  {m.category.value:<24}  {m.name}")
        return
    found = catalogue.get(rule_id.upper())
    if found is None:
        console.print(f"[red]no rule {rule_id}[/red]; `iacgrade rules` lists them")
        raise typer.Exit(EXIT_USAGE)
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
def doctor() -> None:
    """Check the Docker engine and images, Node, the toolchain pins, checkov and Chromium; exit 3
    when no sandbox is usable."""
    from iacgrade.harness.doctor import render, run_checks

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


@app.command()
def dashboard(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (several: compared side by side).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "dashboard.html"
    ),
) -> None:
    """Render one self-contained HTML dashboard (no network needed) from one or more runs."""
    from iacgrade.reports.dashboard import DashboardError, write_dashboard

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
            help="Exit 4 when B regresses: a task graded in both runs has a failure A did not have "
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


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        console.print(
            "[yellow]interrupted: finished tasks are kept; run again with the same --out to resume[/yellow]"
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
