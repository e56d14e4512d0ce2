"""Whether a model answer for an HCL task is written in HCL at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iacgrade.harness.platforms.tf_hcl.extract import is_terraform


def foreign_code(files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
    """(title, detail) when the answer has no Terraform file but code of another framework or
    language. `policy`: `others` (a text that marks a framework -> its name) and `languages`
    (file suffix -> language), from the training rubric's data."""
    if any(is_terraform(p) for p in files):
        return None
    others: Mapping[str, str] = policy.get("others", {})
    found = sorted({name for p, text in files.items() for mark, name in others.items() if mark in text})
    if found:
        return "Wrong platform", f"the model's code builds on {', '.join(found)}, not Terraform HCL"
    languages: Mapping[str, str] = policy.get("languages", {})
    code = {".py": "Python", **languages}
    other = sorted(
        {f"{code[ext]} (`{p}`)" for p in files for ext in code if p.endswith(ext) and ext != ".tf"}
    )
    if not other:
        return None
    return "Wrong language", f"the model wrote {', '.join(other[:3])}, the task asks for Terraform HCL"
