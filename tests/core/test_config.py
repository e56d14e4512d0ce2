"""The configuration file: where it is found, what it may hold, and how it ranks against the
command line and the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacgrade.harness.core.config import (
    Config,
    ConfigError,
    RunSettings,
    find_config,
    load_config,
    read_config,
)


def test_the_file_is_found_from_the_start_folder_upward(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) is None
    # A pyproject.toml without the table is not a configuration: the search goes on above it.
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(deep) is None
    (tmp_path / "pyproject.toml").write_text("[tool.iacgrade]\njobs = 3\n")
    assert find_config(deep) == tmp_path / "pyproject.toml"
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.iacgrade]\njobs = 2\n")
    assert find_config(deep) == tmp_path / "a" / "pyproject.toml"
    # In one folder, an iacgrade.toml wins over a pyproject.toml.
    (tmp_path / "a" / "iacgrade.toml").write_text("jobs = 4\n")
    assert find_config(deep) == tmp_path / "a" / "iacgrade.toml"
    assert load_config(deep).settings({}, set()).jobs == 4


def test_command_line_beats_file_beats_defaults(tmp_path: Path) -> None:
    (tmp_path / "iacgrade.toml").write_text(
        'sandbox = "local"\ntimeout = 30\nignore = ["sec", "AWS009"]\nselect = "AWS"\n'
    )
    config = load_config(tmp_path)
    cli = {"sandbox": "docker", "timeout": 120.0, "ignore": ["TF001,tf002"], "select": None, "jobs": 1}
    # Only what the command line was given counts from it; the rest comes from the file.
    chosen = config.settings(cli, given={"sandbox", "ignore"})
    assert chosen == RunSettings(sandbox="docker", timeout=30.0, ignore=("TF001", "TF002"), select=("AWS",))
    assert config.settings(cli, given=set()).ignore == ("SEC", "AWS009")
    assert Config().settings(cli, given=set()) == RunSettings()


def test_paths_in_the_file_are_read_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "mine"\n')
    (tmp_path / "iacgrade.toml").write_text('rubric = "rubric.toml"\nprofile = "mine.toml"\n')
    values = read_config(tmp_path / "iacgrade.toml").values or {}
    assert values["rubric"] == tmp_path / "rubric.toml"
    assert values["profile"] == str(tmp_path / "mine.toml")
    (tmp_path / "iacgrade.toml").write_text('profile = "archive"\n')
    assert (read_config(tmp_path / "iacgrade.toml").values or {})["profile"] == "archive"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("jobz = 2\n", "unknown key 'jobz'"),
        ("jobs = 0\n", "'jobs' must be a whole number"),
        ('sandbox = "vm"\n', "'sandbox' must be 'auto' or 'docker' or 'local'"),
        ("select = [1]\n", "'select' must be a list of rule ids"),
        ("timeout = [\n", "cannot be read"),
    ],
)
def test_a_bad_file_names_itself_and_the_key(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "iacgrade.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem) as caught:
        load_config(tmp_path)
    assert str(path) in str(caught.value)


def test_a_pyproject_table_is_named_in_its_errors(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.iacgrade]\nexecuter = 'ray'\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.iacgrade\]: unknown key 'executer'"):
        load_config(tmp_path)
