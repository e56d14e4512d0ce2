"""PY002's checks: imports and module attributes that name what the provider does not have."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from iacgrade.graders.python.evidence import line_excerpt
from iacgrade.graders.python.symbols import FileSymbols, construct_anchor, dotted
from iacgrade.graders.registry import Hit
from iacgrade.harness.core.findings import Location
from iacgrade.harness.platforms.cdktf_python.locate import Span, statement_span
from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex, FailingImport, failing_imports


def check_imports(
    path: str, tree: ast.Module, index: ApiIndex, files: dict[str, str]
) -> Iterator[tuple[str, Hit]]:
    """One hit per import statement, naming every name or module of it that does not exist: the
    statement is one line to fix, and Python stops at its first missing name anyway."""
    by_statement: dict[int, list[FailingImport]] = {}
    for failing in failing_imports(tree, index):
        by_statement.setdefault(id(failing.node), []).append(failing)
    for group in by_statement.values():
        node = group[0].node
        names = [f for f in group if f.name is not None and f.alias is not None]
        if isinstance(node, ast.ImportFrom) and len(names) == len(group):
            yield "PY002", _missing_names(path, tree, node, [f.alias for f in names if f.alias], index, files)
        else:
            yield "PY002", _missing_modules(path, node, [f.module for f in group], index, files)


def _missing_names(
    path: str,
    tree: ast.Module,
    node: ast.ImportFrom,
    aliases: list[ast.alias],
    index: ApiIndex,
    files: dict[str, str],
) -> Hit:
    if len(aliases) == 1:
        return _missing_name(path, tree, node, aliases[0], index, files)
    module = node.module or ""
    first = _missing_name(path, tree, node, aliases[0], index, files)
    listed = ", ".join(f"`{a.name}`" for a in aliases)
    fixes = [_closest(module, alias.name, index) for alias in aliases]
    return replace(
        first,
        title=f"Import of {len(aliases)} names the AWS provider does not have",
        message=(
            f"`{module}` has none of {listed} in {version_label(index, module)}: the import raises "
            f"`ImportError` at `{aliases[0].name}` and nothing synthesizes. Closest names: "
            f"{'; '.join(fixes)}."
        ),
    )


def _missing_name(
    path: str,
    tree: ast.Module,
    node: ast.ImportFrom,
    alias: ast.alias,
    index: ApiIndex,
    files: dict[str, str],
) -> Hit:
    module = node.module or ""
    pairs = index.suggest_imports(module, alias.name)
    suggestions = [f"from {m} import {n}" for m, n in pairs]
    hint = f" Did you mean `{suggestions[0]}`?" if suggestions else ""
    others = (
        f" (other candidates: {', '.join(f'`{s}`' for s in suggestions[1:])})" if len(suggestions) > 1 else ""
    )
    line = getattr(alias, "lineno", node.lineno)
    fix_module = pairs[0][0] if pairs else module
    return Hit(
        message=(
            f"`{module}` has no `{alias.name}` in {version_label(index, module)}: the import raises "
            f"`ImportError` and nothing synthesizes.{hint}{others}"
        ),
        location=Location(path=path, line=line),
        anchor=f"import:{module}",
        fix_anchor=f"import:{fix_module}" if fix_module != module else "",
        evidence=line_excerpt(files, statement_span(tree, path, node.lineno)),
        error=f"ImportError: cannot import name '{alias.name}' from '{module}'",
    )


def _closest(module: str, name: str, index: ApiIndex) -> str:
    pairs = index.suggest_imports(module, name)
    if not pairs:
        return f"`{name}`: no close name"
    where, found = pairs[0]
    return f"`{name}` -> `{found}`" if where == module else f"`{name}` -> `from {where} import {found}`"


def _missing_modules(
    path: str, node: ast.stmt, modules: list[str], index: ApiIndex, files: dict[str, str]
) -> Hit:
    first = _missing_module(path, node, modules[0], index, files)
    if len(modules) == 1:
        return first
    hints = []
    for module in modules:
        close = index.suggest_module(module)
        hints.append(f"`{module}` -> `{close[0]}`" if close else f"`{module}`: no close module")
    return replace(
        first,
        title=f"Import of {len(modules)} provider modules that do not exist",
        message=(
            f"{', '.join(f'`{m}`' for m in modules)} are not modules of "
            f"{version_label(index, modules[0])}: the import raises `ModuleNotFoundError` at "
            f"`{modules[0]}` and nothing synthesizes. Closest modules: {'; '.join(hints)}."
        ),
    )


def _missing_module(path: str, node: ast.stmt, module: str, index: ApiIndex, files: dict[str, str]) -> Hit:
    close = index.suggest_module(module)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return Hit(
        title="Import of a provider module that does not exist",
        message=(
            f"`{module}` is not a module of {version_label(index, module)}: the import raises "
            f"`ModuleNotFoundError` and nothing synthesizes.{hint}"
        ),
        location=Location(path=path, line=node.lineno),
        anchor=f"import:{module}",
        fix_anchor=f"import:{close[0]}" if close else "",
        evidence=line_excerpt(files, Span(path, node.lineno, node.end_lineno or node.lineno)),
        error=f"ModuleNotFoundError: No module named '{module}'",
    )


def check_module_attributes(
    path: str,
    tree: ast.Module,
    symbols: FileSymbols,
    index: ApiIndex,
    files: dict[str, str],
    up: dict[int, ast.AST],
) -> Iterator[tuple[str, Hit]]:
    """`route_table.RouteTableX` on an imported provider module that has no `RouteTableX`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or isinstance(up.get(id(node)), ast.Attribute):
            continue  # judge each chain once, from its outermost attribute
        parts = dotted(node)
        if not parts:
            continue
        binding = symbols.binding(parts[0])
        if binding is None or binding.kind != "module":
            continue
        module = binding.module
        for part in parts[1:]:
            found = index.lookup(module, part)
            if found == "module":
                module = f"{module}.{part}"
                continue
            if found is None:
                suggestions = index.suggest_name(module, part)
                hint = f" Did you mean `{suggestions[0]}`?" if suggestions else ""
                yield (
                    "PY002",
                    Hit(
                        message=(
                            f"`{module}` has no `{part}` in {version_label(index, module)}: "
                            f"`{'.'.join(parts)}` raises `AttributeError`.{hint}"
                        ),
                        location=Location(path=path, line=node.lineno),
                        anchor=construct_anchor(node, up, symbols, index) or f"import:{module}",
                        evidence=line_excerpt(files, statement_span(tree, path, node.lineno)),
                        error=f"AttributeError: module '{module}' has no attribute '{part}'",
                    ),
                )
            break


def version_label(index: ApiIndex, module: str) -> str:
    package = module.split(".")[0]
    version = index.versions.get(package)
    label = {"cdktf_cdktf_provider_aws": "provider-aws"}.get(package, package)
    return f"{label} {version}" if version else label
