"""Calls adapted to the signature of the class they construct, each change recorded."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from .coerce import (
    ADAPTING,
    Coercer,
    hint_name,
    hints_of,
    is_struct,
    optional,
    signature_of,
    to_snake,
    type_name,
    unwrap,
)
from .plan import PROVIDER_PREFIX, TOOLCHAIN_ROOTS, Placeholder, Recorder, Repair, RepairPlan, constructor


class CallAdapter:
    """Adapts the arguments of a class call to the class's `__init__`, recording each change."""

    def __init__(self, plan: RepairPlan, recorder: Recorder, coercer: Coercer, workspace: str) -> None:
        self.plan, self.recorder, self.coercer = plan, recorder, coercer
        self.workspace = os.path.realpath(workspace) + os.sep

    def adapt(
        self, cls: type, args: tuple[Any, ...], kwargs: dict[str, Any], init: Any = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if ADAPTING.depth:
            return args, kwargs
        init = unwrap(init if init is not None else constructor(cls))
        params = signature_of(init)
        if params is None:
            return args, kwargs
        typed = self._typed(cls, init)
        name = cls.__name__
        kinds = {p.kind for p in params}
        positional = [p for p in params if p.kind in (_POS_ONLY, _POS_OR_KW)]
        args = tuple(args)
        kwargs = dict(kwargs)
        if _VAR_POS not in kinds and len(args) > len(positional):
            extra = len(args) - len(positional)
            self._note(
                "extra-argument",
                f"{name}.__init__() takes {len(positional) + 1} positional arguments "
                f"but {len(args) + 1} were given",
                "the extra positional argument dropped"
                if extra == 1
                else f"the {extra} extra positional arguments dropped",
                name,
                cls,
            )
            args = args[: len(positional)]
        names = {p.name for p in params if p.kind not in (_VAR_POS, _VAR_KW)}
        if _VAR_KW not in kinds:
            for key in list(kwargs):
                if key in names:
                    continue
                snake = to_snake(key)
                value = kwargs.pop(key)
                if snake in names and snake not in kwargs:
                    kwargs[snake] = value
                    action = f"read as `{snake}`"
                else:
                    action = "dropped"
                self._note(
                    "unknown-keyword",
                    f"{name}.__init__() got an unexpected keyword argument '{key}'",
                    f"`{key}` {action}",
                    name,
                    cls,
                )
        given = {p.name for p in positional[: len(args)]} | set(kwargs)
        hints = hints_of(init) if typed else {}
        for p in params:
            if p.kind in (_VAR_POS, _VAR_KW) or p.default is not inspect.Parameter.empty or p.name in given:
                continue
            filler = self.coercer.placeholder(hints[p.name]) if p.name in hints else Placeholder(p.name)
            self._note(
                "missing-argument",
                f"{name}.__init__() missing 1 required argument: '{p.name}'",
                f"`{p.name}` given a placeholder",
                name,
                cls,
            )
            kwargs[p.name] = filler
        if typed:
            args, kwargs = self._coerce(name, positional, args, kwargs, hints)
        return args, kwargs

    def _coerce(
        self,
        name: str,
        positional: list[inspect.Parameter],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        hints: dict[str, Any],
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        fixed_args = list(args)
        slots: list[tuple[str, Any, Callable[[Any], None], Callable[[], None]]] = []
        for i, p in enumerate(positional[: len(args)]):
            slots.append((p.name, args[i], partial(fixed_args.__setitem__, i), lambda: None))
        for key, value in list(kwargs.items()):
            slots.append(
                (
                    key,
                    value,
                    partial(kwargs.__setitem__, key),
                    partial(kwargs.pop, key, None),
                )
            )
        for key, value, put, drop in slots:
            hint = hints.get(key)
            if hint is None or value is None:
                continue
            needs_deep = isinstance(value, Mapping | list | tuple) or is_struct(type(value))
            if not needs_deep and self.coercer.ok(value, hint):
                continue
            was_ok = self.coercer.ok(value, hint)
            notes: list[str] = []
            self.coercer.refused = []
            new, good = self.coercer.coerce(value, hint, 0, notes)
            if good and new is not value:
                put(new)
                refused = list(dict.fromkeys(self.coercer.refused))
                if refused or notes or not was_ok:
                    if not was_ok:
                        error = _type_error(key, name, hint, value)
                    elif refused:
                        error = f"the jsii kernel refuses `{key}` of {name}: {'; '.join(refused)}"
                    else:
                        error = f"TypeError building the struct of `{key}` of {name}: {notes[0]}"
                    self._note(
                        "value-shape",
                        error,
                        f"`{key}`: " + ("; ".join(dict.fromkeys(notes)) or "value converted"),
                        name,
                    )
            elif not good:
                if optional(hint):
                    drop() if key in kwargs else put(None)
                    action = f"`{key}` left out"
                else:
                    put(self.coercer.placeholder(hint))
                    action = f"`{key}` given a placeholder"
                self._note(
                    "value-shape",
                    _type_error(key, name, hint, value),
                    action,
                    name,
                )
        return tuple(fixed_args), kwargs

    def _typed(self, cls: type, init: Any) -> bool:
        module = getattr(unwrap(init), "__module__", "") or ""
        return module.startswith(PROVIDER_PREFIX) or module.split(".")[0] in TOOLCHAIN_ROOTS

    def _note(self, kind: str, message: str, action: str, target: str, cls: type | None = None) -> None:
        file, line = self.recorder.site()
        if not file and cls is not None:
            # Called from the worker itself (the standard entry building the stack): the place to
            # fix is the answer's class definition.
            code = getattr(constructor(cls), "__code__", None)
            name = getattr(code, "co_filename", "")
            if name.startswith(self.recorder.root):
                file, line = name[len(self.recorder.root) :], code.co_firstlineno  # type: ignore[union-attr]
        self.plan.record(Repair(kind, message, action, file, line, target))


_POS_ONLY = inspect.Parameter.POSITIONAL_ONLY
_POS_OR_KW = inspect.Parameter.POSITIONAL_OR_KEYWORD
_VAR_POS = inspect.Parameter.VAR_POSITIONAL
_VAR_KW = inspect.Parameter.VAR_KEYWORD


def _type_error(key: str, name: str, hint: Any, value: Any) -> str:
    return f"type of argument {key} of {name} must be {hint_name(hint)}; got {type_name(value)}"
