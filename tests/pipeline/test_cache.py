"""The result cache: what its keys depend on, damaged entries, reuse per rule, runs that skip synthesis."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, Rule, RuleMeta
from iacgrade.harness.batch.executor import ThreadExecutor
from iacgrade.harness.batch.plan import load_finished
from iacgrade.harness.batch.runner import run_batch
from iacgrade.harness.core.findings import Category, Outcome, Severity
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.pipeline.cache import CACHE_FORMAT, ResultCache, answer_key, synth_key
from iacgrade.harness.pipeline.cached import NOT_STORED, CachedSandbox, StoredSynth, run_rules_cached
from iacgrade.harness.pipeline.grade import GradeOptions
from iacgrade.harness.sandbox.base import Sandbox, SynthRequest
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.writers import TIMING_COLUMNS, results_row
from tests.paths import REPO

ROOT = REPO
CLEAN_TASK = ROOT / "tasks" / "clean-s3-static-site"

REQUEST = SynthRequest(id="t:model", files={"main.py": "print(1)\n", "lib/a.py": "x = 1\n"}, entry="main.py")


def workspace(text: str = "x = 1\n") -> Workspace:
    return Workspace(
        task_id="t",
        side="model",
        files={"lib/a.py": text},
        origins={"lib/a.py": "answer:heading"},
        entry="lib/a.py",
        entry_source="answer",
        stack_module=None,
        stack_class=None,
        has_code=True,
    )


def context(text: str = "x = 1\n") -> GradeContext:
    return GradeContext(workspace(text), SynthResult(status=SynthStatus.OK))


class Counted:
    """A test double rule: counts its runs, and flags every file (or raises, when told to)."""

    def __init__(self, rule_id: str, version: int = 1, raises: bool = False) -> None:
        self.runs = 0
        self.raises = raises
        self.rule = Rule(
            meta=RuleMeta(
                id=rule_id,
                name=f"test-{rule_id.lower()}",
                title=f"Test rule {rule_id}",
                severity=Severity.LOW,
                category=Category.PYTHON_PRACTICE,
                rationale="a test double",
                docs=(),
                impact=(),
                fix_minutes=1,
                version=version,
                explanation="",
                needs="source",
            ),
            check=self.check,
        )

    def check(self, ctx: GradeContext) -> Iterator[Hit]:
        self.runs += 1
        if self.raises:
            raise RuntimeError("boom")
        for path in ctx.source:
            yield Hit(message=f"seen {path}", anchor=f"file:{path}")

    def bumped(self) -> Counted:
        return Counted(self.rule.meta.id, self.rule.meta.version + 1)


# ---- keys


def test_synth_key_changes_with_a_file_the_toolchain_and_the_time_limit() -> None:
    base = synth_key(REQUEST, "local:a")
    reordered = dataclasses.replace(REQUEST, files=dict(reversed(list(REQUEST.files.items()))))
    assert synth_key(reordered, "local:a") == base
    assert (
        synth_key(dataclasses.replace(REQUEST, files={**REQUEST.files, "lib/a.py": "x = 2\n"}), "local:a")
        != base
    )
    assert synth_key(dataclasses.replace(REQUEST, files={**REQUEST.files, "lib/b.py": ""}), "local:a") != base
    assert synth_key(REQUEST, "local:b") != base
    assert synth_key(REQUEST, "docker:iacgrade-sandbox:x") != base
    assert synth_key(dataclasses.replace(REQUEST, timeout=5.0), "local:a") != base
    assert synth_key(dataclasses.replace(REQUEST, env={"ENVIRONMENT_SUFFIX": "pr1"}), "local:a") != base


def test_answer_key_changes_with_the_source_and_the_synth_output() -> None:
    base = answer_key(context())
    assert answer_key(context()) == base
    assert answer_key(context("x = 2\n")) != base
    failed = GradeContext(workspace(), SynthResult(status=SynthStatus.ERROR, error_type="TypeError"))
    assert answer_key(failed) != base
    # How long the synth took, or where, does not change what the rules see.
    timed = GradeContext(workspace(), SynthResult(status=SynthStatus.OK, seconds=3.0, worker="local:1"))
    assert answer_key(timed) == base


# ---- the store


def test_a_corrupt_or_foreign_entry_is_ignored_and_recomputed(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = synth_key(REQUEST, "local:a")
    cache.put_synth(key, SynthResult(status=SynthStatus.OK, stacks={"s": {"resource": {}}}))
    path = next((tmp_path / f"v{CACHE_FORMAT}" / "synth").rglob("*.json"))
    path.write_text('{"status": "ok", "stacks": {"s": ', encoding="utf-8")  # torn
    assert cache.get_synth(key) is None
    path.write_text('{"status": "no such status"}', encoding="utf-8")
    assert cache.get_synth(key) is None
    cache.put_synth(key, SynthResult(status=SynthStatus.ERROR, error_type="TypeError"))
    stored = cache.get_synth(key)
    assert stored is not None and stored.error_type == "TypeError"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_only_outcomes_of_the_answer_itself_are_stored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    for status in (SynthStatus.TIMEOUT, SynthStatus.CRASHED, SynthStatus.INFRA_ERROR):
        cache.put_synth(status.value, SynthResult(status=status))
        assert cache.get_synth(status.value) is None


# ---- rules


def test_only_the_rule_whose_version_changed_runs_again(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    one, two = Counted("TST901"), Counted("TST902")
    first = run_rules_cached(context(), cache, {"TST901": one.rule, "TST902": two.rule})
    assert (one.runs, two.runs) == (1, 1)
    again = run_rules_cached(context(), cache, {"TST901": one.rule, "TST902": two.rule})
    assert (one.runs, two.runs) == (1, 1)
    assert again.findings == first.findings and again.outcomes == first.outcomes
    two_v2 = two.bumped()
    third = run_rules_cached(context(), cache, {"TST901": one.rule, "TST902": two_v2.rule})
    assert (one.runs, two.runs, two_v2.runs) == (1, 1, 1)
    assert [o.outcome for o in third.outcomes] == [Outcome.FAIL, Outcome.FAIL]
    # A changed answer is a new key: every rule runs on it.
    run_rules_cached(context("y = 1\n"), cache, {"TST901": one.rule, "TST902": two_v2.rule})
    assert (one.runs, two_v2.runs) == (2, 2)


def test_a_rule_that_raised_is_run_again_next_time(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    broken = Counted("TST903", raises=True)
    for _ in range(2):
        run = run_rules_cached(context(), cache, {"TST903": broken.rule})
        assert [o.outcome for o in run.outcomes] == [Outcome.ERROR]
    assert broken.runs == 2


def test_a_damaged_rules_entry_runs_the_rules(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    counted = Counted("TST904")
    run_rules_cached(context(), cache, {"TST904": counted.rule})
    entry = next((tmp_path / f"v{CACHE_FORMAT}" / "rules").rglob("*.json"))
    data = json.loads(entry.read_text())
    data["rules"]["TST904"]["findings"] = [{"not": "a finding"}]
    entry.write_text(json.dumps(data))
    run_rules_cached(context(), cache, {"TST904": counted.rule})
    entry.write_text("garbage")
    run_rules_cached(context(), cache, {"TST904": counted.rule})
    assert counted.runs == 3


# ---- sandboxes


class FakeSandbox(Sandbox):
    name = "local"

    def __init__(self, status: SynthStatus = SynthStatus.OK) -> None:
        self.calls = 0
        self.status = status

    def synth(self, request: SynthRequest) -> SynthResult:
        self.calls += 1
        return SynthResult(status=self.status, worker="local:42")


def test_cached_sandbox_synthesizes_once(tmp_path: Path) -> None:
    inner = FakeSandbox()
    box = CachedSandbox(inner, ResultCache(tmp_path), toolchain="local:test")
    assert box.synth(REQUEST).worker == "local:42"
    second = box.synth(REQUEST)
    assert inner.calls == 1 and second.worker == "cache:local:42" and second.ok
    flaky = FakeSandbox(SynthStatus.TIMEOUT)
    box = CachedSandbox(flaky, ResultCache(tmp_path), toolchain="local:test")
    box.synth(dataclasses.replace(REQUEST, id="t:ideal", entry="other.py"))
    box.synth(dataclasses.replace(REQUEST, id="t:ideal", entry="other.py"))
    assert flaky.calls == 2


def test_stored_synth_says_clearly_what_it_does_not_have(tmp_path: Path) -> None:
    box = StoredSynth(ResultCache(tmp_path), ["local:test"])
    result = box.synth(REQUEST)
    assert result.status is SynthStatus.INFRA_ERROR and result.error_type == NOT_STORED
    assert "--regrade" in result.message and REQUEST.id in result.message


# ---- end to end: a real synthesis, then runs that never start a worker


@pytest.mark.synth
def test_a_second_run_with_a_new_out_dir_does_not_synthesize(
    local_sandbox: LocalSandbox, tmp_path: Path
) -> None:
    cache = ResultCache(tmp_path / "cache")
    options = GradeOptions(cache=cache)
    first = run_batch(
        [CLEAN_TASK], tmp_path / "run1", ThreadExecutor(CachedSandbox(local_sandbox, cache), options)
    )
    assert first.results[0].status is TaskStatus.GRADED

    fresh = LocalSandbox(slots=1)
    try:
        second = run_batch(
            [CLEAN_TASK], tmp_path / "run2", ThreadExecutor(CachedSandbox(fresh, cache), options)
        )
        assert fresh.stats().started == 0
    finally:
        fresh.close()
    a, b = first.results[0], second.results[0]
    assert b.model is not None and b.model.synth is not None
    assert b.model.synth.worker.startswith("cache:")
    assert b.score == a.score and b.failures == a.failures
    untimed = {*TIMING_COLUMNS.values(), "seconds"}
    assert [{k: v for k, v in results_row(r).items() if k not in untimed} for r in (a, b)] == [
        {k: v for k, v in results_row(a).items() if k not in untimed}
    ] * 2

    # The command line: a warm cache grades without a worker, and --regrade without a cache
    # works from the synth output stored in the run directory.
    cli = [sys.executable, "-m", "iacgrade.harness.cli", "run", "--sandbox", "local"]
    warm = subprocess.run(
        [*cli, str(CLEAN_TASK), "--out", str(tmp_path / "run3"), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert warm.returncode == 0, warm.stderr
    stored = TaskResult.model_validate_json((tmp_path / "run3" / CLEAN_TASK.name / "result.json").read_text())
    assert stored.model is not None and stored.model.synth is not None
    assert stored.model.synth.worker.startswith("cache:")

    # `grade` (one task) reuses the same cache.
    one = subprocess.run(
        [
            sys.executable,
            "-m",
            "iacgrade.harness.cli",
            "grade",
            str(CLEAN_TASK),
            "--out",
            str(tmp_path / "one"),
            "--sandbox",
            "local",
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert one.returncode == 0, one.stderr
    graded = TaskResult.model_validate_json((tmp_path / "one" / "result.json").read_text())
    assert graded.model is not None and graded.model.synth is not None
    assert graded.model.synth.worker.startswith("cache:") and graded.failures == a.failures

    # A result graded by other rule versions is kept on resume, and regraded with --regrade only.
    result_path = tmp_path / "run2" / CLEAN_TASK.name / "result.json"
    old = b.model_copy(update={"versions": {"rules": "SYN001@0"}})
    result_path.write_text(old.model_dump_json())
    assert load_finished(tmp_path / "run2", CLEAN_TASK.name) is not None
    assert load_finished(tmp_path / "run2", CLEAN_TASK.name, rules="SYN001@1") is None
    regrade = subprocess.run(
        [*cli, str(CLEAN_TASK), "--out", str(tmp_path / "run2"), "--regrade", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert regrade.returncode == 0, regrade.stderr
    assert "1 graded now" in regrade.stderr
    regraded = TaskResult.model_validate_json(result_path.read_text())
    assert regraded.versions["rules"] != "SYN001@0" and regraded.failures == a.failures

    # A task with nothing stored anywhere is reported, not synthesized.
    copy = tmp_path / "tasks" / "never-graded"
    shutil.copytree(CLEAN_TASK, copy)
    missing = subprocess.run(
        [*cli, str(copy), "--out", str(tmp_path / "run4"), "--regrade", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert missing.returncode == 3
    reason = TaskResult.model_validate_json(
        (tmp_path / "run4" / "never-graded" / "result.json").read_text()
    ).reason
    assert "no stored synth output" in reason and "without --regrade" in reason


def test_a_cached_sandbox_promises_the_isolation_of_the_one_it_wraps(tmp_path: Path) -> None:
    from iacgrade.harness.sandbox.base import Isolation

    class Walled(Sandbox):
        name = "walled"

        @property
        def isolation(self) -> Isolation:
            return Isolation(network=True, filesystem=True)

        def synth(self, request: SynthRequest) -> SynthResult:
            return SynthResult(status=SynthStatus.OK)

    cached = CachedSandbox(Walled(), ResultCache(tmp_path), toolchain="t")
    assert cached.isolation == Walled().isolation
    assert cached.isolation.label() == "network,filesystem"


def test_rule_data_of_any_family_is_part_of_the_rules_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iacgrade.harness.pipeline import cache

    for family in ("aws", "tests"):
        (tmp_path / family / "data").mkdir(parents=True)
        (tmp_path / family / "data" / "table.toml").write_text("a = 1\n")
    monkeypatch.setattr(cache, "_GRADERS", tmp_path)
    cache.graders_id.cache_clear()
    try:
        before = cache.graders_id()
        (tmp_path / "tests" / "data" / "table.toml").write_text("a = 2\n")
        cache.graders_id.cache_clear()
        assert cache.graders_id() != before
    finally:
        cache.graders_id.cache_clear()
