"""Whether a model answer is written for CDKTF Python at all: its file types and its imports."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from iacgrade.harness.platforms.cdktf_python.pysource import parse_source


def foreign_code(files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
    """(title, detail) when the answer is another language, or Python on another IaC framework.

    `policy`: `imports` (modules that make an answer CDKTF), `others` (module -> framework name)
    and `languages` (file suffix -> language), from the training rubric's data."""
    python = {p: t for p, t in files.items() if p.endswith(".py")}
    languages: Mapping[str, str] = policy.get("languages", {})
    if not python:
        other = sorted({f"{languages[ext]} (`{p}`)" for p in files for ext in languages if p.endswith(ext)})
        if not other:
            return None  # no code at all: nothing to say about its language
        return "Wrong language", f"the model wrote {', '.join(other[:3])}, the task asks for CDKTF Python"
    imports = set().union(*(_imported_modules(t) for t in python.values()))
    if imports & set(policy.get("imports", ())):
        return None
    others = sorted({name for mod, name in dict(policy.get("others", {})).items() if mod in imports})
    if not others:
        return None
    return "Wrong platform", f"the model's Python builds on {', '.join(others)}, not CDKTF"


def _imported_modules(source: str) -> set[str]:
    tree = parse_source(source)
    if not isinstance(tree, ast.Module):  # a truncated answer: its import lines still say what it builds on
        return set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", source, flags=re.MULTILINE))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found
