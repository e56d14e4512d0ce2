"""Values the way a type hint wants them: typed placeholders and shape coercion."""

from __future__ import annotations

import contextlib
import inspect
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .plan import MAX_DEPTH, TOKEN, Placeholder, constructor, is_placeholder


class Coercer:
    """Turns a value into one the type hint accepts, the way a reviewer would fix the call."""

    def __init__(self, cdktf: Any, check_type: Callable[..., None]) -> None:
        self.cdktf = cdktf
        self._check = check_type
        self.resolvable = getattr(cdktf, "IResolvable", None)
        # What the jsii kernel would have refused in the last coercion (a dict in a list is sent
        # to it unchecked): the error a reviewer would see, for the blocker's message.
        self.refused: list[str] = []

    def ok(self, value: Any, hint: Any) -> bool:
        try:
            self._check("value", value, hint)
        except TypeError:
            return False
        except Exception:  # noqa: BLE001 - typeguard cannot judge some jsii types: let them pass
            return True
        return True

    def placeholder(self, hint: Any, depth: int = 0) -> Any:
        """A value of type `hint` that stands for what the answer did not give."""
        for member in _members(hint):
            if member is type(None):
                continue
            if member is self.resolvable:
                return self.cdktf.Token.as_any(TOKEN)
        for member in _members(hint):
            value = self._placeholder_of(member, depth)
            if value is not None and self.ok(value, hint):
                return value
        return None

    def _placeholder_of(self, member: Any, depth: int) -> Any:
        origin = typing.get_origin(member)
        if member is str:
            return Placeholder()
        if member in (int, float) or getattr(member, "__name__", "") == "Number":
            return self.cdktf.Token.as_number(TOKEN)
        if member is bool:
            return False
        if origin is not None and _is_sequence_origin(origin):
            return self.cdktf.Token.as_list(TOKEN)
        if origin is not None and _is_mapping_origin(origin):
            return {}
        if is_struct(member) and depth < MAX_DEPTH:
            return self.build_struct(member, {}, depth + 1, [])[0]
        return None

    def coerce(self, value: Any, hint: Any, depth: int, notes: list[str]) -> tuple[Any, bool]:
        """(the coerced value, whether it is now acceptable)."""
        if depth > MAX_DEPTH:
            return value, self.ok(value, hint)
        if is_placeholder(value) and not self.ok(value, hint):
            filler = self.placeholder(hint, depth)
            return filler, filler is not None or optional(hint)
        # Deep-adapt what typeguard lets through but the jsii kernel would refuse: a dict given
        # for a struct goes to the kernel unchecked, wrong keys and all.
        for member in _members(hint):
            adapted = self._try_member(value, member, depth, notes)
            if adapted is not _FAIL and self.ok(adapted, hint):
                return adapted, True
        return value, self.ok(value, hint)

    def _try_member(self, value: Any, member: Any, depth: int, notes: list[str]) -> Any:
        if member is type(None):
            return None if value is None else _FAIL
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if is_struct(member):
            return self._to_struct(value, member, depth, notes)
        if origin is not None and _is_sequence_origin(origin) and args:
            inner = args[0]
            items = value if isinstance(value, list | tuple) else None
            if items is None:
                if isinstance(value, str | bytes) or value is None:
                    return _FAIL
                single = self._coerce_item(value, inner, depth, notes)
                if single is _FAIL:
                    return _FAIL
                notes.append(f"a single {type_name(value)} wrapped in a list")
                return [single]
            out = []
            for item in items:
                fixed = self._coerce_item(item, inner, depth, notes)
                if fixed is _FAIL:
                    return _FAIL
                out.append(fixed)
            return out
        if origin is not None and _is_mapping_origin(origin):
            if isinstance(value, Mapping):
                vt = args[1] if len(args) == 2 else Any
                if vt is str and any(not isinstance(v, str) for v in value.values()):
                    notes.append("map values turned into strings")
                    return {str(k): _as_str(v) for k, v in value.items()}
                return value
            return _FAIL
        if member is str:
            if isinstance(value, bool):
                notes.append(f"{type_name(value)} {value!r} given as a string")
                return "true" if value else "false"
            if isinstance(value, int | float):
                notes.append(f"{type_name(value)} {value!r} given as a string")
                return str(value)
            if isinstance(value, Mapping | list) and not isinstance(value, str):
                import json

                notes.append(f"a {type_name(value)} given as a JSON string")
                try:
                    return json.dumps(value)
                except (TypeError, ValueError):
                    return Placeholder()
            return _FAIL
        if member in (int, float) or getattr(member, "__name__", "") == "Number":
            if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
                notes.append(f"string {value!r} given as a number")
                return float(value) if "." in value else int(value)
            if isinstance(value, bool):
                notes.append(f"bool {value!r} given as a number")
                return int(value)
            return _FAIL
        if member is bool:
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                notes.append(f"string {value!r} given as a bool")
                return value.strip().lower() == "true"
            if isinstance(value, int | float) and not isinstance(value, bool):
                notes.append(f"number {value!r} given as a bool")
                return bool(value)
            return _FAIL
        return _FAIL

    def _coerce_item(self, item: Any, inner: Any, depth: int, notes: list[str]) -> Any:
        if self.ok(item, inner) and not isinstance(item, Mapping) and not is_struct(type(item)):
            return item
        if isinstance(item, Mapping):
            # Python passes a dict inside a list to the kernel as a map: what the kernel accepts
            # (snake_case keys silently dropped included) is what the answer really synthesizes.
            why = self.kernel_refusal(item, inner, depth)
            if why is None:
                return item
            self.refused.append(why)
        fixed, good = self.coerce(item, inner, depth + 1, notes)
        return fixed if good else _FAIL

    def kernel_refusal(self, value: Any, hint: Any, depth: int = 0) -> str | None:
        """Why the jsii kernel would refuse `value` for `hint` (None when it would take it)."""
        if value is None or depth > MAX_DEPTH:
            return None
        members = [m for m in _members(hint) if m is not type(None)]
        struct = next((m for m in members if is_struct(m)), None)
        if isinstance(value, Mapping) and struct is not None:
            params = signature_of(struct.__init__) or []
            camel = dict(getattr(struct, "__jsii_name_mapping__", {}) or {})
            missing = [
                camel.get(p.name, p.name)
                for p in params
                if p.default is inspect.Parameter.empty and camel.get(p.name, p.name) not in value
            ]
            if missing:
                names = ", ".join(f"'{m}'" for m in missing)
                return (
                    f"Unable to deserialize value as {struct.__name__}: missing required properties {names}"
                )
            hints = hints_of(struct.__init__)
            by_camel = {v: k for k, v in camel.items()}
            for key, item in value.items():
                field = by_camel.get(str(key))
                why = self.kernel_refusal(item, hints.get(field, Any), depth + 1) if field else None
                if why is not None:
                    return f"key '{key}': {why}"
            return None
        if isinstance(value, list | tuple):
            seq = next(
                (m for m in members if typing.get_origin(m) and _is_sequence_origin(typing.get_origin(m))),
                None,
            )
            if seq is None:
                if struct is not None:
                    return f"Unable to deserialize value as {struct.__name__}: the value is an array"
                return None
            inner = (typing.get_args(seq) or (Any,))[0]
            for item in value:
                why = self.kernel_refusal(item, inner, depth + 1)
                if why is not None:
                    return why
            return None
        if isinstance(value, Mapping) or is_struct(type(value)) or self.ok(value, hint):
            return None
        return f"Unable to deserialize value as {hint_name(hint)}: got {type_name(value)}"

    def _to_struct(self, value: Any, struct: type, depth: int, notes: list[str]) -> Any:
        if isinstance(value, struct):
            return value
        if isinstance(value, list | tuple):
            if not value:
                return _FAIL
            if len(value) > 1:
                notes.append(
                    f"a list of {len(value)} given where one {struct.__name__} is expected: the first kept"
                )
            else:
                notes.append(f"a one-element list given where one {struct.__name__} is expected")
            return self._to_struct(value[0], struct, depth + 1, notes)
        if is_struct(type(value)):
            notes.append(f"a {type(value).__name__} given where a {struct.__name__} is expected")
            value = dict(getattr(value, "_values", {}) or {})
        if isinstance(value, Mapping):
            built, ok = self.build_struct(struct, dict(value), depth + 1, notes)
            return built if ok else _FAIL
        return _FAIL

    def build_struct(
        self, struct: type, values: dict[str, Any], depth: int, notes: list[str]
    ) -> tuple[Any, bool]:
        params = signature_of(constructor(struct))
        if params is None:
            return None, False
        names = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
        hints = hints_of(constructor(struct))
        kwargs: dict[str, Any] = {}
        for key, item in values.items():
            name = to_snake(str(key)) if str(key) not in names else str(key)
            if name not in names:
                notes.append(f"unknown key `{key}` of {struct.__name__} dropped")
                continue
            if name != key:
                notes.append(f"key `{key}` of {struct.__name__} read as `{name}`")
            hint = hints.get(name, Any)
            fixed, good = (
                self.coerce(item, hint, depth + 1, notes)
                if not self.ok(item, hint) or isinstance(item, Mapping | list)
                else (item, True)
            )
            if not good:
                if optional(hint):
                    notes.append(f"`{name}` of {struct.__name__} dropped: no valid value")
                    continue
                fixed = self.placeholder(hint, depth + 1)
            kwargs[name] = fixed
        for p in params:
            required = p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
            if required and p.name not in kwargs:
                notes.append(f"required `{p.name}` of {struct.__name__} missing: a placeholder given")
                kwargs[p.name] = self.placeholder(hints.get(p.name, Any), depth + 1)
        try:
            with ADAPTING.suppressed():
                return struct(**kwargs), True
        except Exception:  # noqa: BLE001 - a struct that still refuses is left to the caller
            return None, False


