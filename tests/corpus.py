"""The dev corpus as the corpus tests read it: each task's workspace for one side."""

from __future__ import annotations

from collections.abc import Iterator

from iacgrade.harness.core.errors import TaskLoadError
from iacgrade.harness.core.tasks import Task, discover, load_task
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.registry import platform_for
from tests.paths import DEV_CORPUS

CORPUS = DEV_CORPUS


def synthesizable(side: str) -> Iterator[tuple[Task, Workspace]]:
    """(task, workspace) of `side` for every corpus task whose answer has code and an entry."""
    for path in discover([CORPUS]):
        try:
            task = load_task(path)
        except TaskLoadError:
            continue
        if side == "ideal" and not task.has_reference:
            continue
        ws = build_workspace(task, side, platform_for(task.metadata))
        if ws.has_code and ws.entry:
            yield task, ws
