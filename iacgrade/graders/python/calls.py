"""PY: the answer's own files against each other: calls its definitions do not accept.

`tap.py` calling `TapStack(app, name, environment_suffix=...)` while `lib/tap_stack.py` declares
`__init__(self, scope, id)` is the seed's first failure; it is found here by binding the call to
the definition the way Python would, across files, without running anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from iacgrade.graders.context import GradeContext
from iacgrade.graders.python.evidence import call_excerpt
from iacgrade.graders.python.symbols import bound_names, file_symbols, parents, resolve_type
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.wording import counted, plural
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import Span, callee_name, quote
from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex
from iacgrade.harness.platforms.cdktf_python.pysource import module_name, parse_python

# ---------------------------------------------------------------- PY007


@rule(
    id="PY007",
    name="call-does-not-match-definition",
    title="Constructor called with arguments it does not accept",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale=(
        "The model generated files that do not agree: a class or function defined in one file is "
        "called from another (often `tap.py`) with keywords or positional arguments its definition "
        "does not accept. Python raises `TypeError` at the call, which blocks synth: Critical."
    ),
    docs=(
        "https://docs.python.org/3/reference/expressions.html#calls",
        "https://developer.hashicorp.com/terraform/cdktf/concepts/stacks",
    ),
    impact=(
        "Deployment Blocker: Prevents synthesis entirely (exit code 1)",
        "CI/CD Failure: Blocks all automated deployments",
        "Training Quality Impact: Severe - the files of the answer were never run together",
    ),
    fix_minutes=5,
)
def call_does_not_match_definition(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a call of a class, function or method the answer defines (in any of its
    files, or the entry point that runs it) that passes a keyword the definition does not have,
    more positional arguments than it takes, a value twice, or leaves out a required parameter.
    Classes without their own `__init__` are checked against their base (`TerraformStack` takes
    `scope, id`). Decorated definitions and calls with `*args`/`**kwargs` are not judged.

    Why it matters: `TypeError: TapStack.__init__() got an unexpected keyword argument
    'environment_suffix'` stops synth before any resource exists.

    Bad: `tap.py`: `TapStack(app, name, environment_suffix=suffix)` with
    `lib/tap_stack.py`: `def __init__(self, scope: Construct, id: str):`

    Good: `def __init__(self, scope: Construct, stack_id: str, environment_suffix: str = "dev"):`

    References: Python call semantics; CDKTF stacks.
    """
    index = ctx.provider_api
    callers = caller_trees(ctx)
    defs = _Definitions(ctx.trees, index)
    for path, tree in sorted(callers.items()):
        yield from _check_file(ctx, path, tree, defs)


# ---------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Params:
    """A Python signature as the binding rules see it (after `self`)."""

    positional: tuple[str, ...]
    posonly: frozenset[str]
    required: frozenset[str]
    kwonly: tuple[str, ...]
    vararg: bool
    kwarg: bool
    where: Span | None = None
    label: str = ""
    # `super().__init__(..., **kwargs)` passing the extra keywords on: (the base, that call's line).
    forward: tuple[Params, int] | None = None
    # For a class without its own `__init__` whose base is a provider class: that class's name.
    inherited: str = ""

    @classmethod
    def of(
        cls, fn: ast.FunctionDef | ast.AsyncFunctionDef, drop_first: bool, path: str, label: str
    ) -> Params:
        a = fn.args
        pos = [x.arg for x in [*a.posonlyargs, *a.args]]
        defaults = len(a.defaults)
        required = set(pos[: len(pos) - defaults] if defaults else pos)
        required |= {k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None}
        posonly = {x.arg for x in a.posonlyargs}
        if drop_first and pos:
            required.discard(pos[0])
            posonly.discard(pos[0])
            pos = pos[1:]
        end = fn.body[0].lineno - 1 if fn.body and fn.body[0].lineno > fn.lineno else fn.lineno
        return cls(
            tuple(pos),
            frozenset(posonly),
            frozenset(required),
            tuple(k.arg for k in a.kwonlyargs),
            a.vararg is not None,
            a.kwarg is not None,
            Span(path, fn.lineno, max(end, fn.lineno)),
            label,
        )


