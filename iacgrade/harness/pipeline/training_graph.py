"""What the reference's resource graph shows of its complexity, in the archive policy's terms.

The archive's training-quality policy (`iacgrade/harness/data/training_policy.toml`) rewards a reference
that integrates three or more services, practises security, is highly available or uses an
advanced pattern. Each trait is read from the synthesized Terraform JSON: which services the
resources belong to and which reference one another, which resources encrypt or restrict, which
span zones, regions or replicas. Every trait carries the evidence it rests on, for the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from iacgrade.graders.terraform_model import Resource, Stack, TerraformModel


@dataclass(frozen=True)
class GraphPolicy:
    """The [complexity] part of the training policy: how resources reveal each trait."""

    services: dict[str, tuple[str, ...]]
    support_services: frozenset[str]
    security_types: frozenset[str]
    encryption_true: tuple[str, ...]
    encryption_key: tuple[str, ...]
    iam_policy_types: frozenset[str]
    ha_types: frozenset[str]
    multi_az_true: tuple[str, ...]
    min_zones: int
    pattern_types: frozenset[str]
    event_protocols: frozenset[str]
    replica_types: frozenset[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphPolicy:
        sec = data.get("security", {})
        ha = data.get("high_availability", {})
        adv = data.get("advanced_patterns", {})
        return cls(
            services={k: tuple(v) for k, v in data.get("services", {}).items()},
            support_services=frozenset(data.get("support_services", ())),
            security_types=frozenset(sec.get("types", ())),
            encryption_true=tuple(sec.get("encryption_true", ())),
            encryption_key=tuple(sec.get("encryption_key", ())),
            iam_policy_types=frozenset(sec.get("iam_policy_types", ())),
            ha_types=frozenset(ha.get("types", ())),
            multi_az_true=tuple(ha.get("multi_az_true", ())),
            min_zones=int(ha.get("min_zones", 2)),
            pattern_types=frozenset(adv.get("types", ())),
            event_protocols=frozenset(adv.get("event_protocols", ())),
            replica_types=frozenset(adv.get("replica_types", ())),
        )

    def service_of(self, rtype: str) -> str:
        """The service a resource type belongs to: the longest listed prefix, else its first word."""
        best, length = "", 0
        for service, prefixes in self.services.items():
            for prefix in prefixes:
                if rtype.startswith(prefix) and len(prefix) > length:
                    best, length = service, len(prefix)
        if best:
            return best
        parts = rtype.split("_")
        return parts[1] if len(parts) > 1 else rtype


@dataclass
class Traits:
    """The complexity traits found, each with the evidence it rests on (empty: not found)."""

    services: list[str] = field(default_factory=list)  # every service, support ones excluded
    integrated: list[str] = field(default_factory=list)  # services linked to another by a reference
    security: list[str] = field(default_factory=list)
    high_availability: list[str] = field(default_factory=list)
    advanced_patterns: list[str] = field(default_factory=list)


def read_traits(tf: TerraformModel, policy: GraphPolicy) -> Traits:
    """Every complexity trait of one answer's Terraform JSON."""
    traits = Traits()
    services: set[str] = set()
    linked: set[str] = set()
    for stack in tf.stacks.values():
        # Other providers' resources (`random_password`, `archive_file`) are no AWS service.
        for res in (r for r in stack.resources if r.type.startswith("aws_")):
            mine = policy.service_of(res.type)
            services.add(mine)
            for address in stack.references(res.config):
                target = stack.resource(address)
                if target is None or target.mode != "managed" or not target.type.startswith("aws_"):
                    continue
                theirs = policy.service_of(target.type)
                # A link through IAM alone (every function has a role) integrates nothing.
                if theirs != mine and not {mine, theirs} & policy.support_services:
                    linked.update((mine, theirs))
    traits.services = sorted(services - policy.support_services)
    traits.integrated = sorted(linked)
    traits.security = _security(tf, policy)
    traits.high_availability = _high_availability(tf, policy)
    traits.advanced_patterns = _patterns(tf, policy)
    return traits


def _security(tf: TerraformModel, policy: GraphPolicy) -> list[str]:
    found: set[str] = set()
    for stack, res in tf.resources():
        if res.type in policy.security_types:
            found.add(f"`{res.type}`")
        if any(_true(stack, res, a) for a in policy.encryption_true) or any(
            res.get(a) for a in policy.encryption_key
        ):
            found.add("encryption at rest")
        if res.type == "aws_dynamodb_table" and any(
            b.get("enabled") for b in res.blocks("server_side_encryption")
        ):
            found.add("encryption at rest")
    scoped = [res for _s, res in tf.resources(*policy.iam_policy_types)]
    if scoped and not any(_grants_everything(res.get("policy")) for res in scoped):
        found.add("least-privilege IAM policies")
    return sorted(found)


def _high_availability(tf: TerraformModel, policy: GraphPolicy) -> list[str]:
    found: set[str] = set()
    for stack, res in tf.resources():
        if res.type in policy.ha_types:
            found.add(f"`{res.type}`")
        if any(_true(stack, res, a) for a in policy.multi_az_true):
            found.add(f"multi-AZ `{res.type}`")
        if res.type in policy.replica_types and res.blocks("replica"):
            found.add(f"replicas of `{res.type}`")
    # A zone written as an expression (`${element(data.aws_availability_zones.az.names, 1)}`)
    # counts by its text: two different expressions stand for two zones.
    zones = {z for stack, res in tf.resources("aws_subnet") if (z := _zone(stack, res))}
    if len(zones) >= policy.min_zones:
        found.add(f"subnets in {len(zones)} availability zones")
    regions = _resource_regions(tf)
    if len(regions) >= 2:
        found.add(f"resources in {len(regions)} regions ({', '.join(sorted(regions))})")
    return sorted(found)


def _patterns(tf: TerraformModel, policy: GraphPolicy) -> list[str]:
    found: set[str] = set()
    for _stack, res in tf.resources():
        if res.type in policy.pattern_types:
            found.add(f"`{res.type}`")
        if res.type == "aws_sns_topic_subscription" and res.get("protocol") in policy.event_protocols:
            found.add(f"SNS fan-out to {res.get('protocol')}")
        if res.type in policy.replica_types and res.blocks("replica"):
            found.add(f"global `{res.type}`")
    return sorted(found)


def _zone(stack: Stack, res: Resource) -> str:
    raw = res.get("availability_zone") or res.get("availability_zone_id")
    value = stack.resolve(raw)
    return value if isinstance(value, str) else str(raw or "")


def _true(stack: Stack, res: Resource, attr: str) -> bool:
    return stack.literal(res, attr) is True


def _resource_regions(tf: TerraformModel) -> set[str]:
    regions: set[str] = set()
    for stack, res in tf.resources():
        region = stack.region_of(res)
        if region:
            regions.add(region)
    return regions


def _grants_everything(policy: Any) -> bool:
    """An Allow statement for every action (`*`, `service:*`) on every resource (`*`)."""
    try:
        doc = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return False  # a document built from Terraform expressions: nothing to judge
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = _as_list(st.get("Action"))
        resources = _as_list(st.get("Resource"))
        if "*" in resources and any(a == "*" or a.endswith(":*") for a in actions):
            return True
    return False


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
