"""PY: names an answer's file uses but never defines or imports (a forgotten import, a typo)."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from iacgrade.graders.context import GradeContext
from iacgrade.graders.python.calls import absolute_module, caller_trees
from iacgrade.graders.python.reach import referenced_names, uncalled_function
from iacgrade.graders.python.symbols import BUILTIN_NAMES, bound_names, parents
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import construct_id, quote, statement_span
from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex
from iacgrade.harness.platforms.cdktf_python.pysource import module_name

# Folders whose code is packaged for Lambda, not imported when the app synthesizes.
DATA_FOLDERS = ("lambda", "lambdas", "functions", "lambda_functions", "handlers")

# ---------------------------------------------------------------- PY008


@rule(
    id="PY008",
    name="name-never-defined",
    title="Name used but never defined or imported",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale=(
        "The answer uses a name that no statement of its file defines or imports (a forgotten "
        "import, a typo). In code that runs at synth (the stack and what it imports) the "
        "`NameError` blocks synth: Critical. In Lambda handler code it fails only when the function "
        "runs: High. In synth-time code that did not run (the answer synthesized as written, so a "
        "branch or method was not taken): Medium. In a function nothing calls: Low, dead code."
    ),
    docs=("https://docs.python.org/3/reference/executionmodel.html#resolution-of-names",),
    impact=(
        "Deployment Blocker: `NameError` when the line runs",
        "Training Quality Impact: High - the code was never executed",
    ),
    fix_minutes=2,
)
def name_never_defined(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a name read in a file of the answer that the file binds nowhere - no import,
    assignment, definition, parameter, loop or `with` target - and that is not a Python built-in.
    One finding per name and file; when the provider has a class of that name, the import to add.
    Files with `from x import *` or that write to `globals()` are not judged. Critical only when
    the line can stop synth: every use inside a function nothing in the answer calls is Low (dead
    code); when the answer synthesized as written, the line did not run at synth (a branch not
    taken, a method not called), so it is Medium.

    Why it matters: `NameError: name 'DataAwsAvailabilityZones' is not defined` stops synth at
    the first such name; this rule lists all of them.

    Bad: `azs = DataAwsAvailabilityZones(self, "azs")` with no import of it.

    Good: `from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones`

    References: Python's name resolution rules.
    """
    index = ctx.provider_api
    synth_time = _synth_time_files(ctx)
    synth = ctx.synth
    # Synthesized as written: no line that raises `NameError` ran (a repair may have fixed one).
    ran_clean = synth is not None and synth.ok and not synth.from_repair and not synth.from_fallback
    referenced = referenced_names(caller_trees(ctx))
    for path, tree in sorted(ctx.trees.items()):
        stage = _Stage(path in synth_time, ran_clean, referenced)
        yield from _undefined(ctx, path, tree, index, stage)


@dataclass(frozen=True)
class _Stage:
    """When a file's lines run: at synth or not, and whether this synth ran the answer as written."""

    synth_time: bool
    ran_clean: bool
    referenced: set[str]


# ---------------------------------------------------------------- PY008 checks


