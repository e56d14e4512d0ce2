"""The AWS provider's Terraform schema (data/aws_schema.json.gz, written by
scripts/build_hcl_schema.py from the provider package the CDKTF platform pins), loaded once per
process."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "aws_schema.json.gz"


class Schema:
    """Resource, data source and provider schemas: `{"a": {arg: [type, required]}, "b": {block:
    [schema, required, single]}}` each."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.meta: dict[str, str] = data.get("meta", {})

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
    return resources.files("harness.platforms.tf_hcl").joinpath("data", SCHEMA_FILE).read_bytes()


@cache
def load_schema() -> Schema:
    return Schema(json.loads(gzip.decompress(_raw())))


@cache
def schema_digest() -> str:
    return hashlib.sha256(_raw()).hexdigest()[:16]
