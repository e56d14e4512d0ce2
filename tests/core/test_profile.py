"""Environment profiles: loading, the task's environment, and what the rules make of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from iacgrade.graders.context import Settings
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.profile import (
    ProfileError,
    configured_profile,
    environment,
    load_profile,
    parse_date,
    shipped_profiles,
)
from iacgrade.harness.pipeline.grade import GradeOptions, in_environment
from iacgrade.harness.platforms.registry import default_platform
from tests.rule_fixtures import rule_case


def test_shipped_profiles_load_and_name_their_sources() -> None:
    assert {"default", "archive"} <= set(shipped_profiles())
    for name in shipped_profiles():
        profile = load_profile(name)
        assert profile.name == name and profile.source and profile.terraform


def test_archive_terraform_follows_the_task_date() -> None:
    archive = load_profile("archive")
    # The pipeline rejected use_lockfile in October 2025 and accepted it from 3 November on.
    assert archive.terraform_version(dt.date(2025, 10, 21)) == "1.9.8"
    assert archive.terraform_version(dt.date(2025, 11, 3)) == "1.10.0"
    assert archive.terraform_version(dt.date(2026, 6, 1)) == "1.10.0"
    assert archive.remote_state_required is True


def test_environment_judges_at_start_date_then_as_of_then_today() -> None:
    default = load_profile("default")
    as_of = dt.date(2025, 1, 2)
    started = environment(default, {"startedAt": "2025-11-13T02:29:00+05:30"}, as_of)
    assert (started.judged_at, started.judged_from) == (dt.date(2025, 11, 13), "task")
    given = environment(default, {}, as_of)
    assert (given.judged_at, given.judged_from) == (as_of, "as-of")
    today = environment(default, {"startedAt": "unknown"})
    assert (today.judged_at, today.judged_from) == (dt.date.today(), "today")


def test_environment_sets_what_rules_read_and_what_the_app_sees() -> None:
    env = environment(load_profile("archive"), {"startedAt": "2025-10-03T17:32:21+05:30"})
    options = in_environment(GradeOptions(env={"ENVIRONMENT_SUFFIX": "pr7"}), env, default_platform())
    assert options.settings == Settings(
        terraform_version="1.9.8", remote_state_required=True, judged_at="2025-10-03"
    )
    assert options.env["AWS_REGION"] == "us-east-1"
    # The run's values win over the platform's defaults, which fill in the rest.
    assert options.env["ENVIRONMENT_SUFFIX"] == "pr7"
    assert options.env["TERRAFORM_STATE_BUCKET"] == default_platform().default_env()["TERRAFORM_STATE_BUCKET"]
    assert env.to_dict()["judged_at"] == "2025-10-03"


def test_configured_profile_is_read_from_the_task_or_its_dataset(tmp_path: Path) -> None:
    dataset, task = tmp_path / "set", tmp_path / "set" / "t1"
    task.mkdir(parents=True)
    assert configured_profile(task) is None
    (dataset / "iacgrade.toml").write_text('profile = "archive"\n')
    assert configured_profile(task).name == "archive"  # type: ignore[union-attr]
    own = task / "mine.toml"
    own.write_text('name = "mine"\nremote_state_required = true\n[terraform]\nversion = "1.5.7"\n')
    (task / "iacgrade.toml").write_text('profile = "mine.toml"\n')
    mine = configured_profile(task)
    assert mine is not None and mine.name == "mine" and mine.terraform_version(dt.date.today()) == "1.5.7"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('profile = "nope"\n', "no profile 'nope'"),
        ("profile = [\n", "cannot be read"),
    ],
)
def test_bad_configuration_says_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "iacgrade.toml").write_text(text)
    with pytest.raises(ProfileError, match=problem):
        configured_profile(tmp_path)


def test_bad_as_of_date_is_refused() -> None:
    with pytest.raises(ProfileError, match="not a date"):
        parse_date("5 Dec")


@pytest.mark.parametrize(("required", "severity"), [(True, "Critical"), (False, "High")])
def test_missing_backend_is_critical_only_where_remote_state_is_required(
    required: bool, severity: str
) -> None:
    ctx = rule_case("TF001", "fails").context()
    ctx.settings = Settings(remote_state_required=required)
    missing = [f for f in run_rules(ctx, only=["TF001"]).findings if f.anchor == "backend:missing"]
    assert [f.severity.value for f in missing] == [severity]


@pytest.mark.parametrize(("version", "flagged"), [("1.9.8", True), ("1.10.0", False), ("latest", False)])
def test_use_lockfile_is_flagged_only_before_terraform_1_10(version: str, flagged: bool) -> None:
    ctx = rule_case("TF002", "fails").context()
    ctx.settings = Settings(terraform_version=version)
    assert bool(run_rules(ctx, only=["TF002"]).findings) is flagged
