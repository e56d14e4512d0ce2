"""Environment profiles: what a deploy environment assumes, named once per dataset.

A profile (TOML, shipped under `iacgrade/harness/data/profiles/` or given as a path) names the Terraform
release the pipeline runs, whether it requires remote state, and the default region. With the
date an answer is judged at, it becomes the `Environment` of one task: what the rules read
(`iacgrade.graders.context.Settings`), what the app sees (`AWS_REGION`), what the cache keys on and what
the report names. A dataset picks its profile with `--profile`, or with an `iacgrade.toml`
(`profile = "archive"`) in the task's folder or the folder above it.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iacgrade.harness.core.config import CONFIG_FILE, ConfigError, read_config
from iacgrade.harness.core.errors import HarnessError

DEFAULT_PROFILE = "default"
# A Terraform version newer than every release the rule data knows.
LATEST = "latest"
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class ProfileError(HarnessError):
    """A profile or an iacgrade.toml that cannot be read."""


@dataclass(frozen=True)
class TerraformRelease:
    version: str
    until: dt.date | None = None  # the release ran before this date (None: to this day)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    remote_state_required: bool
    region: str
    terraform: tuple[TerraformRelease, ...]
    source: tuple[str, ...] = ()

    def terraform_version(self, on: dt.date) -> str:
        """The release the pipeline ran on `on`."""
        for release in self.terraform:
            if release.until is None or on < release.until:
                return release.version
        return self.terraform[-1].version

    @classmethod
    def from_toml(cls, data: dict[str, Any], where: str) -> Profile:
        try:
            tf = data.get("terraform") or {}
            versions = tf.get("versions") or [{"version": tf.get("version", LATEST)}]
            releases = tuple(
                TerraformRelease(str(v["version"]), _date(v["until"], where) if v.get("until") else None)
                for v in versions
            )
            source = data.get("source", ())
            return cls(
                name=str(data["name"]),
                description=str(data.get("description", "")),
                remote_state_required=bool(data.get("remote_state_required", False)),
                region=str(data.get("region", "us-east-1")),
                terraform=releases,
                source=(source,) if isinstance(source, str) else tuple(map(str, source)),
            )
        except (KeyError, TypeError) as exc:
            raise ProfileError(f"profile {where} is missing or misnames a field: {exc}") from exc


def shipped_profiles() -> list[str]:
    folder = resources.files("iacgrade.harness").joinpath("data", "profiles")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str | Path, base: Path | None = None) -> Profile:
    """A shipped profile by name, or a profile file (relative paths from `base`)."""
    text_name = str(name_or_path)
    if text_name in shipped_profiles():
        text = (
            resources.files("iacgrade.harness")
            .joinpath("data", "profiles", f"{text_name}.toml")
            .read_text("utf-8")
        )
        where = f"'{text_name}'"
    else:
        path = Path(name_or_path)
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_file():
            raise ProfileError(
                f"no profile {text_name!r}: neither a shipped profile "
                f"({', '.join(shipped_profiles())}) nor a file"
            )
        text, where = path.read_text("utf-8"), str(path)
    try:
        return Profile.from_toml(tomllib.loads(text), where)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {where} is not valid TOML: {exc}") from exc


def configured_profile(task_dir: Path) -> Profile | None:
    """The profile an iacgrade.toml in the task's folder, or the folder above it, names (read by
    the one configuration reader, iacgrade/harness/core/config.py)."""
    for folder in (task_dir, task_dir.parent):
        path = folder / CONFIG_FILE
        if path.is_file():
            try:
                values = read_config(path).values or {}
            except ConfigError as exc:
                raise ProfileError(str(exc)) from exc
            if values.get("profile"):
                return load_profile(str(values["profile"]), base=folder)
    return None


@dataclass(frozen=True)
class Environment:
    """The deploy environment one task is judged in."""

    profile: str
    judged_at: dt.date
    judged_from: str  # "task" (its startedAt), "as-of" (the run's --as-of) or "today"
    terraform_version: str
    remote_state_required: bool
    region: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "judged_at": self.judged_at.isoformat(),
            "judged_from": self.judged_from,
            "terraform_version": self.terraform_version,
            "remote_state_required": self.remote_state_required,
            "region": self.region,
        }


def environment(profile: Profile, metadata: dict[str, Any], as_of: dt.date | None = None) -> Environment:
    """The task's environment: judged at its startedAt, else at `as_of`, else today."""
    started = task_date(metadata)
    if started is not None:
        judged, source = started, "task"
    elif as_of is not None:
        judged, source = as_of, "as-of"
    else:
        judged, source = dt.date.today(), "today"
    return Environment(
        profile=profile.name,
        judged_at=judged,
        judged_from=source,
        terraform_version=profile.terraform_version(judged),
        remote_state_required=profile.remote_state_required,
        region=profile.region,
    )


def task_date(metadata: dict[str, Any]) -> dt.date | None:
    match = _DATE.match(str(metadata.get("startedAt") or ""))
    return dt.date(int(match[1]), int(match[2]), int(match[3])) if match else None


def parse_date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD), for --as-of."""
    return _date(text, "--as-of")


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    match = _DATE.fullmatch(str(value))
    if not match:
        raise ProfileError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:  # 2024-13-45 has the shape of a date, not a date
        raise ProfileError(f"{where}: {value!r} is not a date ({exc})") from exc
