"""Can a value written in the answer ever match a provider parameter's type? Read from literals only.

Two paths carry a value to the provider, and they treat dicts differently (measured with real
synths of cdktf 0.21 / provider-aws 21.22):

- "python": a keyword of a provider class or struct, or a field of a struct given as a dict where
  a *single* struct is expected. The generated bindings check the type (`TypeError`) and turn a
  dict into the struct with `Struct(**d)`: snake_case keys work, any other key is a `TypeError`.
- "kernel": anything inside a list or a map (`route=[{...}]`). The bindings pass it through as is,
  and the JavaScript side reads the camelCase field names: `{"cidr_block": ...}` loses its value
  silently (every field null), `{"protocol": ...}` keeps it (one word, same in both spellings),
  and a required field absent under its camelCase name stops synth ("Unable to deserialize").

Only literals are judged (strings, numbers, lists, dicts, calls of indexed classes); a variable,
an attribute or any other expression is assumed to fit.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from iacgrade.graders.python.symbols import FileSymbols, resolve_type
from iacgrade.harness.platforms.cdktf_python.provider_api import (
    CLASS,
    ENUM,
    INTERFACE,
    STRUCT,
    ApiIndex,
    Ref,
    camel_case,
)

_LITERAL_BUILTINS = {"str": "str", "int": "number", "float": "number", "len": "number", "bool": "bool"}
_STR_METHODS = {"format", "join", "lower", "upper", "strip", "replace", "title", "capitalize"}


@dataclass
class DictIssue:
    """What happens to one dict given where a struct is expected."""

    node: ast.Dict
    struct: str
    where: str
    dropped_snake: list[tuple[str, str]] = field(default_factory=list)  # (key, camelCase that works)
    dropped_unknown: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    # The value written for each dropped key, and the camelCase keys that did arrive.
    values: dict[str, ast.expr] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)


@dataclass
class ShapeIssue:
    """A value that cannot match its parameter: synth stops with a TypeError or a jsii error."""

    node: ast.AST
    text: str
    where: str = ""


@dataclass
class ValueReport:
    shape: list[ShapeIssue] = field(default_factory=list)
    dicts: list[DictIssue] = field(default_factory=list)
    missing: list[tuple[ast.AST, str, list[str], str]] = field(
        default_factory=list
    )  # dict, struct, names, where


class ShapeChecker:
    """Checks literal values against type references of the index."""

    def __init__(self, index: ApiIndex, symbols: FileSymbols) -> None:
        self.index = index
        self.symbols = symbols

    # -- what a literal is

    def shape(self, node: ast.AST) -> str | int | None:
        """ "str", "number", "bool", "none", "list", "dict", a type id, or None when unknown."""
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return "bool"
            if isinstance(value, int | float):
                return "number"
            if isinstance(value, str):
                return "str"
            if value is None:
                return "none"
            return None
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
            return "list"
        if isinstance(node, ast.Dict | ast.DictComp):
            return "dict"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if self.shape(node.left) == "str" and isinstance(node.op, ast.Mod | ast.Add):
                return "str"
            return None
        if isinstance(node, ast.Call):
            func = node.func
            # `str(x)`, `int(x)`... unless the answer rebinds or imports that name.
            shadowed = isinstance(func, ast.Name) and (
                func.id in self.symbols.assigned or func.id in self.symbols.imports
            )
            if isinstance(func, ast.Name) and func.id in _LITERAL_BUILTINS and not shadowed:
                return _LITERAL_BUILTINS[func.id]
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _STR_METHODS
                and self.shape(func.value) == "str"
            ):
                return "str"
            found = resolve_type(func, self.symbols, self.index)
            if found is not None and self.index.kind(found) in (CLASS, STRUCT):
                return found
        return None

    # -- matching

    def check(self, node: ast.AST, ref: Ref, mode: str, report: ValueReport, where: str = "") -> bool:
        """True when `node` can match `ref`; records what is wrong (and `where`) in `report` otherwise."""
        if isinstance(node, ast.IfExp):
            # Either branch may run: a branch that can never fit is a failure waiting for its turn.
            body = self.check(node.body, ref, mode, report, where)
            return self.check(node.orelse, ref, mode, report, where) and body
        shape = self.shape(node)
        if shape is None or shape == "none" or ref == "a" or ref == "d":
            return True
        if isinstance(ref, tuple) and ref[0] == "U":
            return self._union(node, shape, ref, mode, report, where)
        trial = ValueReport()
        ok = self._match(node, shape, ref, mode, trial, where)
        _merge(report, trial)
        return ok

    def _union(
        self, node: ast.AST, shape: str | int, ref: tuple, mode: str, report: ValueReport, where: str
    ) -> bool:
        trials = []
        for member in ref[1:]:
            trial = ValueReport()
            if self._match(node, shape, member, mode, trial, where) and not trial.shape:
                _merge(report, trial)
                return True
            trials.append((member, trial))
        # No member fits: explain with the member of the same container kind, if any.
        for member, trial in trials:
            if _container(member) == _container_of_shape(shape) and (trial.shape or trial.dicts):
                _merge(report, trial)
                return False
        report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
        return False

    def _match(
        self, node: ast.AST, shape: str | int, ref: Ref, mode: str, report: ValueReport, where: str
    ) -> bool:
        if isinstance(ref, str):
            want = {"s": "str", "n": "number", "b": "bool"}.get(ref)
            if want is None or shape == want:
                return True
            report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
            return False
        if isinstance(ref, int):
            return self._named(node, shape, ref, mode, report, where)
        kind = ref[0]
        if kind == "U":
            return self._union(node, shape, ref, mode, report, where)
        if kind == "L":
            if shape != "list":
                report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
                return False
            ok = True
            for i, element in enumerate(_elements(node)):
                ok = self.check(element, ref[1], "kernel", report, f"{where}[{i}]") and ok
            return ok
        if kind == "M":
            if shape != "dict":
                report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
                return False
            ok = True
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if key is None:
                        # `**spread` merges a whole mapping into this one: its values are the
                        # map's values, the mapping itself is not one of them.
                        ok = self.check(value, ref, mode, report, where) and ok
                        continue
                    label = repr(key.value) if isinstance(key, ast.Constant) else "..."
                    ok = self.check(value, ref[1], "kernel", report, f"{where}[{label}]") and ok
            return ok
        return True

    def _named(
        self, node: ast.AST, shape: str | int, ref: int, mode: str, report: ValueReport, where: str
    ) -> bool:
        kind = self.index.kind(ref)
        if kind == INTERFACE:
            # A behavioural interface (IResolvable, ITerraformDependable...): no literal is one, but
            # an object of an indexed class may implement it; the index does not say which.
            if isinstance(shape, int):
                return True
            report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
            return False
        if kind == ENUM:
            if isinstance(shape, int):
                return True
            report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
            return False
        if kind == CLASS:
            if isinstance(shape, int) and self._is_subclass(shape, ref):
                return True
            if isinstance(shape, int) and self.index.kind(shape) == CLASS:
                return True  # an unrelated class may still implement what is asked: do not judge
            report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
            return False
        if kind != STRUCT:
            return True
        if shape == "dict":
            if isinstance(node, ast.Dict):
                self._struct_dict(node, ref, mode, report, where)
            return True
        if shape == ref:
            return True
        report.shape.append(ShapeIssue(node, self._mismatch(shape, ref), where))
        return False

    def _struct_dict(self, node: ast.Dict, struct: int, mode: str, report: ValueReport, where: str) -> None:
        keys = _string_keys(node)
        if keys is None:
            return  # `**spread` or computed keys: the real keys are unknown
        fields = self.index.fields(struct)
        name = self.index.info(struct).name
        if mode == "python":
            unknown = [k for k, _ in keys if k not in fields]
            if unknown:
                listed = ", ".join(f"`{k}`{_python_hint(k, fields)}" for k in unknown)
                report.shape.append(
                    ShapeIssue(
                        node, f"is a dict turned into `{name}(**dict)`, which has no field {listed}", where
                    )
                )
            missing = [f.name for f in fields.values() if not f.optional and f.name not in dict(keys)]
            if missing and not unknown:
                report.missing.append((node, name, missing, where))
            for key, value in keys:
                if key in fields:
                    self.check(value, fields[key].ref, "python", report, f"{where}.{key}")
            return
        by_jsii = {f.jsii_name: f for f in fields.values()}
        issue = DictIssue(node, name, where)
        for key, value in keys:
            if key in by_jsii:
                issue.kept.add(key)
                self.check(value, by_jsii[key].ref, "kernel", report, f"{where}.{key}")
            elif key in fields:
                issue.dropped_snake.append((key, fields[key].jsii_name))
                issue.values[key] = value
            else:
                issue.dropped_unknown.append(key)
                issue.values[key] = value
        present = {k for k, _ in keys}
        issue.missing_required = [
            f.jsii_name for f in fields.values() if not f.optional and f.jsii_name not in present
        ]
        if issue.dropped_snake or issue.dropped_unknown or issue.missing_required:
            report.dicts.append(issue)

    def _is_subclass(self, child: int, parent: int) -> bool:
        seen = 0
        current = child
        while current >= 0 and seen < 50:
            if current == parent:
                return True
            entry = self.index.entry(current)
            if entry[0] != CLASS:
                return False
            current = entry[3]
            seen += 1
        return False

    def _mismatch(self, shape: str | int, ref: Ref) -> str:
        what = self.index.info(shape).name if isinstance(shape, int) else _SHAPE_WORDS.get(shape, shape)
        return f"is {what}, but takes {self.index.describe(ref)}"


_SHAPE_WORDS = {
    "str": "a string",
    "number": "a number",
    "bool": "a boolean",
    "list": "a list",
    "dict": "a dict",
}


def _merge(into: ValueReport, other: ValueReport) -> None:
    into.shape.extend(other.shape)
    into.dicts.extend(other.dicts)
    into.missing.extend(other.missing)


def _container(ref: Ref) -> str:
    if isinstance(ref, tuple) and ref[0] in ("L", "M"):
        return "list" if ref[0] == "L" else "dict"
    return "other"


def _container_of_shape(shape: str | int) -> str:
    return shape if shape in ("list", "dict") else "other"


def _elements(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple):
        return [e for e in node.elts if not isinstance(e, ast.Starred)]
    if isinstance(node, ast.ListComp):
        return [node.elt]
    return []


def _string_keys(node: ast.Dict) -> list[tuple[str, ast.expr]] | None:
    out = []
    for key, value in zip(node.keys, node.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        out.append((key.value, value))
    return out


def _python_hint(key: str, fields: dict) -> str:
    for name, f in fields.items():
        if f.jsii_name == key or camel_case(name) == key:
            return f" (the Python spelling is `{name}`)"
    return ""
