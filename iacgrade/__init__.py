"""iacgrade: grades Infrastructure-as-Code written by language models.

    import iacgrade

    result = iacgrade.grade("tasks/tf-hcl-logs-bucket", sandbox="local")
    summary = iacgrade.run(["tasks"], "out/run", sandbox="local")
    for meta in iacgrade.rules(): ...

The API (`iacgrade.api`) and the result types are loaded on first use, so importing a submodule
(`iacgrade.harness.core...`, as the sandbox worker and the rules do) does not load the pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from iacgrade.harness.core.version import package_version

__version__ = package_version()

# Public name -> the module that defines it.
_EXPORTS = {
    "grade": "iacgrade.api",
    "run": "iacgrade.api",
    "rules": "iacgrade.api",
    "options": "iacgrade.api",
    "load_run": "iacgrade.api",
    "SANDBOXES": "iacgrade.api",
    "GradeOptions": "iacgrade.harness.pipeline.grade",
    "RunSummary": "iacgrade.harness.batch.runner",
    "RuleMeta": "iacgrade.graders.registry",
    "Rubric": "iacgrade.harness.pipeline.score",
    "Profile": "iacgrade.harness.core.profile",
    "Sandbox": "iacgrade.harness.sandbox.base",
    "make_sandbox": "iacgrade.harness.sandbox",
    "TaskResult": "iacgrade.harness.core.results",
    "TaskStatus": "iacgrade.harness.core.results",
    "SideResult": "iacgrade.harness.core.results",
    "Failure": "iacgrade.harness.core.results",
    "Score": "iacgrade.harness.core.results",
    "RequirementCheck": "iacgrade.harness.core.results",
    "Finding": "iacgrade.harness.core.findings",
    "Severity": "iacgrade.harness.core.findings",
    "Category": "iacgrade.harness.core.findings",
    "Outcome": "iacgrade.harness.core.findings",
    "RuleOutcome": "iacgrade.harness.core.findings",
    "Location": "iacgrade.harness.core.findings",
}

__all__ = [
    "SANDBOXES",
    "Category",
    "Failure",
    "Finding",
    "GradeOptions",
    "Location",
    "Outcome",
    "Profile",
    "RequirementCheck",
    "Rubric",
    "RuleMeta",
    "RuleOutcome",
    "RunSummary",
    "Sandbox",
    "Score",
    "Severity",
    "SideResult",
    "TaskResult",
    "TaskStatus",
    "__version__",
    "grade",
    "load_run",
    "make_sandbox",
    "options",
    "rules",
    "run",
]

if TYPE_CHECKING:
    from iacgrade.api import SANDBOXES, grade, load_run, options, rules, run
    from iacgrade.graders.registry import RuleMeta
    from iacgrade.harness.batch.runner import RunSummary
    from iacgrade.harness.core.findings import Category, Finding, Location, Outcome, RuleOutcome, Severity
    from iacgrade.harness.core.profile import Profile
    from iacgrade.harness.core.results import (
        Failure,
        RequirementCheck,
        Score,
        SideResult,
        TaskResult,
        TaskStatus,
    )
    from iacgrade.harness.pipeline.grade import GradeOptions
    from iacgrade.harness.pipeline.score import Rubric
    from iacgrade.harness.sandbox import make_sandbox
    from iacgrade.harness.sandbox.base import Sandbox


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'iacgrade' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
