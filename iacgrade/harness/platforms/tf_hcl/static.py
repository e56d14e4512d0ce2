"""The value of an HCL expression when it is known without Terraform: literals, `var.x` (its
default or tfvars value), `local.x`, `count.index`/`each.key`/`each.value`, `length`, `toset`,
`tolist`, `keys`, `values`, `concat`, `==`/`!=`/`<`/`>`/`<=`/`>=`, `&&`/`||`, `!`, a condition
`c ? a : b`, whole-number `+ - * %`, and an index that is itself static
(`local.config[var.env]`); `length()` of a block already expanded into instances is
their number. Anything else (a resource's attribute, another function) is UNKNOWN: the caller
then keeps the expression as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from iacgrade.harness.platforms.tf_hcl.parse import parse_text

MAX_DEPTH = 12


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class StrSet(tuple[str, ...]):
    """A set of strings (`toset([...])`), in the order Terraform iterates it (sorted)."""


@dataclass(frozen=True)
class Raw:
    """A value known only as the expression it is (`${aws_sqs_queue.a.arn}`): `each.value` of a
    map whose keys are known but not its values. It can be written in where it is used, not
    computed with."""

    text: str

    @property
    def inner(self) -> str:
        return self.text[2:-1]


@dataclass(frozen=True)
class Scope:
    """What names stand for: variables' values, locals, and one instance's `count`/`each`."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    locals: Mapping[str, Any] = field(default_factory=dict)
    instance: Mapping[str, Any] = field(default_factory=dict)  # {"count": {...}} or {"each": {...}}
    # Blocks expanded so far: address -> instance keys (`length(aws_subnet.a)`, `for_each = ...`).
    blocks: Mapping[str, list[int | str]] = field(default_factory=dict)


_INT = re.compile(r"-?\d+")
_STRING = re.compile(r'"([^"\\$%]*)"')
_ROOT = re.compile(r"(var|local|count|each)(?=[.\[])")
_CALL = re.compile(r"([a-z]+)\((.*)\)", re.DOTALL)


def interpolations(text: str) -> list[tuple[int, int]] | None:
    """(start, end) of every top-level `${...}` in a string, or None when one is left open."""
    found: list[tuple[int, int]] = []
    pos = 0
    while (start := text.find("${", pos)) >= 0:
        end = _closing(text, start + 2, "}")
        if end < 0:
            return None
        found.append((start, end + 1))
        pos = end + 1
    return found


def _closing(text: str, i: int, want: str) -> int:
    """The index of the `want` bracket closing at depth 0 from `i`, quoted strings skipped."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _string_end(text, i + 1)
            if i < 0:
                return -1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i if c == want else -1
            depth -= 1
        i += 1
    return -1


def _string_end(text: str, i: int) -> int:
    """The index of the quote closing the string that opens before `i`."""
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith("${", i):
            end = _closing(text, i + 2, "}")
            if end < 0:
                return -1
            i = end + 1
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _top_level(text: str, ops: tuple[str, ...]) -> list[tuple[int, str]]:
    """Positions of the operators `ops` outside brackets and strings."""
    out: list[tuple[int, str]] = []
    starts = {o[0] for o in ops}
    depth, i = 0, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _string_end(text, i + 1)
            if i < 0:
                return []
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c in starts:
            op = next((o for o in ops if text.startswith(o, i)), None)
            if op is not None:
                out.append((i, op))
                i += len(op)
                continue
        i += 1
    return out


def value(item: Any, scope: Scope, depth: int = 0) -> Any:
    """A model value (a literal, a list or map of them, a `${...}` string) as what it stands for."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    if isinstance(item, list):
        items = [value(v, scope, depth + 1) for v in item]
        return UNKNOWN if any(v is UNKNOWN for v in items) else items
    if isinstance(item, dict):
        pairs = {k: value(v, scope, depth + 1) for k, v in item.items()}
        return UNKNOWN if any(v is UNKNOWN for v in pairs.values()) else pairs
    if not isinstance(item, str) or "${" not in item:
        return item
    return template(item, lambda inner: expression(inner, scope, depth + 1), keep=False)


