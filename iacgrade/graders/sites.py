"""Where a finding points in the answer's source: the class that built a stack, and the call that
created a resource (with its location, evidence and anchor).

Rules of every family locate through here, so a multi-stack answer is followed the same way
everywhere: `ctx.stack_origin` names the file and class the worker saw build each stack.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import CALL_REPAIRS, Hit
from iacgrade.graders.terraform_model import Provider, Resource, Stack
from iacgrade.harness.core.findings import Location
from iacgrade.harness.platforms.cdktf_python.locate import (
    Span,
    construct_id,
    iter_calls,
    quote,
    statement_span,
)
from iacgrade.harness.platforms.cdktf_python.pysource import walked

# How far past a stack class statement a signature span may reach (a backend belongs there).
SIGNATURE_LINES = 12


def stack_class_span(ctx: GradeContext, stack: str | None = None, *, signature: bool = False) -> Span | None:
    """The class statement of the TerraformStack subclass that built `stack` (as the worker saw
    it), else of the workspace's stack class. With `signature`, the span runs on to the first
    statement of `__init__`: where stack-wide settings such as a backend are written."""
    origin = ctx.stack_origin(stack) if stack else None
    if origin is not None:
        path, name = origin
        tree = ctx.trees.get(path)
        found = _class_span(path, tree, name, signature) if tree is not None else None
        if found is not None:
            return found
    for path, tree in ctx.trees.items():
        found = _class_span(path, tree, ctx.workspace.stack_class, signature)
        if found is not None:
            return found
    return None


def _class_span(path: str, tree: ast.Module, name: str | None, signature: bool) -> Span | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            if not signature:
                return Span(path, node.lineno, node.lineno)
            init = next(
                (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
            )
            end = (init.body[0].end_lineno or init.lineno) if init and init.body else node.lineno
            return Span(path, node.lineno, min(end, node.lineno + SIGNATURE_LINES))
    return None


def stack_class_site(ctx: GradeContext, stack: str | None = None) -> tuple[Location, str]:
    """The location and quoted evidence of `stack_class_span` (only the stack name when the
    class cannot be found)."""
    span = stack_class_span(ctx, stack)
    if span is None:
        return Location(stack=stack), ""
    return Location(path=span.path, line=span.start, stack=stack), quote(ctx.workspace.files, span)


@dataclass(frozen=True)
class Site:
    """Where a finding about a resource points, and what it quotes."""

    location: Location
    evidence: str
    anchor: str


def construct_call(
    trees: Mapping[str, ast.Module], cid: str, within: tuple[str, str] | None = None
) -> tuple[str, ast.Call] | None:
    """The call that creates the construct `cid` (an f-string id matches by its literal parts).

    `within` is (file, class) of the stack that holds the construct: where several classes create
    a construct of that id (a primary and a secondary stack), the one in that class wins."""
    exact: list[tuple[str, ast.Call]] = []
    templated: list[tuple[str, ast.Call]] = []
    for path, call in iter_calls(trees):
        found = construct_id(call)
        if found == cid:
            exact.append((path, call))
        elif found is not None and _template_matches(found, cid):
            templated.append((path, call))
    for candidates in (exact, templated):
        if candidates:
            if within is not None:
                inside = [c for c in candidates if _in_class(trees, c, within)]
                if inside:
                    return inside[0]
            return candidates[0]
    return None


def _in_class(trees: Mapping[str, ast.Module], found: tuple[str, ast.Call], within: tuple[str, str]) -> bool:
    path, call = found
    file, cls = within
    if path != file or path not in trees:
        return False
    return any(
        isinstance(node, ast.ClassDef)
        and node.name == cls
        and node.lineno <= call.lineno <= (node.end_lineno or node.lineno)
        for node in walked(trees[path])
    )


def _template_matches(template: str, cid: str) -> bool:
    if "{}" not in template:
        return False
    pattern = ".+".join(re.escape(part) for part in template.split("{}"))
    return bool(template.replace("{}", "")) and re.fullmatch(pattern, cid) is not None


def site(ctx: GradeContext, res: Resource, attr: str | None = None, index: int | None = None) -> Site:
    """Location, evidence and anchor for a finding on `res`, pointing at `attr` (and its
    `index`-th list element) in the source when the answer wrote it as a keyword argument."""
    placed = source_site(ctx, res, attr, index)
    if placed is not None:
        return placed
    anchor = f"construct:{res.construct_id}"
    found = construct_call(ctx.trees, res.construct_id, ctx.stack_origin(res.stack))
    if found is None:
        return Site(Location(address=res.address, stack=res.stack), "", anchor)
    path, call = found
    span = statement_span(ctx.trees[path], path, call.lineno)
    if attr is not None:
        kw = next((k for k in call.keywords if k.arg == attr), None)
        if kw is not None:
            node = kw.value
            if index is not None and isinstance(node, ast.List | ast.Tuple) and index < len(node.elts):
                item = node.elts[index]
                span = Span(path, item.lineno, item.end_lineno or item.lineno)
            else:
                # The keyword's own line first: `backtrack_window=259200,` rather than `259200`.
                span = Span(path, kw.lineno, node.end_lineno or kw.lineno)
    location = Location(
        path=path,
        line=span.start,
        end_line=span.end if span.end != span.start else None,
        address=res.address,
        stack=res.stack,
    )
    return Site(location, quote(ctx.workspace.files, span), anchor)


def source_block(res: Resource) -> dict[str, Any] | None:
    """Where a platform that maps its answers into the Terraform model (HCL, a template) wrote
    the resource: `{"file", "line", "end_line", "attrs": {attr: line}}` under `//`, with
    `"ends": {attr: last line}` for a value written over several lines and
    `"items": {attr: [[line, last line], ...]}` for a nested block written more than once."""
    return _placed(res.config)


def _placed(config: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = config.get("//")
    found = meta.get("source") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) and found.get("file") and found.get("line") else None


def source_site(
    ctx: GradeContext, res: Resource, attr: str | None = None, index: int | None = None
) -> Site | None:
    """The site of a resource its platform placed itself (see `source_block`), at `attr`'s own
    line when the platform recorded one (its `index`-th block's, when written more than once);
    None for a resource cdktf synthesized."""
    block = source_block(res)
    if block is None:
        return None
    path, start = str(block["file"]), int(block["line"])
    end = int(block.get("end_line") or start)
    attr_line = (block.get("attrs") or {}).get(attr) if attr else None
    attr_end = (block.get("ends") or {}).get(attr, attr_line) if attr else None
    items = (block.get("items") or {}).get(attr) if attr and index is not None else None
    if isinstance(items, list) and index is not None and 0 <= index < len(items):
        attr_line, attr_end = items[index]
    if isinstance(attr_line, int) and attr_line > 0:
        start = attr_line
        end = attr_end if isinstance(attr_end, int) and attr_end >= attr_line else attr_line
    span = Span(path, start, end)
    location = Location(
        path=path,
        line=start,
        end_line=end if end != start else None,
        address=res.address,
        stack=res.stack,
    )
    return Site(location, quote(ctx.workspace.files, span), f"resource:{res.address}")


def provider_site(ctx: GradeContext, provider: Provider, attr: str) -> tuple[Location, str] | None:
    """The location and quoted line of a provider's `attr` where its platform placed the provider
    block (an HCL `provider` block); None for a provider cdktf synthesized."""
    block = _placed(provider.config)
    if block is None:
        return None
    line = (block.get("attrs") or {}).get(attr)
    start = line if isinstance(line, int) and line > 0 else int(block["line"])
    span = Span(str(block["file"]), start, start)
    return Location(path=span.path, line=start, stack=provider.stack), quote(ctx.workspace.files, span)


def spans_text(ctx: GradeContext, spans: list[Span]) -> str:
    """Several quoted spans, each headed by its place, for findings that involve more than one."""
    return "\n\n".join(f"# {s.path}:{s.start}\n{quote(ctx.workspace.files, s)}" for s in spans)


def resource_hit(
    ctx: GradeContext,
    res: Resource,
    message: str,
    attr: str | None = None,
    index: int | None = None,
    **extra: Any,
) -> Hit:
    """A `Hit` on `res` at its construct's source (the `attr` keyword when it is there)."""
    s = site(ctx, res, attr, index)
    return Hit(
        message=message,
        location=s.location,
        anchor=s.anchor,
        evidence=s.evidence,
        note=ctx.terraform_note,
        **extra,
    )


def built_by_repaired_call(ctx: GradeContext, res: Resource) -> bool:
    """Whether a repair round changed the arguments of the call that built `res` (a keyword
    dropped, a value converted): its JSON is then partly the worker's, so what it lacks says
    nothing of the answer."""
    synth = ctx.synth
    if synth is None or not synth.from_repair:
        return False
    loc = site(ctx, res).location
    if not loc.path or not loc.line:
        return False
    end = loc.end_line or loc.line
    return any(
        b.kind in CALL_REPAIRS and b.file == loc.path and loc.line <= b.line <= end for b in synth.blockers
    )


def repaired_among(ctx: GradeContext, stack: Stack, *types: str) -> bool:
    """Whether a repair changed the call of any resource of `types` in `stack`: a rule concluding
    from what those resources lack then concludes nothing."""
    return any(built_by_repaired_call(ctx, res) for res in stack.of_type(*types))
