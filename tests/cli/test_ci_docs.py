"""The iacgrade commands docs/ci.md shows parse: every option and value exists as written."""

from __future__ import annotations

import re
import shlex

import pytest
import typer

from iacgrade.harness.cli import app
from tests.paths import REPO

CI_DOC = REPO / "docs" / "ci.md"
# A shell line in a code block: `$ iacgrade ...` or `run: .venv/bin/iacgrade ...`.
COMMAND = re.compile(r"^\s*(?:\$ |run: )(?:\.venv/bin/)?iacgrade (.+)$", re.MULTILINE)


def _commands() -> list[list[str]]:
    commands = []
    for match in COMMAND.finditer(CI_DOC.read_text(encoding="utf-8")):
        args = []
        for token in shlex.split(match.group(1)):
            if token == "|" or token.startswith((">", "2>")):
                break
            args.append(token)
        commands.append(args)
    return commands


def test_the_doc_shows_the_commands_ci_needs() -> None:
    shown = [" ".join(args) for args in _commands()]
    assert any("--format sarif" in c for c in shown) and any("--fail-on High" in c for c in shown)


@pytest.mark.parametrize("args", _commands(), ids=" ".join)
def test_a_documented_command_parses(args: list[str]) -> None:
    group = typer.main.get_command(app)
    command = group.commands[args[0]]  # type: ignore[attr-defined]
    # Parsing converts every value: an option or a choice that does not exist raises here.
    command.make_context(args[0], args[1:])


def test_a_wrong_option_would_not_parse() -> None:
    # What the test above relies on: parsing alone rejects a misspelt option or value.
    run = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    for wrong in (["--format", "xml"], ["--fail-onn", "High"]):
        with pytest.raises(Exception, match=r"xml|fail-onn"):
            run.make_context("run", ["tasks", "--out", "o", *wrong])
