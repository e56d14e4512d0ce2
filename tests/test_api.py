"""The Python API (`import iacgrade`): grade, run, rules and the result types, on the in-process
example tasks (Terraform HCL and CloudFormation: no synth worker starts)."""

from __future__ import annotations

import csv
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import iacgrade
from iacgrade.harness.cli import app
from iacgrade.harness.core.extras import missing_extra
from tests.paths import REPO, TASKS

HCL_TASK = TASKS / "tf-hcl-logs-bucket"
CFN_TASK = TASKS / "cfn-orders-queue"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One result cache for the module: later gradings of the same answers reuse the first's."""
    return tmp_path_factory.mktemp("cache")


def test_importing_a_submodule_does_not_load_the_pipeline() -> None:
    # The sandbox worker and the rules import iacgrade.* submodules: the API must stay unloaded.
    probe = (
        "import sys, iacgrade, iacgrade.harness.core.results\n"
        "assert 'iacgrade.api' not in sys.modules, 'api loaded'\n"
        "assert 'iacgrade.harness.pipeline.grade' not in sys.modules, 'pipeline loaded'\n"
        "iacgrade.grade\n"
        "assert 'iacgrade.api' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_every_public_name_resolves_and_the_version_is_the_distributions() -> None:
    for name in iacgrade.__all__:
        assert getattr(iacgrade, name) is not None, name
    assert set(iacgrade.__all__) <= set(dir(iacgrade))
    assert iacgrade.__version__ == importlib.metadata.version("iacgrade")
    assert iacgrade.Severity.CRITICAL.value == "Critical"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = iacgrade.nope  # type: ignore[attr-defined]


def test_grade_an_hcl_task_in_process(tmp_path: Path, cache_dir: Path) -> None:
    out = tmp_path / "out"
    result = iacgrade.grade(HCL_TASK, sandbox="local", out=out, cache_dir=cache_dir)
    assert isinstance(result, iacgrade.TaskResult)
    assert result.status is iacgrade.TaskStatus.GRADED, result.reason
    assert result.task_id == HCL_TASK.name
    assert result.score is not None and 0 <= result.score.value <= 10
    # The answer leaves its logs bucket's data unencrypted by its own key: findings, with severities.
    assert result.failures and all(isinstance(f.severity, iacgrade.Severity) for f in result.failures)
    assert {"analysis.md", "result.json"} <= {p.name for p in out.iterdir()}
    again = iacgrade.TaskResult.model_validate_json((out / "result.json").read_text())
    assert again.score == result.score


def test_grade_matches_the_command_line(tmp_path: Path, cache_dir: Path) -> None:
    by_api = iacgrade.grade(CFN_TASK, sandbox="local", cache_dir=cache_dir)
    cli_out = tmp_path / "cli"
    done = CliRunner().invoke(
        app,
        ["grade", str(CFN_TASK), "--out", str(cli_out), "--sandbox", "local", "--cache-dir", str(cache_dir)],
    )
    assert done.exit_code == 0, done.output
    by_cli = iacgrade.TaskResult.model_validate_json((cli_out / "result.json").read_text())
    assert by_api.status is iacgrade.TaskStatus.GRADED, by_api.reason
    assert by_api.score == by_cli.score
    assert [f.rule_id for f in by_api.failures] == [f.rule_id for f in by_cli.failures]


def test_grade_reuses_an_open_sandbox_and_leaves_it_open(cache_dir: Path) -> None:
    with iacgrade.make_sandbox("local") as box:
        first = iacgrade.grade(HCL_TASK, sandbox=box, cache_dir=cache_dir)
        second = iacgrade.grade(CFN_TASK, sandbox=box, cache_dir=cache_dir)
        # Still usable after both calls: the caller's `with` closes it, not `grade`.
        assert box.describe()
    assert (first.status, second.status) == (iacgrade.TaskStatus.GRADED, iacgrade.TaskStatus.GRADED)
    assert first.task_id == HCL_TASK.name and second.task_id == CFN_TASK.name


def test_run_a_folder_then_load_it_into_pandas(tmp_path: Path, cache_dir: Path) -> None:
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    for task in (HCL_TASK, CFN_TASK):
        (tasks / task.name).symlink_to(task)
    out = tmp_path / "run"
    heard: list[tuple[str, bool]] = []
    summary = iacgrade.run(
        tasks,
        out,
        sandbox="local",
        cache_dir=cache_dir,
        on_done=lambda r, reused: heard.append((r.task_id, reused)),
    )
    assert isinstance(summary, iacgrade.RunSummary)
    assert (summary.total, summary.graded_now, summary.skipped) == (2, 2, 0)
    assert sorted(heard) == [(CFN_TASK.name, False), (HCL_TASK.name, False)]
    frame = pd.read_csv(out / "results.csv")
    assert sorted(frame["task_id"]) == sorted([HCL_TASK.name, CFN_TASK.name])
    loaded = iacgrade.load_run(out)
    assert [r.task_id for r in loaded] == sorted(r.task_id for r in summary.results)
    # A second run into the same folder resumes: nothing is graded again.
    resumed = iacgrade.run([tasks], out, sandbox="local", cache_dir=cache_dir)
    assert (resumed.graded_now, resumed.skipped) == (0, 2)
    with (out / "results.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 2


def test_select_and_ignore_skip_rules_as_the_command_line_does(cache_dir: Path) -> None:
    only_hcl = iacgrade.grade(
        HCL_TASK, sandbox="local", cache_dir=cache_dir, select=["HCL"], ignore=["HCL006"]
    )
    assert [f.rule_id for f in only_hcl.failures] == ["HCL005", "HCL007"]
    skipped = {o.rule_id: o.outcome for o in only_hcl.model.outcomes if o.rule_id in ("HCL006", "AWS001")}
    assert set(skipped.values()) == {iacgrade.Outcome.SKIP}


def test_rules_lists_every_registered_rule() -> None:
    found = iacgrade.rules()
    ids = [m.id for m in found]
    assert len(ids) == len(set(ids)) > 50
    assert all(isinstance(m, iacgrade.RuleMeta) for m in found)
    syn = next(m for m in found if m.id == "SYN001")
    assert syn.severity in iacgrade.Severity and syn.explanation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: iacgrade.grade(TASKS / "no-such-task", sandbox="local"), "no such task directory"),
        (lambda: iacgrade.grade(HCL_TASK, sandbox="bogus"), "unknown sandbox 'bogus'"),
        (lambda: iacgrade.grade(HCL_TASK, sandbox="local", profile="no-such-profile"), "no-such-profile"),
        (lambda: iacgrade.grade(HCL_TASK, sandbox="local", rubric="missing.toml"), "rubric not found"),
        (lambda: iacgrade.run([HCL_TASK], "unused", executor="dask"), "unknown executor"),
        (lambda: iacgrade.run([HCL_TASK], "unused", address="auto"), "address needs executor='ray'"),
        (lambda: iacgrade.load_run(TASKS / "no-such-run"), "no such run directory"),
    ],
)
def test_bad_arguments_raise_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_a_missing_extra_names_its_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert missing_extra("ray", "ray") is None  # development installs carry the extras
    assert missing_extra("iacgrade_no_such_module", "x") == (
        "iacgrade_no_such_module is not installed: pip install 'iacgrade[x]'"
    )
    # As if ray were not installed: `--executor ray` is then a usage error naming the extra.
    monkeypatch.setitem(sys.modules, "ray", None)
    done = CliRunner().invoke(
        app, ["run", str(HCL_TASK), "--out", str(tmp_path / "run"), "--executor", "ray", "--sandbox", "local"]
    )
    assert done.exit_code == 2, done.output
    assert "pip install 'iacgrade[ray]'" in done.output
    assert not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match=r"iacgrade\[ray\]"):
        iacgrade.run([HCL_TASK], tmp_path / "run", sandbox="local", executor="ray")