def template(item: str, evaluate: Callable[[str], Any], *, keep: bool) -> Any:
    """A string with each `${...}` replaced by `evaluate(expression)`: a string that is one
    interpolation by its value, one in a template by the value's text. An interpolation whose
    value is unknown (or no scalar, in a template) stays as written with `keep`, else the string
    is UNKNOWN; so is a string with an interpolation left open."""
    spans = interpolations(item)
    if not spans:
        return item if keep else UNKNOWN
    if spans == [(0, len(item))]:
        got = evaluate(item[2:-1])
        return item if keep and got is UNKNOWN else got
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        got = evaluate(item[start + 2 : end - 1])
        text = scalar_text(got) if got is not UNKNOWN else None
        if text is None and not keep:
            return UNKNOWN
        parts.extend((item[pos:start], text if text is not None else item[start:end]))
        pos = end
    parts.append(item[pos:])
    return "".join(parts)


def scalar_text(got: Any) -> str | None:
    """A string, number or bool as a template writes it; None for anything else."""
    if isinstance(got, bool):
        return "true" if got else "false"
    if isinstance(got, int | str) and got is not UNKNOWN:
        return str(got)
    return None


def expression(text: str, scope: Scope, depth: int = 0) -> Any:
    """The value of one expression (what `${...}` holds), or UNKNOWN."""
    text = text.strip()
    if depth > MAX_DEPTH or not text:
        return UNKNOWN
    if _INT.fullmatch(text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    if (string := _STRING.fullmatch(text)) is not None:
        return string.group(1)
    operators = _top_level(text, _OPERATORS)
    for ops, apply in _BINARY if operators else ():
        found = [(at, op) for at, op in operators if op in ops]
        if found:
            if ops == ("?",):
                return _condition(text, found[0][0], scope, depth)
            at, op = found[-1]
            left = expression(text[:at], scope, depth + 1)
            right = expression(text[at + len(op) :], scope, depth + 1)
            if any(x is UNKNOWN or isinstance(x, Raw) for x in (left, right)):
                return UNKNOWN
            return apply(op, left, right)
    if text.startswith("!"):
        inner = expression(text[1:], scope, depth + 1)
        return (not inner) if isinstance(inner, bool) else UNKNOWN
    if text.startswith("(") and _closing(text, 1, ")") == len(text) - 1:
        return expression(text[1:-1], scope, depth + 1)
    if text[0] in "[{":
        return _collection(text, scope, depth)
    call = _CALL.fullmatch(text)
    if call is not None and _closing(text, call.end(1) + 1, ")") == len(text) - 1:
        return _call(call.group(1), call.group(2), scope, depth)
    return _traversal(text, scope, depth)


def _condition(text: str, at: int, scope: Scope, depth: int) -> Any:
    cond = expression(text[:at], scope, depth + 1)
    rest = text[at + 1 :]
    colon = _top_level(rest, (":",))
    if not isinstance(cond, bool) or not colon:
        return UNKNOWN
    chosen = rest[: colon[0][0]] if cond else rest[colon[0][0] + 1 :]
    return expression(chosen, scope, depth + 1)


def _compare(op: str, left: Any, right: Any) -> Any:
    if isinstance(left, dict | list | tuple) or isinstance(right, dict | list | tuple):
        return UNKNOWN
    return (left == right) if op == "==" else (left != right)


def _order(op: str, left: Any, right: Any) -> Any:
    if type(left) is not int or type(right) is not int:
        return UNKNOWN
    op = op.strip()
    return (
        left < right
        if op == "<"
        else left > right
        if op == ">"
        else left <= right
        if op == "<="
        else left >= right
    )


def _logic(op: str, left: Any, right: Any) -> Any:
    if not isinstance(left, bool) or not isinstance(right, bool):
        return UNKNOWN
    return (left and right) if op == "&&" else (left or right)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if type(left) is not int or type(right) is not int:
        return UNKNOWN
    if op == " % ":
        return left % right if right else UNKNOWN
    return left + right if op == " + " else left - right if op == " - " else left * right


# Lowest precedence first. `+`/`-` need spaces around them: HCL names may hold `-`.
_BINARY: tuple[tuple[tuple[str, ...], Callable[[str, Any, Any], Any]], ...] = (
    (("?",), _compare),
    (("||",), _logic),
    (("&&",), _logic),
    (("==", "!="), _compare),
    ((" <= ", " >= ", " < ", " > "), _order),
    ((" + ", " - "), _arithmetic),
    ((" * ", " % "), _arithmetic),
)
# Every operator, the longer first where one begins another (` <= ` before ` < `).
_OPERATORS = tuple(sorted((op for ops, _ in _BINARY for op in ops), key=len, reverse=True))


def _collection(text: str, scope: Scope, depth: int) -> Any:
    # A list or map literal: python-hcl2 reads it, its items are then values like any other.
    if " for " in text:
        return UNKNOWN
    return value(_literal(text), scope, depth + 1)


# python-hcl2 takes milliseconds a parse; a module names the same literals again and again.
@lru_cache(maxsize=4096)
def _literal(text: str) -> Any:
    try:
        parsed = parse_text(f"x = {text}").get("x", UNKNOWN)
    except Exception:  # noqa: BLE001 - python-hcl2 raises lark's errors and others: not static
        return UNKNOWN
    if isinstance(parsed, dict):
        parsed = {k: v for k, v in parsed.items() if not k.startswith("__")}
    return parsed


def _call(name: str, inner: str, scope: Scope, depth: int) -> Any:
    cuts = [at for at, _ in _top_level(inner, (",",))]
    pieces = [inner[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(inner)], strict=True)]
    pieces = [p.strip() for p in pieces if p.strip()]
    if name == "length" and len(pieces) == 1 and pieces[0] in scope.blocks:
        return len(scope.blocks[pieces[0]])
    args = [expression(p, scope, depth + 1) for p in pieces]
    if any(a is UNKNOWN or isinstance(a, Raw) for a in args):
        return UNKNOWN
    if name == "concat":
        return [x for a in args for x in a] if all(isinstance(a, list) for a in args) else UNKNOWN
    if len(args) != 1:
        return UNKNOWN
    arg = args[0]
    if name == "length":
        return len(arg) if isinstance(arg, list | tuple | dict | str) else UNKNOWN
    if name == "toset":
        if isinstance(arg, list) and all(isinstance(x, str) for x in arg):
            return StrSet(sorted(set(arg)))
        return UNKNOWN
    if name == "tolist":
        return list(arg) if isinstance(arg, list) else UNKNOWN
    if name in ("keys", "values") and isinstance(arg, dict):
        ordered = sorted(arg)
        return ordered if name == "keys" else [arg[k] for k in ordered]
    return UNKNOWN


