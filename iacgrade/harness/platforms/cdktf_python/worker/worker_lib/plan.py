"""The repair plan: placeholders, what was repaired where, and what the rounds learned."""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

MARKER = "iacgrade_placeholder"
TOKEN = "${" + MARKER + "}"
MAX_ROUNDS = 12
# Packages whose classes' calls are adapted with type coercion; the answer's own classes get
# signature adaptation only (Python checks no types for them).
TOOLCHAIN_ROOTS = ("cdktf", "constructs")
PROVIDER_PREFIX = "cdktf_cdktf_provider_"
MAX_DEPTH = 6


class Placeholder(str):
    """A value the answer never defined: a string that carries the marker into the JSON, and that
    can be called, indexed or read like the object the answer expected."""

    _label: str

    def __new__(cls, label: str = "") -> Placeholder:
        obj = super().__new__(cls, TOKEN)
        obj._label = label
        return obj

    def __getattr__(self, name: str) -> Placeholder:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Placeholder(f"{self._label}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Placeholder:
        return Placeholder(f"{self._label}()")

    def __getitem__(self, key: Any) -> Placeholder:
        return Placeholder(f"{self._label}[]")

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object,)


def constructor(cls: type) -> Any:
    """The `__init__` a call of `cls` runs. Read through Any: on a value typed `type`, mypy takes the
    read for an instance's and calls it unsound, while here it is always the class's own."""
    return cast(Any, cls).__init__


def is_placeholder(value: object) -> bool:
    """True for a placeholder and for any string the marker reached (an f-string around one)."""
    return isinstance(value, str) and MARKER in value


@dataclass
class Repair:
    """One blocker met and how the worker got past it."""

    kind: str  # unknown-keyword | value-shape | missing-argument | extra-argument | undefined-name | ...
    message: str  # the error the answer's own code raises (or, for a kernel refusal, would raise)
    action: str  # what the worker did instead
    file: str = ""
    line: int = 0
    target: str = ""  # the class or name concerned

    def key(self) -> tuple[str, str, int, str, str]:
        return (self.kind, self.file, self.line, self.target, self.action)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "action": self.action,
            "file": self.file,
            "line": self.line,
            "target": self.target,
        }


@dataclass
class RepairPlan:
    """What the repair rounds learned so far; grows by one error a round."""

    names: dict[str, Any] = field(default_factory=dict)  # undefined name -> stand-in
    attributes: dict[tuple[int, str], tuple[Any, Any]] = field(default_factory=dict)  # (id(owner), attr)
    missing_modules: set[str] = field(default_factory=set)
    module_aliases: dict[str, str] = field(default_factory=dict)  # missing -> workspace module
    import_names: dict[str, set[str]] = field(default_factory=dict)  # module -> names served as placeholders
    files: set[str] = field(default_factory=set)  # workspace paths an app reads that do not exist
    folders: set[str] = field(default_factory=set)  # of those, the ones an asset wants as a folder
    # (file, line, attribute): reads of an attribute a plain value cannot have (`"".password`),
    # replaced by a placeholder when the file is compiled.
    edits: set[tuple[str, int, str]] = field(default_factory=set)
    skip_validation: bool = False
    log: list[Repair] = field(default_factory=list)
    seen: set[tuple[str, str, int, str, str]] = field(default_factory=set)

    def record(self, repair: Repair) -> None:
        if repair.key() not in self.seen:
            self.seen.add(repair.key())
            self.log.append(repair)


class Recorder:
    """Where in the answer a call was made: the innermost stack frame inside the workspace."""

    def __init__(self, workspace: str) -> None:
        self.root = os.path.realpath(workspace) + os.sep

    def site(self) -> tuple[str, int]:
        frame = sys._getframe(1)
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(self.root):
                return name[len(self.root) :], frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return "", 0


def loaded(name: str) -> types.ModuleType | None:
    """The module `name`, imported if it is not yet; None when it cannot be."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
