"""AWS: resource names AWS refuses: too long, too short, or with characters the service rejects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit
from iacgrade.harness.core.findings import Category, Severity


@dataclass(frozen=True)
class NameLimit:
    """What one resource type's name must be, from `name_limits*.json`."""

    attribute: str
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    form: str = ""  # the pattern in words, where the data gives them
    required_prefix: str | None = None
    forbidden_prefixes: tuple[str, ...] = ()
    forbidden_suffixes: tuple[str, ...] = ()
    source: str = ""

    def problems(self, name: str) -> list[str]:
        """Each way `name` breaks the limit, in words; empty when it keeps to it."""
        out: list[str] = []
        if self.max is not None and len(name) > self.max:
            out.append(f"is {len(name)} characters long, over the limit of {self.max}")
        if self.min is not None and len(name) < self.min:
            out.append(f"is {len(name)} characters long, under the minimum of {self.min}")
        if self.required_prefix and not name.startswith(self.required_prefix):
            out.append(f"does not begin with `{self.required_prefix}`")
        for prefix in self.forbidden_prefixes:
            if name.startswith(prefix):
                out.append(f"begins with `{prefix}`, which AWS reserves")
        for suffix in self.forbidden_suffixes:
            if name.endswith(suffix):
                out.append(f"ends with `{suffix}`, which AWS reserves")
        form = _compiled(self.pattern) if self.pattern else None
        if form is not None and not form.fullmatch(name):
            allowed = self.form or f"the pattern `{self.pattern}`"
            out.append(f"has characters or a shape the service does not allow (allowed: {allowed})")
        return out


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    # Patterns come from API models written for other regex engines; one Python cannot read is skipped.
    try:
        return re.compile(pattern.removeprefix("^").removesuffix("$"))
    except re.error:
        return None


@cache
def name_limits() -> dict[str, NameLimit]:
    """Resource type -> its name limit: botocore's where it has one, the curated file's over it."""
    merged: dict[str, dict[str, Any]] = {}
    for data in (load("name_limits.json"), load("name_limits_curated.json")):
        for rtype, entry in data["limits"].items():
            base = merged.setdefault(rtype, {})
            base.update(entry)
            if "api" in entry and "source" not in entry:
                base["source"] = f"botocore service model: {entry['api']}"
    return {
        rtype: NameLimit(
            attribute=e["attribute"],
            min=e.get("min"),
            max=e.get("max"),
            pattern=e.get("pattern"),
            form=e.get("form", ""),
            required_prefix=e.get("required_prefix"),
            forbidden_prefixes=tuple(e.get("forbidden_prefixes", ())),
            forbidden_suffixes=tuple(e.get("forbidden_suffixes", ())),
            source=e.get("source", ""),
        )
        for rtype, e in merged.items()
    }


@rule(
    id="AWS021",
    name="name-outside-aws-limits",
    title="Resource Name AWS Does Not Accept",
    severity=Severity.CRITICAL,
    category=Category.AWS_SERVICE_LIMITS,
    rationale=(
        "The model built a resource name without checking the service's naming rules: its length "
        "limit (32 characters for a load balancer or target group, 64 for an IAM role or Lambda "
        "function, 63 for a bucket or DB identifier) or the characters it allows."
    ),
    docs=(
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    impact=(
        "Deployment Blocker: the provider's validation or the create call rejects the name",
        "Multi-Environment Support: names that fit for `dev` overflow for longer suffixes",
    ),
    fix_minutes=5,
    needs="terraform",
)
def name_outside_aws_limits(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a resource whose literal name, as synthesized (with the environment suffix
    filled in), is longer or shorter than its service allows, lacks a required prefix, uses a
    reserved prefix or suffix, or has characters the service rejects. The limits per resource type
    are data: `iacgrade/graders/aws/data/name_limits.json` (from botocore's service models) and
    `iacgrade/graders/aws/data/name_limits_curated.json` (AWS API references, where botocore declares none).

    Why it matters: the provider's validation at `terraform plan` or the service's create call
    rejects the name, so the stack never deploys; names built from several parts (project,
    component, region, suffix) overflow easily.

    Bad: `Lb(self, "alb", name=f"payment-processing-alb-{region}-{suffix}")` (36 characters
    with `us-east-1` and `dev`)

    Good: `name=f"pay-alb-{suffix}"`, or `name_prefix` where the resource offers it.

    References: the create API of each service (CreateLoadBalancer, CreateRole, CreateFunction,
    CreateDBCluster, ...); S3 bucket naming rules.
    """
    limits = name_limits()
    for stack, res in ctx.tf.resources(*limits):
        limit = limits[res.type]
        name = stack.literal_text(res, limit.attribute)
        if name is None:
            continue
        problems = limit.problems(name)
        if problems:
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}` has {limit.attribute} `{name}`, which {'; and '.join(problems)}.",
                attr=limit.attribute,
                docs=(limit.source.split(" ")[0],) if limit.source.startswith("http") else None,
            )