_FAIL = object()


def hint_name(hint: Any) -> str:
    """A type hint as a reader writes it: `Union[str, NoneType]`, without module paths."""
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", str(hint).replace("typing.", ""))


def _members(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) is typing.Union:
        out: list[Any] = []
        for arg in typing.get_args(hint):
            out.extend(_members(arg))
        return tuple(out)
    return (hint,)


def optional(hint: Any) -> bool:
    return type(None) in _members(hint) or hint is Any


def _is_sequence_origin(origin: Any) -> bool:
    import collections.abc as cabc

    return origin in (list, tuple, cabc.Sequence, cabc.MutableSequence)


def _is_mapping_origin(origin: Any) -> bool:
    import collections.abc as cabc

    return origin in (dict, cabc.Mapping, cabc.MutableMapping)


def is_struct(cls: Any) -> bool:
    return isinstance(cls, type) and hasattr(cls, "__jsii_name_mapping__")


def type_name(value: Any) -> str:
    return type(value).__name__


def _as_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def to_snake(name: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()
    return snake


def unwrap(fn: Any) -> Any:
    # The repairs wrap constructors (and the worker wraps TerraformStack's): read the original.
    try:
        return inspect.unwrap(fn)
    except ValueError:
        return fn


_SIGNATURES: dict[Any, list[inspect.Parameter] | None] = {}
_HINTS: dict[Any, dict[str, Any]] = {}


def signature_of(fn: Any) -> list[inspect.Parameter] | None:
    fn = unwrap(fn)
    if fn not in _SIGNATURES:
        try:
            _SIGNATURES[fn] = list(inspect.signature(fn).parameters.values())[1:]
        except (TypeError, ValueError):
            _SIGNATURES[fn] = None
    return _SIGNATURES[fn]


def hints_of(fn: Any) -> dict[str, Any]:
    fn = unwrap(fn)
    if fn not in _HINTS:
        try:
            _HINTS[fn] = typing.get_type_hints(fn)
        except Exception:  # noqa: BLE001 - unresolvable hints: adapt by signature only
            _HINTS[fn] = {}
    return _HINTS[fn]


class _Reentry:
    """Adapting a call builds structs whose own constructors must not adapt (and log) again."""

    def __init__(self) -> None:
        self.depth = 0

    @contextlib.contextmanager
    def suppressed(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


ADAPTING = _Reentry()
