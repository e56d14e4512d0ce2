"""The command line as CI uses it: documents on stdout, gates' exit codes, quiet and plain logs,
usage errors. One real run of three fast tasks (HCL, CloudFormation, an invalid one; no synth
worker) is made once; every test then resumes it, which grades nothing again."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from iacgrade.harness.cli import EXIT_FAIL_ON, EXIT_FAIL_UNDER, EXIT_OK, EXIT_TASK, EXIT_USAGE, app
from tests.paths import REPO, TASKS

RUN_TASKS = [TASKS / "tf-hcl-logs-bucket", TASKS / "cfn-orders-queue", TASKS / "malformed-missing-model"]


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(run dir, cache dir) of one real run, made in a process of its own."""
    root = tmp_path_factory.mktemp("ci")
    out, cache = root / "run", root / "cache"
    command = [sys.executable, "-m", "iacgrade.harness.cli", "run", *map(str, RUN_TASKS)]
    command += ["--out", str(out), "--sandbox", "local", "--cache-dir", str(cache)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == EXIT_OK, done.stderr
    return out, cache


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def resume(made: tuple[Path, Path], *args: str, tasks: list[Path] = RUN_TASKS) -> Result:
    out, cache = made
    return invoke("run", *tasks, "--out", out, "--sandbox", "local", "--cache-dir", cache, *args)


def test_json_on_stdout_and_plain_lines_on_stderr(made_run: tuple[Path, Path]) -> None:
    result = resume(made_run, "--format", "json")
    assert result.exit_code == EXIT_OK, result.stderr
    doc = json.loads(result.stdout)
    assert [r["task_id"] for r in doc["results"]] == [t.name for t in RUN_TASKS]
    assert doc["summary"]["statuses"] == {"graded": 2, "invalid": 1}
    stored = json.loads((made_run[0] / "tf-hcl-logs-bucket" / "result.json").read_text())
    assert doc["results"][0] == stored
    # Off a terminal: one plain line per task, no bar.
    lines = result.stderr.splitlines()
    assert f"tf-hcl-logs-bucket graded {stored['score']['value']:g} reused" in lines
    assert "malformed-missing-model invalid - reused" in lines
    assert "━" not in result.stderr


def test_sarif_on_stdout_is_the_runs_sarif(made_run: tuple[Path, Path]) -> None:
    result = resume(made_run, "-f", "sarif")
    assert result.exit_code == EXIT_OK, result.stderr
    doc = json.loads(result.stdout)
    assert doc == json.loads((made_run[0] / "results.sarif").read_text())
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    assert doc["runs"][0]["results"], "both graded tasks have failures"


def test_junit_on_stdout_has_a_case_per_task(made_run: tuple[Path, Path]) -> None:
    result = resume(made_run, "--format", "JUNIT")
    assert result.exit_code == EXIT_OK, result.stderr
    root = ET.fromstring(result.stdout)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == [t.name for t in RUN_TASKS]
    invalid = cases["malformed-missing-model"].find("failure")
    assert invalid is not None and invalid.get("type") == "invalid"
    scores = {
        c.get("name"): p.get("value")
        for c in cases.values()
        for p in c.iter("property")
        if p.get("name") == "score"
    }
    assert set(scores) == {"tf-hcl-logs-bucket", "cfn-orders-queue"}


def test_text_leaves_stdout_empty_and_does_not_wrap(made_run: tuple[Path, Path]) -> None:
    result = resume(made_run)
    assert result.exit_code == EXIT_OK
    assert result.stdout == ""
    [summary] = [line for line in result.stderr.splitlines() if line.startswith("3 tasks:")]
    assert len(summary) > 80 and summary.endswith(" s"), summary


def test_quiet_keeps_only_the_summary(made_run: tuple[Path, Path]) -> None:
    for args in (("-q",), ()):
        out, cache = made_run
        global_q = ["-q"] if not args else []
        result = invoke(
            *global_q, "run", *RUN_TASKS, "--out", out, "--sandbox", "local", "--cache-dir", cache, *args
        )
        assert result.exit_code == EXIT_OK
        assert [line for line in result.stderr.splitlines() if line] == [result.stderr.splitlines()[0]]
        assert result.stderr.startswith("3 tasks: 2 graded, 1 invalid")


def test_verbose_logs_debug() -> None:
    assert invoke("-v", "rules", "SYN001").exit_code == EXIT_OK
    assert logging.getLogger().level == logging.DEBUG
    assert invoke("rules", "SYN001").exit_code == EXIT_OK
    assert logging.getLogger().level == logging.WARNING


def test_quiet_and_verbose_together_is_a_usage_error() -> None:
    result = invoke("-q", "-v", "rules")
    assert result.exit_code == EXIT_USAGE
    assert "--quiet" in result.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--fail-on", "high"], EXIT_FAIL_ON),
        (["--fail-on", "Critical", "--fail-under", "9"], EXIT_FAIL_ON),
        (["--fail-under", "9.5"], EXIT_FAIL_UNDER),
        (["--fail-under", "1"], EXIT_OK),
    ],
)
def test_gates_set_the_exit_code(made_run: tuple[Path, Path], args: list[str], code: int) -> None:
    result = resume(made_run, "--format", "json", *args)
    assert result.exit_code == code, result.stderr
    json.loads(result.stdout)  # the document is whole whatever the gate says
    if code != EXIT_OK:
        assert f"--{args[0].lstrip('-')}:" in result.stderr


