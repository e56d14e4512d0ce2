"""PY: attributes read from provider objects that their class does not have.

`cluster = EksCluster(self, ...)` then `cluster.identity_get(0)`: the generated class has
`identity` (a list whose `.get(0)` gives the block), not `identity_get`, and Python raises
`AttributeError` during synth. A variable is followed only when the answer binds it exactly once,
to a call of an indexed class, in the same function (or `self.<name>` once in the same class).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.python.symbols import FileSymbols, file_symbols, parents, resolve_type
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import construct_id, quote, statement_span
from iacgrade.harness.platforms.cdktf_python.provider_api import CLASS, ApiIndex, close_names

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)


@rule(
    id="PY009",
    name="missing-provider-attribute",
    title="Attribute a provider object does not have",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The answer reads an attribute that the provider class does not define (a method of "
        "another CDKTF language binding, a guessed getter). Python raises `AttributeError` while the "
        "stack is built, which blocks synth: Critical."
    ),
    docs=(
        "https://developer.hashicorp.com/terraform/cdktf/concepts/resources#references",
        "https://constructs.dev/packages/@cdktf/provider-aws",
    ),
    impact=(
        "Deployment Blocker: Prevents synthesis entirely (exit code 1)",
        "Training Quality Impact: High - the attribute was guessed, not taken from the provider's API",
    ),
    fix_minutes=5,
)
def missing_provider_attribute(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `x.attr` where `x` is bound (once, in the same function, or as `self.x` once
    in the same class) to an object created from a provider class, and neither that class nor its
    bases (`TerraformResource`, `Construct`...) have `attr`. Suggests the closest attribute; for
    `<block>_get(i)` it suggests `<block>.get(i)`.

    Why it matters: `AttributeError: 'EksCluster' object has no attribute 'identity_get'` stops
    synth at the first such read; this rule lists all of them.

    Bad: `url=eks_cluster.identity_get(0).oidc_get(0).issuer`

    Good: `url=eks_cluster.identity.get(0).oidc.get(0).issuer`

    References: CDKTF resource references; the provider's Python API.
    """
    index = ctx.provider_api
    if index is None:
        return
    for path, tree in sorted(ctx.trees.items()):
        symbols = file_symbols(path, tree, index)
        up = parents(tree)
        instances = _instances(tree, symbols, index, up)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)):
                continue
            if node.attr.startswith("_"):
                continue
            key = _key(node.value, up)
            type_id = instances.get(key) if key else None
            if type_id is None:
                continue
            if node.attr in index.members(type_id):
                continue
            yield _hit(ctx, path, tree, node, type_id, index, up)


def _key(expr: ast.expr, up: dict[int, ast.AST]) -> tuple[int, str] | None:
    """Where a variable lives: (id of its function or class, name)."""
    if isinstance(expr, ast.Name):
        scope = _scope(expr, up)
        return (id(scope), expr.id) if scope is not None else None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        cls = _class(expr, up)
        return (id(cls), f"self.{expr.attr}") if cls is not None else None
    return None


def _scope(node: ast.AST, up: dict[int, ast.AST]) -> ast.AST | None:
    current = up.get(id(node))
    while current is not None and not isinstance(current, _SCOPES):
        current = up.get(id(current))
    return current


def _class(node: ast.AST, up: dict[int, ast.AST]) -> ast.ClassDef | None:
    current = up.get(id(node))
    while current is not None and not isinstance(current, ast.ClassDef):
        current = up.get(id(current))
    return current


def _instances(
    tree: ast.Module, symbols: FileSymbols, index: ApiIndex, up: dict[int, ast.AST]
) -> dict[tuple[int, str], int]:
    """Variables bound exactly once, to an object of an indexed class."""
    bindings: dict[tuple[int, str], list[int | None]] = {}
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            targets = [node.target]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, ast.arguments):
            scope = up.get(id(node))
            for a in [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]:
                if a is not None and scope is not None:
                    bindings.setdefault((id(scope), a.arg), []).append(None)
        for target in targets:
            single = len(targets) == 1 and isinstance(node, ast.Assign | ast.AnnAssign)
            for name in _stored(target):
                key = _key(name, up)
                if key is None:
                    continue
                type_id = _created(value, symbols, index) if single and name is target else None
                bindings.setdefault(key, []).append(type_id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Global | ast.Nonlocal):
            scope = _scope(node, up)
            for declared in node.names:
                bindings.setdefault((id(scope), declared), []).append(None)
    return {k: v[0] for k, v in bindings.items() if len(v) == 1 and v[0] is not None}


def _stored(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _stored(e)]
    if isinstance(target, ast.Starred):
        return _stored(target.value)
    if isinstance(target, ast.Name) or (
        isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
    ):
        return [target]
    return []


def _created(value: ast.expr | None, symbols: FileSymbols, index: ApiIndex) -> int | None:
    if not isinstance(value, ast.Call):
        return None
    type_id = resolve_type(value.func, symbols, index)
    if type_id is None or index.kind(type_id) != CLASS or index.signature(type_id) is None:
        return None
    return type_id


def _hit(
    ctx: GradeContext,
    path: str,
    tree: ast.Module,
    node: ast.Attribute,
    type_id: int,
    index: ApiIndex,
    up: dict[int, ast.AST],
) -> Hit:
    name = index.info(type_id).name
    members = sorted(m for m in index.members(type_id) if not m.startswith("_"))
    hint = ""
    if node.attr.endswith("_get") and node.attr[:-4] in members:
        hint = f" Use `.{node.attr[:-4]}.get(<index>)`: the block is a list whose `get` returns one item."
    else:
        # `cluster_endpoint` for `endpoint`: the attribute with the resource's name in front of it.
        suffixed = [m for m in members if node.attr.endswith("_" + m)]
        close = list(dict.fromkeys([*suffixed[:1], *close_names(node.attr, members, n=2)]))[:2]
        if close:
            hint = " Did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    variable = ast.unparse(node.value)
    return Hit(
        title=f"{name} has no attribute `{node.attr}`",
        message=(
            f"`{variable}` (an object of `{name}`) has no attribute `{node.attr}`: synth stops with "
            f"`AttributeError: '{name}' object has no attribute '{node.attr}'`.{hint}"
        ),
        location=Location(path=path, line=node.lineno),
        anchor=_anchor(node, up) or f"call:{name}",
        evidence=quote(ctx.workspace.files, statement_span(tree, path, node.lineno)),
        error=f"AttributeError: '{name}' object has no attribute '{node.attr}'",
    )


def _anchor(node: ast.AST, up: dict[int, ast.AST]) -> str:
    current = up.get(id(node))
    while current is not None and not isinstance(current, ast.stmt):
        if isinstance(current, ast.Call) and len(current.args) >= 2 and (cid := construct_id(current)):
            return f"construct:{cid}"
        current = up.get(id(current))
    return ""
