"""Putting a repair plan in place for one app, and taking it away again."""

from __future__ import annotations

import builtins
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .adapt import CallAdapter
from .coerce import Coercer, is_struct
from .plan import PROVIDER_PREFIX, TOOLCHAIN_ROOTS, Placeholder, Recorder, RepairPlan, loaded


class _PlaceholderModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Placeholder(f"{self.__name__}.{name}")


class _MissingModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves a stand-in for each module the plan found missing (and for its submodules)."""

    def __init__(self, plan: RepairPlan) -> None:
        self.plan = plan

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        alias = self.plan.module_aliases.get(fullname)
        if alias is not None:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if any(fullname == m or fullname.startswith(m + ".") for m in self.plan.missing_modules):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        alias = self.plan.module_aliases.get(spec.name)
        if alias is not None:
            return importlib.import_module(alias)
        module = _PlaceholderModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


@contextlib.contextmanager
def installed(plan: RepairPlan, workspace: str, answer_modules: Sequence[str] = ()) -> Iterator[None]:
    """Everything the plan says, in place for one app; the toolchain as it was on exit."""
    import jsii._runtime as jsii_runtime
    from typeguard import check_type

    cdktf = importlib.import_module("cdktf")
    adapter = CallAdapter(plan, Recorder(workspace), Coercer(cdktf, check_type), workspace)
    meta = jsii_runtime.JSIIMeta
    original_call = meta.__call__
    structs = _struct_classes(answer_modules)
    # `super().__init__(scope, id, **kwargs)` reaches a base class without the metaclass call.
    bases = [cdktf.TerraformStack, importlib.import_module("constructs").Construct]
    saved_inits = {cls: cls.__dict__["__init__"] for cls in [*structs, *bases] if "__init__" in cls.__dict__}
    saved_builtins = {n: builtins.__dict__.get(n, _ABSENT) for n in plan.names}
    saved_attrs: list[tuple[Any, str, Any]] = []
    finder = _MissingModuleFinder(plan)
    _lay_missing_files(plan.files, plan.folders, workspace)
    stack = contextlib.ExitStack()
    app_cls = cdktf.App
    app_init = app_cls.__dict__["__init__"]

    def call(cls: Any, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = adapter.adapt(cls, args, kwargs)
        return original_call(cls, *args, **kwargs)

    try:
        meta.__call__ = call  # type: ignore[method-assign]
        for cls, init in saved_inits.items():
            cls.__init__ = _wrap_struct_init(cls, init, adapter)
        for name, value in plan.names.items():
            setattr(builtins, name, value)
        for owner, attr in plan.attributes.values():
            saved_attrs.append((owner, attr, owner.__dict__.get(attr, _ABSENT)))
            stand_in = Placeholder(attr) if isinstance(owner, types.ModuleType) else _attribute_stand_in(attr)
            with contextlib.suppress(AttributeError, TypeError):
                setattr(owner, attr, stand_in)
        served = serve_import_names(plan)
        sys.meta_path.insert(0, finder)
        if plan.skip_validation:
            app_cls.__init__ = _without_validation(app_init)
        stack.enter_context(_compiled_with_edits(plan.edits, workspace))
        yield
    finally:
        stack.close()
        app_cls.__init__ = app_init
        unserve(served)
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        for owner, attr, previous in saved_attrs:
            with contextlib.suppress(AttributeError, TypeError):
                if previous is _ABSENT:
                    delattr(owner, attr)
                else:
                    setattr(owner, attr, previous)
        for name, previous in saved_builtins.items():
            if previous is _ABSENT:
                builtins.__dict__.pop(name, None)
            else:
                setattr(builtins, name, previous)
        for cls, init in saved_inits.items():
            cls.__init__ = init
        meta.__call__ = original_call  # type: ignore[method-assign]


_ABSENT = object()


EDIT_NAME = "__iacgrade_placeholder__"


@contextlib.contextmanager
def _compiled_with_edits(edits: set[tuple[str, int, str]], workspace: str) -> Iterator[None]:
    """Compile the answer's files with the planned edits: same file names and line numbers, the
    files on disk untouched."""
    if not edits:
        yield
        return
    import ast
    import runpy

    root = os.path.realpath(workspace) + os.sep
    by_file: dict[str, set[tuple[int, str]]] = {}
    for file, line, attr in edits:
        by_file.setdefault(root + file, set()).add((line, attr))

    def compiled(path: str) -> Any:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
        tree = ast.fix_missing_locations(_AttributeEraser(by_file[path]).visit(tree))
        return compile(tree, path, "exec", dont_inherit=True)

    loader = importlib.machinery.SourceFileLoader
    get_code, from_file = loader.get_code, runpy._get_code_from_file  # type: ignore[attr-defined]

    def loader_get_code(self: Any, fullname: str) -> Any:
        path = os.path.realpath(self.get_filename(fullname))
        return compiled(path) if path in by_file else get_code(self, fullname)

    def runpy_code(*args: Any) -> Any:
        fname = os.path.realpath(str(args[-1]))
        if fname in by_file:
            return compiled(fname) if len(args) == 1 else (compiled(fname), fname)
        return from_file(*args)

    setattr(builtins, EDIT_NAME, Placeholder("edited"))
    loader.get_code = loader_get_code  # type: ignore[method-assign]
    runpy._get_code_from_file = runpy_code  # type: ignore[attr-defined]
    try:
        yield
    finally:
        loader.get_code = get_code  # type: ignore[method-assign]
        runpy._get_code_from_file = from_file  # type: ignore[attr-defined]
        builtins.__dict__.pop(EDIT_NAME, None)


class _AttributeEraser:
    """Replaces `<expr>.<attr>` on the planned lines by the placeholder name."""

    def __init__(self, targets: set[tuple[int, str]]) -> None:
        import ast

        self.targets = targets
        eraser = self

        class Visitor(ast.NodeTransformer):
            def visit_Attribute(self, node: ast.Attribute) -> Any:
                node = self.generic_visit(node)  # type: ignore[assignment]
                if isinstance(node.ctx, ast.Load) and eraser.hit(node):
                    return ast.copy_location(ast.Name(id=EDIT_NAME, ctx=ast.Load()), node)
                return node

        self.visitor = Visitor()

    def hit(self, node: Any) -> bool:
        end = getattr(node, "end_lineno", node.lineno) or node.lineno
        return any(node.attr == attr and node.lineno <= line <= end for line, attr in self.targets)

    def visit(self, tree: Any) -> Any:
        return self.visitor.visit(tree)


def _without_validation(init: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["skip_validation"] = True
        init(self, *args, **kwargs)

    __init__.__wrapped__ = init  # type: ignore[attr-defined]
    return __init__


# An empty zip archive: what a build step would have written, with nothing in it.
_EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


def _lay_missing_files(paths: set[str], folders: set[str], workspace: str) -> None:
    root = os.path.realpath(workspace)
    for rel in sorted(paths):
        target = os.path.realpath(os.path.join(root, rel))
        if rel in folders and os.path.isfile(target) and not os.path.islink(target):
            with contextlib.suppress(OSError):
                os.unlink(target)  # the empty file an earlier round laid, now wanted as a folder
        if not target.startswith(root + os.sep) or os.path.lexists(target):
            continue
        with contextlib.suppress(OSError):
            if rel in folders:
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(_EMPTY_ZIP if target.endswith(".zip") else b"")


def _wrap_struct_init(cls: type, init: Any, adapter: CallAdapter) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        args, kwargs = adapter.adapt(cls, args, kwargs, init)
        init(self, *args, **kwargs)

    __init__.__wrapped__ = init  # type: ignore[attr-defined]
    return __init__


def _attribute_stand_in(attr: str) -> Any:
    if attr == "__getitem__":
        # A complex list of the provider (`cluster.identity[0]`) is read with `.get(0)`.
        return lambda self, index: self.get(index) if hasattr(self, "get") else Placeholder("[]")
    # `x.identity_get(0).oidc_get(0).issuer` and `x.arn_x` alike: a property that is a placeholder.
    return property(lambda self: Placeholder(attr))


def _struct_classes(answer_modules: Sequence[str]) -> list[type]:
    """The jsii structs of the toolchain modules the answer imports (the only ones it can call)."""
    found: list[type] = []
    seen: set[int] = set()
    for name in answer_modules:
        module = sys.modules.get(name)
        if module is None:
            continue
        for value in vars(module).values():
            if is_struct(value) and id(value) not in seen and getattr(value, "__module__", "") == name:
                seen.add(id(value))
                found.append(value)
    return found


def imported_toolchain_modules(sources: Mapping[str, str]) -> list[str]:
    """The toolchain modules the answer's files import, by dotted name."""
    import ast

    found: set[str] = set()
    for text in sources.values():
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
    roots = (PROVIDER_PREFIX, *TOOLCHAIN_ROOTS)
    return sorted(m for m in found if m.startswith(roots) and m in sys.modules)


def serve_import_names(plan: RepairPlan) -> list[tuple[types.ModuleType, Any]]:
    """Module-level `__getattr__`s that serve the names the plan could not import; restore with
    `unserve`."""
    patched: list[tuple[types.ModuleType, Any]] = []
    for module_name, names in plan.import_names.items():
        module = loaded(module_name)
        if module is None:
            continue
        previous = module.__dict__.get("__getattr__", _ABSENT)
        patched.append((module, previous))
        module.__getattr__ = _serving(module, names, previous)  # type: ignore[method-assign]
    return patched


def unserve(patched: list[tuple[types.ModuleType, Any]]) -> None:
    for module, previous in patched:
        if previous is _ABSENT:
            module.__dict__.pop("__getattr__", None)
        else:
            module.__getattr__ = previous  # type: ignore[method-assign]


def _serving(module: types.ModuleType, names: set[str], previous: Any) -> Callable[[str], Any]:
    def resolve(name: str) -> Any:
        if previous is not _ABSENT:
            try:
                return previous(name)
            except AttributeError:
                pass
        if name in names:
            return Placeholder(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    return resolve
