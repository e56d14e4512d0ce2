"""The AWS provider's Terraform schema (data/aws_schema.json.gz, written by
scripts/build_hcl_schema.py from the provider package the CDKTF platform pins), loaded once per
process."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "aws_schema.json.gz"
REMOVED_FILE = "removed_in_v6.toml"
TEMPLATE_FILE = "task_template.toml"


class Schema:
    """Resource, data source and provider schemas: `{"a": {arg: [type, required]}, "b": {block:
    [schema, required, single]}}` each."""

    def __init__(self, data: dict[str, Any], removed: dict[str, Any] | None = None) -> None:
        self.data = data
        self.meta: dict[str, str] = data.get("meta", {})
        removed = removed or {}
        self._removed_args: dict[str, list[str]] = removed.get("arguments", {})
        self._removed_types: dict[str, list[str]] = removed.get("types", {})

    def removed_argument(self, rtype: str, name: str) -> bool:
        """Whether provider 5.x took the argument and 6.0 removed it (valid for `~> 5.0`)."""
        return name in self._removed_args.get(rtype, ())

    def removed_type(self, kind: str, rtype: str) -> bool:
        return rtype in self._removed_types.get(kind, ())

    def block(self, kind: str, name: str) -> dict[str, Any] | None:
        found = (self.data.get(kind) or {}).get(name)
        return found if isinstance(found, dict) else None

    def types(self, kind: str) -> list[str]:
        return sorted(self.data.get(kind) or {})

    def suggest(self, kind: str, name: str) -> str:
        return close(name, self.types(kind))


def close(word: str, candidates: list[str] | set[str]) -> str:
    """The candidate `word` most likely meant, or "" when none is close."""
    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.75)
    return found[0] if found else ""


def _raw() -> bytes:
    return resources.files("iacgrade.harness.platforms.tf_hcl").joinpath("data", SCHEMA_FILE).read_bytes()


def _removed() -> dict[str, Any]:
    text = (
        resources.files("iacgrade.harness.platforms.tf_hcl")
        .joinpath("data", REMOVED_FILE)
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


@cache
def template_variables() -> frozenset[str]:
    """The variables the task template declares for every answer (data/task_template.toml)."""
    text = (
        resources.files("iacgrade.harness.platforms.tf_hcl")
        .joinpath("data", TEMPLATE_FILE)
        .read_text(encoding="utf-8")
    )
    return frozenset(tomllib.loads(text)["variables"])


@cache
def load_schema() -> Schema:
    return Schema(json.loads(gzip.decompress(_raw())), _removed())


@cache
def schema_digest() -> str:
    data = resources.files("iacgrade.harness.platforms.tf_hcl").joinpath("data")
    removed = data.joinpath(REMOVED_FILE).read_bytes() + data.joinpath(TEMPLATE_FILE).read_bytes()
    return hashlib.sha256(_raw() + removed).hexdigest()[:16]
