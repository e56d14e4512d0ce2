"""What a rule sees: one answer's source, its synth outcome and its Terraform JSON."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from iacgrade.graders.constraints import evaluation_date
from iacgrade.graders.terraform_model import TerraformModel
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex, load_index
from iacgrade.harness.platforms.cdktf_python.pysource import parse_python

_NOT_RUN = (SynthStatus.SKIPPED, SynthStatus.INFRA_ERROR)


@dataclass(frozen=True)
class Settings:
    """Knobs rules read; the pipeline sets them from the task's environment profile
    (iacgrade/harness/core/profile.py); the defaults are the shipped `default` profile's."""

    # The Terraform release the pipeline runs ("latest": newer than any the rule data knows).
    terraform_version: str = "latest"
    # Whether the deploy environment requires remote state (TF001 is Critical then).
    remote_state_required: bool = False
    # The date the answer is judged at (ISO), set per task by the pipeline from its environment
    # (iacgrade/harness/core/profile.py): rules that depend on the date use it, and it is part of the rules'
    # cache key. "" outside the pipeline: the task's start date, else today.
    judged_at: str = ""
    # The ENVIRONMENT_SUFFIX answers are synthesized with
    # (iacgrade.harness.platforms.cdktf_python.worker.worker.DEFAULT_ENV): names that should carry the suffix
    # are
    # checked for this value.
    environment_suffix: str = "dev"


@dataclass
class GradeContext:
    """One side of one task, as the rules see it."""

    workspace: Workspace
    synth: SynthResult | None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    # The task's PROMPT.md: what the answer was asked to build (requirement and test rules read it).
    prompt: str = ""

    @property
    def judged_at(self) -> dt.date:
        """The date AWS constraints are judged at (what AWS accepted then)."""
        if self.settings.judged_at:
            return dt.date.fromisoformat(self.settings.judged_at)
        return evaluation_date(dict(self.metadata))

    @property
    def side(self) -> str:
        return self.workspace.side

    @property
    def platform(self) -> str:
        """The registered platform whose answer this is (iacgrade/harness/platforms/names.py)."""
        return self.workspace.platform

    @property
    def source(self) -> dict[str, str]:
        """The answer's own Python files (not the scaffold's), by path."""
        return self.workspace.python_files(answer_only=True)

    @cached_property
    def trees(self) -> dict[str, ast.Module]:
        """Parsed answer modules; files that do not parse are left out (SYN001 reports them)."""
        return {p: t for p, t in parse_python(self.source).items() if isinstance(t, ast.Module)}

    @property
    def terraform(self) -> dict[str, dict[str, Any]]:
        """Terraform JSON per synthesized stack (possibly from a fallback strategy)."""
        return self.synth.stacks if self.synth else {}

    @cached_property
    def provider_api(self) -> ApiIndex | None:
        """The index of the toolchain's provider API (classes, structs, signatures); None if absent."""
        return load_index()

    @cached_property
    def tf(self) -> TerraformModel:
        """The typed view of `terraform` (resources, providers, references, source sites)."""
        return TerraformModel(self.terraform, self.terraform_note)

    @property
    def terraform_note(self) -> str:
        """What a JSON-based finding must say when the JSON came from a fallback strategy."""
        if self.synth and self.synth.from_repair:
            repairs = "; ".join(self.synth.repairs) or "its provider imports"
            return (
                "The answer does not synthesize as written; the Terraform JSON checked here was "
                f"synthesized after repairing what stops it ({repairs})."
            )
        if self.synth and self.synth.from_fallback:
            return (
                "The answer's own entry point did not synthesize; the Terraform JSON checked here comes "
                f"from the fallback strategy '{self.synth.stacks_strategy}'."
            )
        return ""

    def stack_origin(self, stack: str) -> tuple[str, str] | None:
        """(file, class name) of the answer's TerraformStack subclass that built `stack`, when the
        worker saw it: findings on that stack point into that class."""
        origin = (self.synth.stack_classes if self.synth else {}).get(stack) or {}
        file, cls = origin.get("file"), origin.get("class")
        return (file, cls.rpartition(".")[2]) if file and cls else None

    def skip_reason(self, needs: str) -> str:
        """Why a rule that reads `needs` cannot run on this answer ("" when it can)."""
        if needs == "source" and not self.source:
            return "the answer has no Python source"
        if needs == "synth" and (self.synth is None or self.synth.status in _NOT_RUN):
            return "the answer was not synthesized"
        if needs == "terraform" and not self.terraform:
            return "no Terraform JSON: the answer did not synthesize by any strategy"
        return ""

    def lines(self, path: str, start: int, end: int | None = None) -> str:
        """Lines `start`..`end` (1-based, inclusive) of a workspace file."""
        text = self.workspace.files.get(path, "")
        rows = text.splitlines()
        end = end or start
        return "\n".join(rows[max(start - 1, 0) : end])

    def resources(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """Every resource in every stack: (stack, type, name, config)."""
        for stack, doc in self.terraform.items():
            for rtype, by_name in (doc.get("resource") or {}).items():
                for name, config in (by_name or {}).items():
                    yield stack, rtype, name, config if isinstance(config, dict) else {}
