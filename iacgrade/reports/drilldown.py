"""What the dashboard shows of one task beyond its row: its analysis as HTML, and where its
synth output came from (synthesized now, or reused from the result cache).

The analysis quotes the answers' code, which is untrusted text: markdown-it renders it with raw
HTML turned off, so a `<script>` in an answer is shown as text, and its link validation drops
`javascript:` and other script-bearing URLs. The page embeds the HTML, so nothing links out of it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from iacgrade.reports.writers import ANALYSIS_NAME, RESULT_NAME

log = logging.getLogger(__name__)

# The worker name a result reused from the cache carries (iacgrade.harness.pipeline.cached
# CACHE_WORKER, which reports may not import): "cache:<the worker that made it>".
CACHE_WORKER_PREFIX = "cache:"
SIDES = ("model", "ideal")


class SynthSource(StrEnum):
    """Whether a task's timings measure synthesis, or a lookup of an earlier synthesis."""

    FRESH = "fresh"  # every side that was synthesized, was synthesized in this run
    CACHED = "cached"  # every side came from the result cache: the seconds are a lookup's
    MIXED = "partly cached"  # one side from the cache, the other synthesized
    NONE = ""  # nothing was synthesized (an invalid task), or result.json is missing


@dataclass(frozen=True)
class TaskDetail:
    """One task's drill-down: its analysis (None when the run has none) and its synth source."""

    analysis: Markup | None
    synth_source: SynthSource


def load_details(run_dir: Path, task_ids: list[str]) -> dict[str, TaskDetail]:
    """Each task's drill-down, from the files the run left in `run_dir/<task_id>/`."""
    return {task_id: _detail(run_dir / task_id) for task_id in task_ids}


def render_markdown(text: str) -> Markup:
    """`text` (CommonMark with tables) as HTML, with any HTML in it escaped, never passed through."""
    return Markup(_markdown().render(text))


def synth_source(result: dict[str, Any]) -> SynthSource:
    """Where a stored result's synth output came from (`result.json` as parsed JSON)."""
    workers = []
    for side in SIDES:
        synth = (result.get(side) or {}).get("synth") or {}
        if synth:
            workers.append(str(synth.get("worker", "")))
    if not workers:
        return SynthSource.NONE
    cached = sum(w.startswith(CACHE_WORKER_PREFIX) for w in workers)
    if cached == 0:
        return SynthSource.FRESH
    return SynthSource.CACHED if cached == len(workers) else SynthSource.MIXED


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _detail(task_dir: Path) -> TaskDetail:
    analysis = None
    try:
        analysis = render_markdown((task_dir / ANALYSIS_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read %s: %s", task_dir / ANALYSIS_NAME, exc)
    source = SynthSource.NONE
    try:
        source = synth_source(json.loads((task_dir / RESULT_NAME).read_text(encoding="utf-8")))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        log.warning("cannot read %s: %s", task_dir / RESULT_NAME, exc)
    return TaskDetail(analysis=analysis, synth_source=source)
