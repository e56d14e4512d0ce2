"""Import repairs: the provider names an answer got wrong, mapped to the names the provider has.

A synth stops at its first error, and most model answers in a dataset stop at an import of a
name the provider lacks (`S3BucketVersioning` where provider-aws has `S3BucketVersioningA`).
Then no Terraform JSON exists and every rule that reads JSON is blind to the rest of the
answer, though a reviewer would fix the import and find the next failure. So when the answer's
own synth yields no stacks, the worker tries again with these repairs in place: each missing
name resolves to the provider's closest name (PY002's did-you-mean), each missing module to its
closest module. The answer's files are not changed (line numbers stay true); the repairs live in
the worker's import system for that one app. Findings on JSON synthesized this way say so.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from graders.provider_api import ApiIndex
from harness.pysource import parse_python


@dataclass(frozen=True)
class ImportRepairs:
    """What the worker resolves differently: `names[module][name] = (module, name)`; `modules[old] = new`."""

    names: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.names or self.modules)

    def to_message(self) -> dict[str, object]:
        return {
            "names": {m: {n: list(t) for n, t in sorted(by.items())} for m, by in sorted(self.names.items())},
            "modules": dict(sorted(self.modules.items())),
        }

    def describe(self) -> list[str]:
        """One line per repair, for reports: "`a.B` as `a.BA`"."""
        out = [f"`{m}` as `{t}`" for m, t in sorted(self.modules.items())]
        for module, by in sorted(self.names.items()):
            for name, (tmod, tname) in sorted(by.items()):
                target = tname if tmod == module else f"{tmod}.{tname}"
                out.append(f"`{name}` as `{target}`")
        return out


def plan_import_repairs(source: dict[str, str], index: ApiIndex | None) -> ImportRepairs:
    """The repairs for every provider import in `source` (Python files by path) that would fail."""
    if index is None:
        return ImportRepairs()
    names: dict[str, dict[str, tuple[str, str]]] = {}
    modules: dict[str, str] = {}
    for tree in parse_python(source).values():
        if not isinstance(tree, ast.Module):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                _plan_from(node, index, names, modules)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    _plan_module(alias.name, index, modules)
    return ImportRepairs(names=names, modules=modules)


def _plan_from(
    node: ast.ImportFrom,
    index: ApiIndex,
    names: dict[str, dict[str, tuple[str, str]]],
    modules: dict[str, str],
) -> None:
    module = node.module or ""
    if not index.owns(module):
        return
    if not index.is_indexed_module(module):
        target = _plan_module(module, index, modules)
        if target is None:
            return
        module = target
    for alias in node.names:
        if alias.name == "*" or index.lookup(module, alias.name) is not None:
            continue
        fix = _best_name(module, alias.name, index)
        if fix is not None:
            names.setdefault(module, {})[alias.name] = fix


def _plan_module(module: str, index: ApiIndex, modules: dict[str, str]) -> str | None:
    if not index.owns(module) or index.is_indexed_module(module):
        return module if index.owns(module) else None
    close = index.suggest_module(module)
    if not close:
        return None
    modules[module] = close[0]
    return close[0]


def _best_name(module: str, name: str, index: ApiIndex) -> tuple[str, str] | None:
    """The first did-you-mean that is really importable; None when the provider has nothing close."""
    for suggestion in index.suggest_name(module, name):
        parts = suggestion.split()
        if len(parts) != 4 or parts[0] != "from" or parts[2] != "import":
            continue
        tmod, tname = parts[1], parts[3]
        if index.lookup(tmod, tname) not in (None, "module"):
            return tmod, tname
    return None
