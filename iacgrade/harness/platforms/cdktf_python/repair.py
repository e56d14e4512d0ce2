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

from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex, failing_imports
from iacgrade.harness.platforms.cdktf_python.pysource import parse_python


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
    """The repairs for every provider import in `source` (Python files by path) that would fail:
    the imports PY002 flags (`failing_imports`), mapped to its did-you-mean."""
    if index is None:
        return ImportRepairs()
    names: dict[str, dict[str, tuple[str, str]]] = {}
    modules: dict[str, str] = {}
    for tree in parse_python(source).values():
        if not isinstance(tree, ast.Module):
            continue
        for failing in failing_imports(tree, index):
            if failing.name is not None:
                _plan_name(failing.module, failing.name, index, names)
                continue
            close = index.suggest_module(failing.module)
            if not close:
                continue
            modules[failing.module] = close[0]
            # The names imported from a missing module are looked up in its stand-in.
            if isinstance(failing.node, ast.ImportFrom):
                for alias in failing.node.names:
                    if alias.name != "*" and index.lookup(close[0], alias.name) is None:
                        _plan_name(close[0], alias.name, index, names)
    return ImportRepairs(names=names, modules=modules)


def _plan_name(module: str, name: str, index: ApiIndex, names: dict[str, dict[str, tuple[str, str]]]) -> None:
    # The first did-you-mean that is a type (not a submodule); nothing when the provider has none close.
    fix = next(
        (s for s in index.suggest_imports(module, name) if index.lookup(*s) not in (None, "module")), None
    )
    if fix is not None:
        names.setdefault(module, {})[name] = fix
