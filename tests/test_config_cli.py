"""The command line with a configuration file: the file fills in what the command line leaves
unset, the command line wins, and a bad file or pattern is a usage error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iacgrade.harness.cli import EXIT_OK, EXIT_USAGE, app
from tests.paths import TASKS

HCL_TASK = TASKS / "tf-hcl-logs-bucket"


def _grade(tmp_path: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    out = tmp_path / "out"
    args = [
        "grade",
        str(HCL_TASK),
        "--out",
        str(out),
        "--sandbox",
        "local",
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    run = CliRunner().invoke(app, [*args, *extra])
    result = json.loads((out / "result.json").read_text()) if (out / "result.json").is_file() else {}
    return run.exit_code, run.output, result


def _skipped(result: dict[str, Any]) -> dict[str, str]:
    model = result["model"]
    assert isinstance(model, dict)
    return {o["rule_id"]: o["detail"] for o in model["outcomes"] if o["outcome"] == "SKIP"}


def test_the_file_sets_the_selection_and_the_command_line_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.iacgrade]\nignore = ["HCL005"]\ntimeout = 60\nprofile = "archive"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, _, result = _grade(tmp_path)
    assert code == EXIT_OK
    assert result["selection"] == {"select": [], "ignore": ["HCL005"]}
    assert _skipped(result)["HCL005"] == "deselected by ignore 'HCL005'"
    assert result["environment"]["profile"] == "archive"
    code, _, result = _grade(tmp_path, "--ignore", "hcl006,HCL007", "--profile", "default")
    assert code == EXIT_OK
    assert result["selection"] == {"select": [], "ignore": ["HCL006", "HCL007"]}
    assert "HCL005" not in _skipped(result) and "HCL007" in _skipped(result)
    assert result["environment"]["profile"] == "default"


@pytest.mark.parametrize(
    ("text", "args", "said"),
    [
        ("[tool.iacgrade]\nsandbox = 'local'\nretries = 2\n", (), "unknown key 'retries'"),
        ("[tool.iacgrade]\nignore = ['NOPE']\n", (), "no rule matches NOPE"),
        ("[project]\nname = 'x'\n", ("--select", "AWS,XYZ9"), "no rule matches XYZ9"),
    ],
)
def test_a_bad_setting_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, args: tuple[str, ...], said: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    code, output, result = _grade(tmp_path, *args)
    assert code == EXIT_USAGE and not result
    assert said in " ".join(output.split())


def test_resuming_a_run_under_another_selection_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", str(HCL_TASK), "--out", str(tmp_path / "run"), "--sandbox", "local"]
    args += ["--cache-dir", str(tmp_path / "c")]
    first = CliRunner().invoke(app, [*args, "--ignore", "HCL005"])
    assert first.exit_code == EXIT_OK and "another --select/--ignore" not in first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == EXIT_OK
    assert "1 result in" in again.output and "another --select/--ignore" in " ".join(again.output.split())
