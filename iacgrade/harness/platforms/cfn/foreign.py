"""Whether a CloudFormation answer is written on another IaC framework (CDK, CDKTF, Pulumi,
Terraform): code of one of them and no template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iacgrade.harness.platforms.cfn.templates import template_paths


def foreign_code(files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
    """(title, detail) when the answer holds no template but code on another framework.

    `policy`: `markers` (text that code of a framework holds -> its name), from the training
    rubric's `[platform.cfn]` table."""
    if template_paths(dict(files)):
        return None
    markers: Mapping[str, str] = policy.get("markers", {})
    found = sorted({name for path, text in files.items() for mark, name in markers.items() if mark in text})
    if not found:
        return None
    return "Wrong platform", f"the model wrote {', '.join(found)} code, not a CloudFormation template"
