"""What `run` says while it works, on a terminal and off it (rich consoles on a string buffer)."""

from __future__ import annotations

import io

from rich.console import Console

from iacgrade.harness.cli_output import Verbosity, configure, task_reporter
from tests.cli.results import broken, graded


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=80, color_system=None), buffer


def _report(console: Console, verbosity: Verbosity) -> None:
    with task_reporter(console, 2, verbosity) as on_done:
        on_done(graded("first-task", 7.5), True)
        on_done(broken("second-task"), False)


def test_off_a_terminal_a_plain_line_per_task_and_no_wrapping() -> None:
    console, buffer = _console(terminal=False)
    configure(console, Verbosity())
    _report(console, Verbosity())
    long = "x" * 50 + " " + "y" * 50
    console.print(long)
    assert buffer.getvalue().splitlines() == [
        "first-task graded 7.5 reused",
        "second-task invalid - 0.0s",
        long,
    ]


def test_on_a_terminal_a_progress_bar() -> None:
    console, buffer = _console(terminal=True)
    configure(console, Verbosity())
    _report(console, Verbosity())
    shown = buffer.getvalue()
    assert "2/2" in shown and "second-task: invalid" in shown
    assert "second-task invalid - 0.0s" not in shown


def test_quiet_says_nothing_per_task() -> None:
    for terminal in (True, False):
        console, buffer = _console(terminal)
        _report(console, Verbosity(quiet=True))
        assert buffer.getvalue() == ""