@dataclass
class _Definitions:
    """Top-level classes and functions of the answer, by module."""

    trees: dict[str, ast.Module]
    index: ApiIndex | None
    by_module: dict[str, dict[str, tuple[str, ast.stmt]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path, tree in self.trees.items():
            names: dict[str, tuple[str, ast.stmt]] = {}
            counts: dict[str, int] = {}
            for stmt in tree.body:
                if isinstance(stmt, ast.ClassDef | ast.FunctionDef):
                    names[stmt.name] = (path, stmt)
                    counts[stmt.name] = counts.get(stmt.name, 0) + 1
            # A name defined twice (or rebound at module level) is not certain: leave it out.
            rebound = _module_level_assigned(tree)
            self.by_module[module_name(path)] = {
                n: d for n, d in names.items() if counts[n] == 1 and n not in rebound
            }

    def lookup(self, module: str, name: str) -> tuple[str, ast.stmt] | None:
        return self.by_module.get(module, {}).get(name)

    def class_params(self, path: str, cls: ast.ClassDef, depth: int = 0) -> Params | None:
        """The constructor of an answer class: its `__init__`, else its first base's."""
        if cls.decorator_list or depth > 5 or any(k.arg == "metaclass" for k in cls.keywords):
            return None
        inits = [s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name in ("__init__", "__new__")]
        if inits:
            init = inits[0]
            if len(inits) > 1 or init.name != "__init__" or init.decorator_list:
                return None
            params = Params.of(init, True, path, f"{cls.name}.__init__")
            forward = _forwarding_call(init)
            if forward is not None and len(cls.bases) == 1:
                base = self.base_params(path, cls.bases[0], depth, cls.name)
                if base is not None:
                    params = replace(params, forward=(base, forward.lineno))
            return params
        if not cls.bases:
            return None
        return self.base_params(path, cls.bases[0], depth, cls.name)

    def base_params(self, path: str, base: ast.expr, depth: int, label: str) -> Params | None:
        target = self.resolve(path, base)
        if target is not None:
            tpath, node = target
            return self.class_params(tpath, node, depth + 1) if isinstance(node, ast.ClassDef) else None
        if self.index is None:
            return None
        symbols = file_symbols(path, self.trees[path], self.index) if path in self.trees else None
        type_id = resolve_type(base, symbols, self.index) if symbols else None
        sig = self.index.signature(type_id) if type_id is not None else None
        if sig is None or sig.variadic:
            return None
        pos = tuple(p.name for p in sig.positional)
        required = {p.name for p in sig.positional if not p.optional}
        required |= {f.name for f in sig.keywords.values() if not f.optional}
        origin = self.index.info(type_id).name if type_id is not None else ""
        return Params(
            pos,
            frozenset(),
            frozenset(required),
            tuple(sig.keywords),
            False,
            False,
            None,
            label,
            inherited=origin,
        )

    def resolve(
        self, path: str, expr: ast.expr, tree: ast.Module | None = None
    ) -> tuple[str, ast.stmt] | None:
        """The answer definition an expression in `path` names, through the file's imports."""
        tree = tree or self.trees.get(path)
        own = module_name(path)
        if isinstance(expr, ast.Name):
            local = self.lookup(own, expr.id)
            if local is not None:
                return local
            return _imported(tree, path, expr.id, self) if tree is not None else None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and tree is not None:
            module = _module_alias(tree, path, expr.value.id)
            return self.lookup(module, expr.attr) if module else None
        return None


def _forwarding_call(init: ast.FunctionDef) -> ast.Call | None:
    """The `super().__init__(..., **kwargs)` call that hands `__init__`'s own `**kwargs` on."""
    kwarg = init.args.kwarg.arg if init.args.kwarg else None
    if kwarg is None:
        return None
    for node in ast.walk(init):
        if isinstance(node, ast.Call) and _is_super_init(node.func):
            spread = [k for k in node.keywords if k.arg is None]
            if len(spread) == 1 and isinstance(spread[0].value, ast.Name) and spread[0].value.id == kwarg:
                return node
    return None


def _module_level_assigned(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def absolute_module(path: str, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    package = module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, module] if module else base)


def _imported(tree: ast.Module, path: str, name: str, defs: _Definitions) -> tuple[str, ast.stmt] | None:
    found: list[tuple[str, ast.stmt]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = absolute_module(path, node.module, node.level)
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    target = defs.lookup(module, alias.name)
                    if target is None:
                        return None  # bound to something outside the answer: not ours to judge
                    found.append(target)
    unique = {id(t[1]) for t in found}
    return found[0] if len(unique) == 1 and name not in bound_names(tree) else None


def _module_alias(tree: ast.Module, path: str, name: str) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == name:
                    return alias.name
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return f"{absolute_module(path, node.module, node.level)}.{alias.name}".strip(".")
    return None


# ---------------------------------------------------------------- PY007 checks


def caller_trees(ctx: GradeContext) -> dict[str, ast.Module]:
    """The answer's files and the entry point that runs them (the scaffold's or the task's)."""
    trees = dict(ctx.trees)
    entry = ctx.workspace.entry
    if entry and entry not in trees and entry in ctx.workspace.files:
        parsed = parse_python({entry: ctx.workspace.files[entry]}).get(entry)
        if isinstance(parsed, ast.Module):
            trees[entry] = parsed
    return trees


def _check_file(ctx: GradeContext, path: str, tree: ast.Module, defs: _Definitions) -> Iterator[Hit]:
    up = parents(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue
        params = _callee_params(path, tree, node, up, defs)
        if params is None:
            continue
        problems = bind(params, node)
        if problems:
            yield _mismatch_hit(ctx, path, tree, node, params, problems)
        elif params.forward is not None:
            yield from _forwarded(ctx, path, tree, node, params)


def _callee_params(
    path: str, tree: ast.Module, call: ast.Call, up: dict[int, ast.AST], defs: _Definitions
) -> Params | None:
    func = call.func
    target = defs.resolve(path, func, tree)
    if target is not None:
        tpath, node = target
        if isinstance(node, ast.ClassDef):
            return defs.class_params(tpath, node)
        if isinstance(node, ast.FunctionDef) and not node.decorator_list:
            return Params.of(node, False, tpath, node.name)
        return None
    cls = _enclosing_class(call, up)
    if cls is None or path not in defs.trees:
        return None
    if _is_super_init(func):
        return defs.base_params(path, cls.bases[0], 0, cls.name) if len(cls.bases) == 1 else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return _method_params(path, cls, func.attr, defs)
    return None


def _is_super_init(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
        and not func.value.args
    )


def _enclosing_class(node: ast.AST, up: dict[int, ast.AST]) -> ast.ClassDef | None:
    current = up.get(id(node))
    seen_function = False
    while current is not None:
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            if seen_function:
                return None  # a nested function: `self` may be anything there
            seen_function = True
        if isinstance(current, ast.ClassDef):
            return current if seen_function else None
        current = up.get(id(current))
    return None


def _method_params(path: str, cls: ast.ClassDef, name: str, defs: _Definitions) -> Params | None:
    if cls.decorator_list:
        return None
    methods = [
        s for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == name
    ]
    assigned = any(
        isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and n.attr == name
        for n in ast.walk(cls)
    )
    if len(methods) != 1 or assigned:
        return None  # not defined here (maybe inherited from a provider class), or defined twice
    method = methods[0]
    decorators = {d.id for d in method.decorator_list if isinstance(d, ast.Name)}
    if len(decorators) != len(method.decorator_list) or decorators - {"staticmethod", "classmethod"}:
        return None
    return Params.of(method, "staticmethod" not in decorators, path, f"{cls.name}.{name}")


def bind(params: Params, call: ast.Call) -> list[str]:
    """What Python would reject when binding `call` to `params` (no `*args`/`**kwargs` in the call)."""
    problems: list[str] = []
    npos = len(call.args)
    if npos > len(params.positional) and not params.vararg:
        problems.append(
            f"takes {counted(len(params.positional), 'positional argument')} after `self` but {npos} "
            f"{'was' if npos == 1 else 'were'} given"
        )
    filled = set(params.positional[:npos])
    accepted = (set(params.positional) - params.posonly) | set(params.kwonly)
    unexpected: list[str] = []
    for kw in call.keywords:
        name = kw.arg or ""
        if name in filled:
            problems.append(f"got multiple values for argument `{name}`")
        elif name not in accepted and not params.kwarg:
            unexpected.append(name)
        filled.add(name)
    if unexpected:
        listed = ", ".join(f"`{n}`" for n in unexpected)
        problems.append(f"got unexpected keyword argument{'s' if len(unexpected) > 1 else ''} {listed}")
    missing = sorted(params.required - filled, key=lambda n: (*params.positional, *params.kwonly).index(n))
    if missing:
        problems.append(
            f"missing required {plural(len(missing), 'argument')} " + ", ".join(f"`{m}`" for m in missing)
        )
    return problems


def _mismatch_hit(
    ctx: GradeContext, path: str, tree: ast.Module, call: ast.Call, params: Params, problems: list[str]
) -> Hit:
    files = ctx.workspace.files
    call_text = call_excerpt(files, tree, path, call)
    where = params.where
    definition = f"# {where.path}:{where.start}\n{quote(files, where)}\n\n" if where else ""
    owner = params.label.removesuffix(".__init__")
    anchor = f"def:{params.label}" if where else f"call:{callee_name(call) or owner}"
    caller = "" if path in ctx.trees else " (the entry point that runs the answer, not written by it)"
    defined = (
        f" defined at {where.path}:{where.start}"
        if where
        else f" (whose constructor is the inherited `{params.inherited}.__init__`)"
    )
    first = problems[0].replace("`", "'")
    if first.startswith("got unexpected keyword"):
        # Python names the first one only: "got an unexpected keyword argument 'x'".
        first = "got an unexpected keyword argument " + first.split(" ", 4)[-1].split(",")[0]
    return Hit(
        title=f"{owner} called with arguments its definition does not accept",
        message=(
            f"`{params.label}`{defined} is called at {path}:{call.lineno}{caller} in a way it does not "
            f"accept: {'; '.join(problems)}. Synthesis stops with `TypeError`."
        ),
        location=Location(path=path, line=call.lineno),
        anchor=anchor,
        fix_anchor=anchor if where else "",
        evidence=f"{definition}# {path}:{call.lineno}\n{call_text}",
        error=f"TypeError: {params.label}() {first}",
    )


def _forwarded(
    ctx: GradeContext, path: str, tree: ast.Module, call: ast.Call, params: Params
) -> Iterator[Hit]:
    """Keywords that land in `**kwargs` and are handed to a base that does not take them."""
    assert params.forward is not None and params.where is not None
    base, line = params.forward
    base_name = base.inherited or base.label
    named = set(params.positional) | set(params.kwonly)
    extra = [k.arg for k in call.keywords if k.arg and k.arg not in named]
    accepted = (set(base.positional) - base.posonly) | set(base.kwonly)
    unexpected = [k for k in extra if k not in accepted] if not base.kwarg else []
    if not unexpected:
        return
    files = ctx.workspace.files
    where = params.where
    listed = ", ".join(f"`{k}`" for k in unexpected)
    defining = Span(where.path, where.start, max(where.end, line))
    yield Hit(
        title=f"{params.label.split('.')[0]} passes keywords on to {base_name} that it does not accept",
        message=(
            f"The call at {path}:{call.lineno} passes {listed} to `{params.label}`, whose `**kwargs` go on "
            f"to `super().__init__` at {where.path}:{line}; `{base_name}` does not take them, so "
            "synthesis stops with `TypeError` there."
        ),
        location=Location(path=where.path, line=line),
        anchor=f"def:{params.label}",
        fix_anchor=f"def:{params.label}",
        evidence=(
            f"# {where.path}:{where.start}\n{quote(files, defining)}\n\n"
            f"# {path}:{call.lineno}\n{call_excerpt(files, tree, path, call)}"
        ),
        error=f"TypeError: {base_name}.__init__() got an unexpected keyword argument '{unexpected[0]}'",
    )
