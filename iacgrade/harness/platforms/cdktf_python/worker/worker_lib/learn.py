"""Learning one more repair from the error that stopped a round."""

from __future__ import annotations

import os
import re
import sys
import types
from typing import Any

from .coerce import to_snake
from .plan import PROVIDER_PREFIX, TOOLCHAIN_ROOTS, Placeholder, Repair, RepairPlan, loaded

_CANNOT_IMPORT = re.compile(r"cannot import name '([\w]+)' from '([\w.]+)'")
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_NOT_DEFINED = re.compile(r"name '(\w+)' is not defined")
_ENOENT = re.compile(r"ENOENT: no such file or directory, \w+ '([^']+)'")
_WANTS_FOLDER = re.compile(r"expects path to point to a directory\. Instead, this file was passed: '([^']+)'")
_NO_PROVIDER = re.compile(r"Found resources without a matching provider construct")
_NOT_SUBSCRIPTABLE = re.compile(r"'(\w+)' object is not subscriptable")


def learn(
    plan: RepairPlan,
    exc: BaseException,
    frame: tuple[str, int] | None,
    workspace_modules: set[str],
    workspace_root: str = "",
) -> bool:
    """Add the repair that gets past `exc`; False when it is not a kind the worker can repair."""
    file, line = frame or ("", 0)
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        missing = exc.name
        alias = _workspace_alias(missing, workspace_modules)
        if alias and missing not in plan.module_aliases:
            plan.module_aliases[missing] = alias
            plan.record(
                Repair(
                    "missing-module",
                    message,
                    f"`{missing}` imported as the answer's `{alias}`",
                    file,
                    line,
                    missing,
                )
            )
            return True
        if missing in plan.missing_modules or missing.split(".")[0] in ("lib",):
            return False
        plan.missing_modules.add(missing)
        plan.record(
            Repair(
                "missing-module",
                message,
                f"`{missing}` stood in for by a placeholder module",
                file,
                line,
                missing,
            )
        )
        return True
    if isinstance(exc, ImportError):
        match = _CANNOT_IMPORT.search(str(exc))
        if match:
            name, module = match.groups()
            served = plan.import_names.setdefault(module, set())
            if name in served:
                return False
            served.add(name)
            plan.record(
                Repair("missing-name", message, f"`{name}` stood in for by a placeholder", file, line, name)
            )
            return True
        return False
    if isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError):
        match = _NOT_DEFINED.search(str(exc))
        name = getattr(exc, "name", None) or (match.group(1) if match else None)
        if not name or name in plan.names:
            return False
        stand_in = _provider_class(name)
        plan.names[name] = stand_in if stand_in is not None else Placeholder(name)
        action = (
            f"`{name}` resolved to the provider's `{stand_in.__module__}.{name}` (the import is missing)"
            if stand_in is not None
            else f"`{name}` stood in for by a placeholder"
        )
        plan.record(Repair("undefined-name", message, action, file, line, name))
        return True
    missing_file = _missing_file(exc, workspace_root)
    if missing_file is not None:
        if missing_file in plan.files:
            return False
        plan.files.add(missing_file)
        plan.record(
            Repair(
                "missing-file",
                message,
                f"`{missing_file}` stood in for by an empty placeholder",
                file,
                line,
                missing_file,
            )
        )
        return True
    wants_folder = _WANTS_FOLDER.search(str(exc)) if isinstance(exc, RuntimeError) else None
    folder = _inside(wants_folder.group(1), workspace_root) if wants_folder and workspace_root else None
    if folder and folder in plan.files and folder not in plan.folders:
        plan.folders.add(folder)
        return True
    if isinstance(exc, RuntimeError) and _NO_PROVIDER.search(str(exc)) and not plan.skip_validation:
        plan.skip_validation = True
        plan.record(
            Repair("no-provider", message, "synthesized with cdktf's validation skipped", file, line, "App")
        )
        return True
    if isinstance(exc, TypeError):
        match = _NOT_SUBSCRIPTABLE.search(str(exc))
        owner = _toolchain_class(match.group(1)) if match else None
        if owner is None or (id(owner), "__getitem__") in plan.attributes:
            return False
        plan.attributes[(id(owner), "__getitem__")] = (owner, "__getitem__")
        plan.record(
            Repair(
                "not-subscriptable",
                message,
                f"`{owner.__name__}[i]` read as `.get(i)`",
                file,
                line,
                owner.__name__,
            )
        )
        return True
    if isinstance(exc, AttributeError):
        owner_obj = getattr(exc, "obj", None)
        attr = getattr(exc, "name", None)
        if owner_obj is None or not attr:
            return False
        owner = owner_obj if isinstance(owner_obj, types.ModuleType) else type(owner_obj)
        if isinstance(owner, type) and owner.__module__ == "builtins":
            # `str` and friends cannot take an attribute: the read itself is replaced at compile time.
            if not file or (file, line, attr) in plan.edits:
                return False
            plan.edits.add((file, line, attr))
            plan.record(
                Repair(
                    "missing-attribute", message, f"`.{attr}` stood in for by a placeholder", file, line, attr
                )
            )
            return True
        key = (id(owner), attr)
        if key in plan.attributes:
            return False
        plan.attributes[key] = (owner, attr)
        plan.record(
            Repair("missing-attribute", message, f"`.{attr}` stood in for by a placeholder", file, line, attr)
        )
        return True
    return False


def _missing_file(exc: BaseException, root: str) -> str | None:
    """The workspace path an app failed to read (Python's or the node kernel's ENOENT)."""
    if not root:
        return None
    name: str | None = None
    if isinstance(exc, FileNotFoundError) and exc.filename:
        name = str(exc.filename)
    elif isinstance(exc, RuntimeError):
        match = _ENOENT.search(str(exc))
        name = match.group(1) if match else None
    return _inside(name, root) if name else None


def _inside(name: str, root: str) -> str | None:
    """`name` (absolute, or relative to the workspace) as a workspace path; None outside it."""
    real = os.path.realpath(os.path.join(root, name))
    root = os.path.realpath(root)
    return os.path.relpath(real, root) if real.startswith(root + os.sep) else None


def _workspace_alias(missing: str, workspace_modules: set[str]) -> str | None:
    # `from stacks.vpc import X` where the answer's package is `lib/stacks/`: the module it meant.
    for candidate in sorted(workspace_modules, key=len):
        if candidate.endswith("." + missing):
            return candidate
    return None


def _toolchain_class(name: str) -> Any:
    """A toolchain class by its bare name, from the modules already loaded."""
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith((PROVIDER_PREFIX, *TOOLCHAIN_ROOTS)):
            value = getattr(module, name, None) if module is not None else None
            if isinstance(value, type) and getattr(value, "__module__", "") == module_name:
                return value
    return None


def _provider_class(name: str) -> Any:
    """The provider class an unimported name means (`DataAwsAvailabilityZones` -> its module)."""
    snake = to_snake(name)
    for module_name in (f"cdktf_cdktf_provider_aws.{snake}", "cdktf"):
        module = loaded(module_name)
        if module is None:
            continue
        value = getattr(module, name, None)
        if isinstance(value, type):
            return value
    return None