def _traversal(text: str, scope: Scope, depth: int) -> Any:
    root = _ROOT.match(text)
    steps = _steps(text, root.end(), scope, depth) if root is not None else None
    if root is None or not steps:
        return UNKNOWN
    kind = root.group(1)
    if kind in ("count", "each"):
        current: Any = scope.instance.get(kind, UNKNOWN)
    else:
        first = steps.pop(0)
        if not isinstance(first, _Attr):
            return UNKNOWN
        current = (scope.variables if kind == "var" else scope.locals).get(first, UNKNOWN)
        current = value(current, scope, depth + 1)
    for step in steps:
        if current is UNKNOWN:
            return UNKNOWN
        if type(step) is int and isinstance(current, list):
            current = current[step] if 0 <= step < len(current) else UNKNOWN
        elif isinstance(current, dict) and (type(step) is int or isinstance(step, str)):
            current = current.get(str(step), UNKNOWN)
        else:
            return UNKNOWN
        current = value(current, scope, depth + 1)
    return current


class _Attr(str):
    """A `.name` step, apart from a `["name"]` one (which a map takes too)."""


_NAME = re.compile(r"[A-Za-z_][\w-]*")


def _steps(text: str, i: int, scope: Scope, depth: int) -> list[Any] | None:
    """The steps of a traversal from `i`: `.name`, `[0]`, `["key"]` or `[<static expression>]`."""
    out: list[Any] = []
    while i < len(text):
        if text[i] == ".":
            name = _NAME.match(text, i + 1)
            if name is None:
                return None
            out.append(_Attr(name.group(0)))
            i = name.end()
        elif text[i] == "[":
            end = _closing(text, i + 1, "]")
            key = expression(text[i + 1 : end], scope, depth + 1) if end > 0 else UNKNOWN
            if type(key) is not int and not isinstance(key, str):
                return None
            out.append(key)
            i = end + 1
        else:
            return None
    return out
