"""What checking one requirement comes to, and the questions the checks ask of the stacks.

A check answers met, unmet or unchecked. An unmet requirement names its culprits: the resources
(or the stack, when something is absent) where it should be met. A culprit another rule already
reports (deletion protection is AWS010's, an unencrypted RDS instance is checkov's) carries that
rule's id in `reported_by`: the requirement is still unmet in the report, but REQ does not report
the same resource a second time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

# Shared with AWS013, which judges services absent from partial JSON the same way.
from iacgrade.graders.aws.general import _partial_synth as partial_synth
from iacgrade.graders.aws.general import _provider_modules as provider_modules
from iacgrade.graders.context import GradeContext
from iacgrade.graders.terraform_model import Resource, Stack, is_token
from iacgrade.harness.core.findings import Severity

MET = "met"
UNMET = "unmet"
UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Culprit:
    """Where an unmet requirement should have been met, and what is wrong there."""

    what: str  # a sentence about this place: "`aws_s3_bucket.logs` does not set `force_destroy=True`"
    stack: str
    resource: Resource | None = None  # None: the stack as a whole (something is absent)
    attr: str | None = None  # the keyword of the construct call to point at
    error: str = ""  # what Terraform or AWS answers, when the failure shows at deploy
    reported_by: str = ""  # another rule reports this place already
    # The answer's `AwsProvider(...)` call to point at (REQ001), as (path, line).
    provider: tuple[str, str] | None = None
    # The severity when it is not the aspect's (a cache's Multi-AZ setting beside a database's).
    severity: Severity | None = None


@dataclass(frozen=True)
class Verdict:
    status: str  # MET, UNMET or UNCHECKED
    detail: str = ""  # what was found, for the report
    culprits: tuple[Culprit, ...] = ()


def met(detail: str = "") -> Verdict:
    return Verdict(MET, detail)


def unchecked(detail: str) -> Verdict:
    return Verdict(UNCHECKED, detail)


def unmet(culprits: list[Culprit] | tuple[Culprit, ...], detail: str = "") -> Verdict:
    culprits = tuple(culprits)
    return Verdict(UNMET, detail or (culprits[0].what if culprits else ""), culprits)


def absent(
    ctx: GradeContext, what: str, types: tuple[str, ...], error: str = "", reported_by: str = ""
) -> Verdict:
    """Unmet because no stack has a resource of `types`: the culprit is the first stack. When the
    JSON may be partial (a fallback or repaired synth) and the source imports the provider class of
    one of the types, the part the synth did not reach may create it: unchecked then."""
    if partial_synth(ctx):
        imported = provider_modules(ctx)
        if any(t.removeprefix("aws_") in imported for t in types):
            return unchecked(f"{what}, but the synthesized JSON may be partial and the source imports it")
    if set(types) & ctx.tf.unexpanded_types():
        # Declared with `count = 0` for the inputs' values: other inputs create it.
        return unchecked(f"{what}, but the answer declares one that its inputs' values leave out")
    called = ctx.tf.module_calls()
    if called:
        # A module's resources are not in the JSON: `module "vpc"` may well create the subnets.
        shown = ", ".join(f"`{m}`" for m in called[:3])
        return unchecked(f"{what}, but the answer calls modules ({shown}) whose resources are not read")
    stack = next(iter(ctx.tf.stacks), "")
    return unmet([Culprit(what, stack, error=error, reported_by=reported_by)])


def missing(ctx: GradeContext, what: str, types: tuple[str, ...], near: tuple[str, ...] = ()) -> Verdict:
    """Unmet because no stack has a resource of `types`: the culprit is the first resource of
    `near` (where the missing one belongs: the records a health check would watch), else the stack."""
    for rtype in near:
        found = list(ctx.tf.resources(rtype))
        if found:
            stack, res = found[0]
            return unmet([Culprit(what, stack.name, res)])
    return absent(ctx, what, types)


@cache
def facts() -> dict[str, Any]:
    """`data/requirement_checks.toml`: which attribute says what, per resource type."""
    text = (files("iacgrade.graders.requirements") / "data" / "requirement_checks.toml").read_text(
        encoding="utf-8"
    )
    return tomllib.loads(text)


def of_types(ctx: GradeContext, *types: str) -> list[tuple[Stack, Resource]]:
    return list(ctx.tf.resources(*types))


def subject_types(
    subjects: tuple[str, ...], table: Mapping[str, list[str]], everything: list[str]
) -> list[str]:
    """The resource types of the subjects a requirement names: those of `everything` (the data
    stores) for "all" or no subject; none when the subjects it names are not in the table (a
    DynamoDB table is always encrypted at rest)."""
    if not subjects or "all" in subjects:
        return sorted({t for s in everything for t in table[s]})
    return sorted({t for s in subjects if s in table for t in table[s]})


def refers_to(stack: Stack, value: Any, target: Resource) -> bool:
    """Whether `value` names `target`: a `${type.name...}` reference, or its literal name."""
    if target.address in stack.references(value):
        return True
    name = target.get("bucket") or target.get("name")
    return isinstance(name, str) and not is_token(name) and value == name


def attached(stack: Stack, target: Resource, rtype: str, attr: str) -> list[Resource]:
    """Resources of `rtype` whose `attr` names `target` (the versioning of a bucket)."""
    return [r for r in stack.of_type(rtype) if refers_to(stack, r.get(attr), target)]


def is_set(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


def blocks(value: Any) -> list[dict[str, Any]]:
    """A nested block as a list of dicts (one block is written as a dict or a one-item list)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def dig(value: Any, *path: str) -> Iterator[Any]:
    """Every value at `path` under nested blocks (`rule`, `apply_..._by_default`, `kms_master_key_id`)."""
    if not path:
        yield value
        return
    for block in blocks(value):
        yield from dig(block.get(path[0]), *path[1:])


def shown(res: Resource) -> str:
    return f"`{res.address}`"


def words(text: str) -> set[str]:
    """Content words of a prompt line or a name, for telling which resource it is about."""
    stop = facts()["stop_words"]["words"]
    return {w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in stop}


def named_like(res: Resource, text: str) -> bool:
    """Whether a resource's construct id or physical name shares a content word with `text`."""
    name = " ".join(
        str(v) for v in (res.construct_id, res.get("bucket"), res.get("name")) if isinstance(v, str)
    )
    return bool(words(name.replace("_", " ").replace("-", " ")) & words(text))


@dataclass
class Tally:
    """Culprits collected over resources, and how many were looked at."""

    seen: int = 0
    culprits: list[Culprit] = field(default_factory=list)

    def verdict(self, noun: str, none: Verdict) -> Verdict:
        if not self.seen:
            return none
        if self.culprits:
            return unmet(
                self.culprits, f"{len(self.culprits)} of {self.seen} {noun}: {self.culprits[0].what}"
            )
        return met(f"all {self.seen} {noun}")