def _undefined(
    ctx: GradeContext, path: str, tree: ast.Module, index: ApiIndex | None, stage: _Stage
) -> Iterator[Hit]:
    if _dynamic(tree):
        return
    known = bound_names(tree) | BUILTIN_NAMES | _imported_names(tree)
    skip_annotations = _future_annotations(tree)
    annotation_nodes = _annotation_ids(tree) if skip_annotations else set()
    uses: dict[str, list[ast.Name]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        if node.id not in known and id(node) not in annotation_nodes:
            uses.setdefault(node.id, []).append(node)
    up = parents(tree) if uses else {}
    for name, nodes in sorted(uses.items()):
        nodes.sort(key=lambda n: (n.lineno, n.col_offset))
        first = nodes[0]
        lines = sorted({n.lineno for n in nodes})
        more = f" (also line {', '.join(map(str, lines[1:6]))})" if len(lines) > 1 else ""
        hint = _name_hint(name, known, index)
        span = statement_span(tree, path, first.lineno)
        severity, when = _when(nodes, up, stage)
        yield Hit(
            title=f"`{name}` used but never defined or imported",
            severity=severity,
            message=(
                f"`{name}` is used at {path}:{first.lineno}{more} but nothing in the file defines or imports "
                f"it: `NameError` when the line runs{when}" + hint
            ),
            location=Location(path=path, line=first.lineno),
            anchor=f"name:{name}",
            fix_anchor=_fix_anchor(first, up),
            evidence=quote(ctx.workspace.files, span),
            error=f"NameError: name '{name}' is not defined",
        )


def _when(nodes: list[ast.Name], up: dict[int, ast.AST], stage: _Stage) -> tuple[Severity | None, str]:
    """The severity of an undefined name, and when its `NameError` happens, from where it is used."""
    if not stage.synth_time:
        return (
            Severity.HIGH,
            " (the file is not imported when the app synthesizes: it fails when its code runs).",
        )
    dead = [uncalled_function(n, up, stage.referenced) for n in nodes]
    if all(fn is not None for fn in dead):
        names = ", ".join(dict.fromkeys(f"`{fn.name}`" for fn in dead if fn is not None))
        return Severity.LOW, (
            f". It is used only in {names}, which nothing in the answer calls: dead code that never "
            "runs at synth, not a deployment blocker."
        )
    if stage.ran_clean:
        return Severity.MEDIUM, (
            ". The answer synthesized as written, so no such line ran at synth (a branch not taken "
            "or a method not called there); it fails when that path runs."
        )
    return None, ", which happens during synth."


def _dynamic(tree: ast.Module) -> bool:
    """Files that bind names in ways a syntax tree does not show."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("globals", "exec")
        ):
            return True
    return False


def _imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
    return names


def _future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.ImportFrom)
        and n.module == "__future__"
        and any(a.name == "annotations" for a in n.names)
        for n in tree.body
    )


def _annotation_ids(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for ann in annotations:
            if ann is not None:
                found |= {id(n) for n in ast.walk(ann)}
    return found


def _name_hint(name: str, known: set[str], index: ApiIndex | None) -> str:
    if index is not None:
        types = sorted(
            index.types_named(name), key=lambda t: (not t.module.startswith("cdktf_cdktf"), t.module)
        )
        if types:
            return f" Add `from {types[0].module} import {name}`."
    close = difflib.get_close_matches(name, [k for k in known if not k.startswith("__")], n=1, cutoff=0.8)
    return f" Did you mean `{close[0]}`?" if close else ""


def _fix_anchor(node: ast.AST, up: dict[int, ast.AST]) -> str:
    current = up.get(id(node))
    scope: list[str] = []
    construct = ""
    while current is not None:
        if isinstance(current, ast.Call) and not construct and len(current.args) >= 2:
            cid = construct_id(current)
            construct = f"construct:{cid}" if cid else ""
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope.append(current.name)
        current = up.get(id(current))
    if construct:
        return construct
    return f"def:{'.'.join(reversed(scope[:2]))}" if scope and not isinstance(node, ast.ClassDef) else ""


def _synth_time_files(ctx: GradeContext) -> set[str]:
    """Answer files run while the app synthesizes: the entry point and what it imports, transitively."""
    by_module = {module_name(p): p for p in ctx.trees}
    entry = ctx.workspace.entry
    trees = caller_trees(ctx)
    start = [entry] if entry in trees else [p for p in ctx.trees if not _in_data_folder(p)]
    seen: set[str] = set()
    queue = list(start)
    while queue:
        path = queue.pop()
        if path in seen or path not in trees:
            continue
        seen.add(path)
        for node in ast.walk(trees[path]):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(path, node.module, node.level)
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                    found = by_module.get(".".join(parts[:i]))
                    if found:
                        queue.append(found)
    return seen


def _in_data_folder(path: str) -> bool:
    return any(part in DATA_FOLDERS or "-" in part for part in path.split("/")[:-1])
