"""The configuration file: `iacgrade.toml`, or the `[tool.iacgrade]` table of a `pyproject.toml`.

Found as ruff finds its own: from the current directory upward, the first folder holding an
`iacgrade.toml` (or else a `pyproject.toml` with a `[tool.iacgrade]` table) gives the run's
settings. Each setting comes from the command line when given there, else from that file, else
from the defaults below. Paths in the file (`rubric`, a profile file) are read from the file's
folder. A key the file may not hold, or a value of the wrong kind, is an error naming the file and
the key: a typo must not silently grade with the defaults.

The same reader serves a dataset's own `iacgrade.toml` beside its tasks, which names the profile
of those tasks when neither the command line nor the run's file does
(`iacgrade/harness/core/profile.py` `configured_profile`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from iacgrade.harness.core.errors import HarnessError
from iacgrade.harness.core.selection import patterns

CONFIG_FILE = "iacgrade.toml"
PYPROJECT = "pyproject.toml"
SANDBOXES = ("auto", "docker", "local")
EXECUTORS = ("local", "ray")


class ConfigError(HarnessError):
    """A configuration file that cannot be read, or holds a key or value it may not."""


@dataclass(frozen=True)
class RunSettings:
    """What a run is configured with; in a `Config`, None means the file leaves it unset."""

    sandbox: str = "auto"
    jobs: int = 1
    timeout: float = 120.0
    rubric: Path | None = None
    profile: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    executor: str = "local"


KEYS = tuple(f.name for f in fields(RunSettings))


@dataclass(frozen=True)
class Config:
    """One configuration file's values (`values`: only the keys it sets)."""

    path: Path | None = None
    values: Mapping[str, Any] | None = None

    def settings(self, cli: Mapping[str, Any], given: Collection[str]) -> RunSettings:
        """Each setting from `cli` when the command line gave it (`given`), else from this file,
        else the default."""
        chosen: dict[str, Any] = dict(self.values or {})
        chosen.update({k: v for k, v in cli.items() if k in given})
        for key in ("select", "ignore"):
            if key in chosen:
                chosen[key] = patterns(chosen[key] or ())
        return replace(RunSettings(), **{k: v for k, v in chosen.items() if k in KEYS})


def find_config(start: Path) -> Path | None:
    """The configuration file of `start`: in it or the nearest folder above that has one."""
    start = start.resolve()
    for folder in (start, *start.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own
        project = folder / PYPROJECT
        if project.is_file() and "iacgrade" in _toml(project).get("tool", {}):
            return project
    return None


def load_config(start: Path) -> Config:
    """The configuration found from `start` upward; an empty one when there is none."""
    path = find_config(start)
    return read_config(path) if path is not None else Config()


def read_config(path: Path) -> Config:
    """One file's settings, checked key by key."""
    data = _toml(path)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("iacgrade", {})
        where = f"{path} [tool.iacgrade]"
    else:
        table, where = data, str(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of settings")
    values = {key: _value(key, value, where, path.parent) for key, value in table.items()}
    return Config(path=path, values=values)


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from exc


def _value(key: str, value: Any, where: str, folder: Path) -> Any:
    """The value of `key` as the settings hold it, or an error naming the file and the key."""

    def wrong(expected: str) -> ConfigError:
        return ConfigError(f"{where}: {key!r} must be {expected}, not {value!r}")

    if key not in KEYS:
        raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(KEYS)})")
    if key == "sandbox" or key == "executor":
        choices = SANDBOXES if key == "sandbox" else EXECUTORS
        if value not in choices:
            raise wrong(" or ".join(repr(c) for c in choices))
        return value
    if key == "jobs":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise wrong("a whole number of at least 1")
        return value
    if key == "timeout":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise wrong("a number of seconds above 0")
        return float(value)
    if key in ("select", "ignore"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong("a list of rule ids or prefixes")
        return patterns(value)
    if not isinstance(value, str) or not value.strip():
        raise wrong("a name or a path")
    if key == "rubric":
        return _beside(folder, value)
    # A profile is a shipped name or a file; a file is read from the configuration's folder.
    return str(_beside(folder, value)) if (folder / value).is_file() else value


def _beside(folder: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else folder / path
