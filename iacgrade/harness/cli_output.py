"""How the command line talks while it works: verbosity, terminal or not, and a line per task.

On a terminal a run shows a progress bar; anywhere else (a CI log, a pipe) it prints one plain
line per finished task, `TASK STATUS SCORE SECONDS`, and never wraps lines at 80 columns. `-q`
keeps only errors and the final summary; `-v` turns on debug logging. Everything here writes to
the stderr console, so stdout stays free for a `--format` document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from iacgrade.harness.core.results import TaskResult

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


@dataclass
class Verbosity:
    quiet: bool = False
    verbose: bool = False


def configure(console: Console, verbosity: Verbosity) -> None:
    """Set the log level and, off a terminal, stop rich wrapping long lines."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=LOG_FORMAT)
    if verbosity.verbose:
        root.setLevel(logging.DEBUG)
    elif verbosity.quiet:
        root.setLevel(logging.ERROR)
    else:
        root.setLevel(logging.WARNING)
    # A CI log has no width; a wrapped line there splits a number from its unit ("0.7 ⏎ s").
    console.soft_wrap = not console.is_terminal


def plain_line(result: TaskResult, reused: bool) -> str:
    """One finished task for a log: `TASK STATUS SCORE SECONDS` (`reused` for an earlier run's)."""
    score = f"{result.score.value:g}" if result.score is not None else "-"
    seconds = "reused" if reused else f"{result.timings.get('total', 0.0):.1f}s"
    return f"{result.task_id} {result.status.value} {score} {seconds}"


@contextmanager
def task_reporter(
    console: Console, total: int, verbosity: Verbosity
) -> Iterator[Callable[[TaskResult, bool], None]]:
    """An `on_done(result, reused)` for `run_batch`: a bar, plain lines, or silence with `-q`."""
    if verbosity.quiet:
        yield lambda result, reused: None
        return
    if not console.is_terminal:
        yield lambda result, reused: console.print(plain_line(result, reused), markup=False, highlight=False)
        return
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
        yield on_done
