"""Keeping the result cache in bounds: `cache info` numbers, pruning least recently used first,
and a pruned entry read as a miss."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgrade.harness.cli import app
from iacgrade.harness.core.results import TaskStatus, without_run_facts
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.pipeline import grade as grade_module
from iacgrade.harness.pipeline.cache import CACHE_FORMAT, ResultCache
from iacgrade.harness.pipeline.cache_admin import (
    DEFAULT_MAX_SIZE,
    MAX_SIZE_ENV,
    STALE_TEMP_SECONDS,
    auto_prune,
    cache_info,
    max_size_setting,
    parse_size,
    prune,
)
from iacgrade.harness.pipeline.cached import StoredSynth, run_rules_cached
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from tests.paths import REPO
from tests.pipeline.test_cache import Counted, context

HOUR = 3600.0
# Before the tests run, so an entry read now is newer than every one written here.
NOW = time.time() - 1000 * HOUR


def fill(root: Path, keys: list[str], kind: str = "synth") -> dict[str, Path]:
    """One entry per key, each used an hour after the one before it (the first is the oldest)."""
    cache = ResultCache(root)
    paths: dict[str, Path] = {}
    for i, key in enumerate(keys):
        if kind == "synth":
            cache.put_synth(key, SynthResult(status=SynthStatus.OK, stacks={"s": {"n": key * 50}}))
        else:
            cache.put_rules(key, {"R": {"version": 1, "findings": [key * 50]}})
        path = cache._path(kind, key)
        stamp = NOW - (len(keys) - i) * HOUR
        os.utime(path, (stamp, stamp))
        paths[key] = path
    return paths


def test_info_counts_files_bytes_kinds_and_the_oldest_and_newest_use(tmp_path: Path) -> None:
    synth = fill(tmp_path, ["aa01", "bb02", "cc03"])
    rules = fill(tmp_path, ["dd04", "ee05"], kind="rules")
    old = tmp_path / "v1" / "rules" / "ff" / "ff06.json"
    old.parent.mkdir(parents=True)
    old.write_text("{}", encoding="utf-8")
    os.utime(old, (NOW - 100 * HOUR, NOW - 100 * HOUR))
    info = cache_info(tmp_path)
    sizes = {k: p.stat().st_size for k, p in {**synth, **rules}.items()}
    assert info.root == tmp_path
    assert info.files == 6
    assert info.size == sum(sizes.values()) + 2
    assert info.by_kind == {
        "synth": (3, sum(sizes[k] for k in synth)),
        "rules": (2, sum(sizes[k] for k in rules)),
        "v1/rules": (1, 2),
    }
    assert info.oldest == pytest.approx(NOW - 100 * HOUR)
    assert info.newest == pytest.approx(NOW - HOUR)


def test_prune_to_a_cap_removes_the_least_recently_used_first(tmp_path: Path) -> None:
    paths = fill(tmp_path, ["aa01", "bb02", "cc03", "dd04"])
    # Reading the oldest entry makes it the most recently used.
    assert ResultCache(tmp_path).get_synth("aa01") is not None
    size = paths["aa01"].stat().st_size
    report = prune(tmp_path, max_size=2 * size)
    assert report.removed == 2
    assert sorted(p.name for p in tmp_path.rglob("*.json")) == ["aa01.json", "dd04.json"]
    assert report.size == 2 * size


def test_entries_of_another_format_go_before_this_formats(tmp_path: Path) -> None:
    paths = fill(tmp_path, ["aa01", "bb02"])
    old = tmp_path / f"v{CACHE_FORMAT - 1}" / "synth" / "cc" / "cc03.json"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x" * 10)  # newer than both, but never read by this version
    prune(tmp_path, max_size=sum(p.stat().st_size for p in paths.values()))
    assert not old.exists()
    assert all(p.exists() for p in paths.values())


def test_older_than_removes_unused_entries_and_stale_temp_files_only(tmp_path: Path) -> None:
    paths = fill(tmp_path, ["aa01", "bb02", "cc03"])  # used 3, 2 and 1 hours before NOW
    folder = paths["aa01"].parent
    fresh, stale = folder / ".x.json.1.tmp", folder / ".x.json.2.tmp"
    for temp, age in ((fresh, 60.0), (stale, STALE_TEMP_SECONDS + 60)):
        temp.write_text("{", encoding="utf-8")
        os.utime(temp, (NOW - age, NOW - age))
    report = prune(tmp_path, older_than_days=2.5 / 24, now=NOW)
    assert report.removed == 2
    assert not paths["aa01"].exists() and not stale.exists()
    # A write under way is never removed, not even to reach a cap of nothing.
    prune(tmp_path, max_size=0, now=NOW)
    assert fresh.exists() and not paths["bb02"].exists() and not paths["cc03"].exists()


def test_a_pruned_entry_is_a_miss_and_is_computed_again(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    rule = Counted("TST903")
    first = run_rules_cached(context(), cache, {"TST903": rule.rule})
    run_rules_cached(context(), cache, {"TST903": rule.rule})
    assert rule.runs == 1
    fill(tmp_path, ["aa01"])
    prune(tmp_path, max_size=0)
    assert not list(tmp_path.rglob("*.json"))
    assert cache.get_synth("aa01") is None
    again = run_rules_cached(context(), cache, {"TST903": rule.rule})
    assert rule.runs == 2 and again.findings == first.findings
    assert len(list(tmp_path.rglob("*.json"))) == 1  # stored again


def test_sizes_parse_in_powers_of_1024() -> None:
    assert parse_size("2G") == parse_size("2GB") == parse_size("2 GiB") == 2 * 1024**3
    assert parse_size("500m") == 500 * 1024**2
    assert parse_size("1.5K") == 1536
    assert parse_size("123") == 123
    with pytest.raises(ValueError):
        parse_size("lots")


def test_the_cap_a_run_keeps_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(MAX_SIZE_ENV, raising=False)
    assert max_size_setting() == DEFAULT_MAX_SIZE
    monkeypatch.setenv(MAX_SIZE_ENV, "none")
    assert max_size_setting() is None
    assert auto_prune(tmp_path) is None
    monkeypatch.setenv(MAX_SIZE_ENV, "nonsense")
    assert max_size_setting() == DEFAULT_MAX_SIZE
    paths = fill(tmp_path, ["aa01", "bb02"])
    monkeypatch.setenv(MAX_SIZE_ENV, str(paths["bb02"].stat().st_size))
    report = auto_prune(tmp_path)
    assert report is not None and report.removed == 1
    assert not paths["aa01"].exists() and paths["bb02"].exists()


def test_cache_commands(tmp_path: Path) -> None:
    fill(tmp_path, ["aa01", "bb02"])
    runner = CliRunner()
    info = runner.invoke(app, ["cache", "info", "--cache-dir", str(tmp_path)])
    assert info.exit_code == 0, info.output
    assert f"root:    {tmp_path}" in info.output and "in 2 files" in info.output
    assert "synth" in info.output and "oldest:  20" in info.output
    bad = runner.invoke(app, ["cache", "prune", "--max-size", "lots", "--cache-dir", str(tmp_path)])
    assert bad.exit_code == 2
    pruned = runner.invoke(app, ["cache", "prune", "--max-size", "0", "--cache-dir", str(tmp_path)])
    assert pruned.exit_code == 0, pruned.output
    assert "removed 2 entries" in pruned.output
    assert not list(tmp_path.rglob("*.json"))


@pytest.mark.parametrize("task", ["tf-hcl-logs-bucket", "cfn-orders-queue"])
def test_an_answer_built_in_process_is_built_once_and_regraded_the_same(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HCL parsed and validated, a template linted: stored like a worker's synth, and a cached
    answer starts no checkov scan ahead of rules that will not run."""
    scans: list[str] = []
    monkeypatch.setattr(grade_module, "scan_files_ahead", lambda files, framework: scans.append(framework))
    options = GradeOptions(cache=ResultCache(tmp_path / "cache"))
    nowhere = StoredSynth(None, [])  # any request that reaches a sandbox fails the grading
    first = grade_path(REPO / "tasks" / task, nowhere, options)
    assert first.status is TaskStatus.GRADED and first.model is not None and first.model.synth is not None
    assert first.model.synth.worker.startswith("in-process") or not first.model.synth.worker
    started = len(scans)
    assert started >= 1
    again = grade_path(REPO / "tasks" / task, nowhere, options)
    assert again.model is not None and again.model.synth is not None
    assert again.model.synth.worker.startswith("cache:")
    assert len(scans) == started
    same = [without_run_facts(json.loads(r.model_dump_json())) for r in (first, again)]
    assert same[0] == same[1]
