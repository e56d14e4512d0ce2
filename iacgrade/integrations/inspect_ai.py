"""An inspect_ai scorer that grades a sample's IaC answer with iacgrade (`pip install 'iacgrade[inspect]'`).

    from inspect_ai import Task, task
    from inspect_ai.dataset import Sample
    from iacgrade.integrations.inspect_ai import iacgrade_scorer

    @task
    def iac():
        return Task(
            dataset=[Sample(input=prompt, metadata={"task_dir": "tasks/tf-hcl-logs-bucket"})],
            scorer=iacgrade_scorer(sandbox="local"),
        )

The model's output text is the answer (a MODEL_RESPONSE.md: prose and fenced code). The rest of
the task comes from the sample: the task directory named by its `task_dir` metadata (its prompt,
reference and metadata.json; its own MODEL_RESPONSE.md is replaced), else the sample itself: its
input as the prompt, its target as the reference answer (IDEAL_RESPONSE.md), its metadata as the
task's metadata.json (`{"platform": "tf", "language": "hcl"}` picks the platform).

The score is iacgrade's task score, 0 to 10; its metadata lists the failures. A model answer
iacgrade cannot read as one (no code at all) scores 0. A grading that broke (a harness error, a
sandbox that failed) raises, so inspect_ai records the sample as an error, not as a wrong answer.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from iacgrade.api import grade
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.sandbox.base import Sandbox

__all__ = ["TASK_DIR_KEY", "iacgrade_scorer", "score_of", "write_task"]

TASK_DIR_KEY = "task_dir"
# The task's files that are the model's side: replaced by the sample's output, never graded.
MODEL_FILES = ("MODEL_RESPONSE.md", "MODEL_FAILURES.md")


@scorer(metrics=[mean(), stderr()], name="iacgrade")
def iacgrade_scorer(
    sandbox: str | Sandbox = "auto",
    timeout: float = 120.0,
    tests: bool = True,
    repair: bool = True,
    profile: str | None = None,
    cache: bool = True,
    task_dir_key: str = TASK_DIR_KEY,
) -> Scorer:
    """Score each sample's output with iacgrade; the keywords are `iacgrade.grade`'s.

    HCL and CloudFormation answers grade in process in about a second. CDKTF answers start a warm
    synth worker per sample unless `sandbox` is an open `Sandbox` shared across samples.
    """

    async def score(state: TaskState, target: Target) -> Score:
        with tempfile.TemporaryDirectory(prefix="iacgrade-inspect-") as tmp:
            task = write_task(Path(tmp), state, target, task_dir_key)
            result = await anyio.to_thread.run_sync(
                partial(
                    grade,
                    task,
                    sandbox=sandbox,
                    timeout=timeout,
                    tests=tests,
                    repair=repair,
                    profile=profile,
                    cache=cache,
                )
            )
        return score_of(result)

    return score


def write_task(folder: Path, state: TaskState, target: Target, task_dir_key: str = TASK_DIR_KEY) -> Path:
    """The task directory iacgrade grades: the sample's task (or the sample itself), its answer."""
    metadata = dict(state.metadata or {})
    task = folder / _folder_name(state.sample_id)
    source = metadata.get(task_dir_key)
    if source:
        shutil.copytree(Path(str(source)), task, ignore=shutil.ignore_patterns(*MODEL_FILES))
    else:
        task.mkdir()
        (task / "PROMPT.md").write_text(state.input_text, encoding="utf-8")
        if target.text:
            (task / "IDEAL_RESPONSE.md").write_text(target.text, encoding="utf-8")
        (task / "metadata.json").write_text(json.dumps(metadata, default=str, indent=2), encoding="utf-8")
    (task / "MODEL_RESPONSE.md").write_text(state.output.completion, encoding="utf-8")
    return task


def score_of(result: TaskResult) -> Score:
    """inspect_ai's Score for an iacgrade result; raises when the grading itself broke."""
    if result.status in (TaskStatus.ERROR, TaskStatus.INFRA_ERROR):
        raise RuntimeError(
            f"iacgrade could not grade {result.task_id} ({result.status.value}): {result.reason}"
        )
    failures = [
        {
            "rule_id": f.rule_id,
            "severity": f.severity.value,
            "title": f.title,
            "location": f.location_text,
        }
        for f in result.failures
    ]
    details: dict[str, Any] = {
        "status": result.status.value,
        "failures": failures,
        "severity_counts": result.severity_counts(),
    }
    if result.status is not TaskStatus.GRADED or result.score is None:
        return Score(value=0.0, explanation=f"not gradable: {result.reason}", metadata=details)
    lines = [result.score.summary, *(f"- {f['rule_id']} ({f['severity']}): {f['title']}" for f in failures)]
    return Score(value=result.score.value, explanation="\n".join(lines), metadata=details)


def _folder_name(sample_id: int | str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(sample_id)).strip("-.") or "sample"
