"""Loading the AWS constraint data in iacgrade/graders/aws/data/ (each file names its source and date)."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any

from iacgrade.harness.core.profile import task_date

DOC_BASE = "https://docs.aws.amazon.com"


@cache
def load(name: str) -> dict[str, Any]:
    """A data file by name (`engine_versions.json`), parsed once per process."""
    text = resources.files("iacgrade.graders.aws").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


def version_key(version: str) -> tuple[int, ...]:
    """The leading numbers of a version, for ordering (`8.0.mysql_aurora.3.04.0` -> (8, 0))."""
    numbers: list[int] = []
    for part in version.split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def version_offered(version: str, offered: list[str]) -> bool | None:
    """True when `version` is offered (exactly, or as a prefix AWS completes: `8.0`, `15`);
    False when it is not; None when the list cannot judge it (newer than anything listed, so
    possibly released after the data was generated)."""
    if not offered:
        return None
    if version in offered or any(v.startswith(version + ".") for v in offered):
        return True
    key = version_key(version)
    if not key:
        return False
    newest = max(version_key(v) for v in offered)
    if key[: len(newest)] > newest:
        return None
    # A major AWS never listed is as wrong as a minor that does not exist.
    return False


def evaluation_date(metadata: dict[str, Any]) -> dt.date:
    """The date an answer is judged at: when the task was started (AWS accepted then what the
    reviewers deployed), else today."""
    return task_date(metadata) or dt.date.today()


def all_regions() -> set[str]:
    return {r for p in load("aws_regions.json")["partitions"].values() for r in p["regions"]}


def rds_doc(page: str) -> str:
    return f"{DOC_BASE}/AmazonRDS/latest/{page}"