def test_gates_pass_on_a_task_without_failures(made_run: tuple[Path, Path]) -> None:
    invalid_only = [TASKS / "malformed-missing-model"]
    assert resume(made_run, "--fail-on", "low", tasks=invalid_only).exit_code == EXIT_OK
    # Nothing graded: no mean score can pass a --fail-under.
    assert resume(made_run, "--fail-under", "0", tasks=invalid_only).exit_code == EXIT_FAIL_UNDER


def test_grade_writes_one_task_document(made_run: tuple[Path, Path], tmp_path: Path) -> None:
    _, cache = made_run
    task = TASKS / "tf-hcl-logs-bucket"
    args = ["--out", tmp_path, "--sandbox", "local", "--cache-dir", cache, "-f", "sarif", "--fail-on", "High"]
    result = invoke("grade", task, *args)
    assert result.exit_code == EXIT_FAIL_ON, result.stderr
    doc = json.loads(result.stdout)
    assert doc["runs"][0]["properties"]["task_id"] == "tf-hcl-logs-bucket"
    assert doc == json.loads((tmp_path / "result.sarif").read_text())
    invalid = invoke("grade", TASKS / "malformed-missing-model", "--out", tmp_path / "bad", "-f", "junit")
    assert invalid.exit_code == EXIT_TASK
    failure = ET.fromstring(invalid.stdout).find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "invalid"


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (["run", "x", "--out", "o", "--sandbox", "bogus"], ["auto", "local", "docker"]),
        (["grade", "x", "--out", "o", "--sandbox", "bogus"], ["auto", "local", "docker"]),
        (["run", "x", "--out", "o", "--executor", "bogus"], ["local", "ray"]),
        (["run", "x", "--out", "o", "--format", "xml"], ["text", "json", "sarif", "junit"]),
        (["grade", "x", "--out", "o", "--fail-on", "severe"], ["Critical", "High", "Medium", "Low"]),
        (["rules", "--format", "yaml"], ["text", "json"]),
    ],
)
def test_a_bad_choice_exits_2_listing_the_choices(args: list[str], choices: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Traceback" not in result.output
    for choice in choices:
        assert repr(choice.lower()) in result.stderr.lower()


def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    task = TASKS / "tf-hcl-logs-bucket"
    (tmp_path / "bad.toml").write_text("base = [\n")
    (tmp_path / "file").write_text("")
    cases = [
        ["run", task, "--out", tmp_path / "o", "--as-of", "2024-13-45"],
        ["run", task, "--out", tmp_path / "o", "--rubric", tmp_path / "bad.toml"],
        ["run", task, "--out", tmp_path / "file"],
        ["grade", task, "--out", tmp_path / "file"],
        ["run", task, "--out", tmp_path / "o", "--timeout", "0"],
        ["run", task, "--out", tmp_path / "o", "--fail-under", "-1"],
        ["run", tmp_path / "nope", "--out", tmp_path / "o"],
        ["rules", "NOPE001"],
        ["nope"],
        ["dashboard", tmp_path, "--output", tmp_path],
        ["calibrate", tmp_path, tmp_path, "--keywords", tmp_path / "bad.toml"],
    ]
    for args in cases:
        result = invoke(*args)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert not (tmp_path / "o").exists()


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == EXIT_OK
    assert result.stdout == f"iacgrade {version('iacgrade')}\n"


def test_rules_json_on_stdout() -> None:
    result = invoke("rules", "--format", "json")
    assert result.exit_code == EXIT_OK
    assert {"AWS001", "SYN001"} <= {r["id"] for r in json.loads(result.stdout)}
    one = json.loads(invoke("rules", "syn001", "-f", "json").stdout)
    assert [r["id"] for r in one] == ["SYN001"]
