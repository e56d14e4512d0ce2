"""What a compute resource of the answer uses: the role it runs as, and the AWS APIs its code
reaches, read from the resources its environment names and the resources its role is granted on
(iacgrade/graders/aws/data/service_access.json says which resource types are reached through which API)."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from iacgrade.graders.aws.iam import role_statements
from iacgrade.graders.constraints import load
from iacgrade.graders.terraform_model import Resource, Stack


@dataclass(frozen=True)
class Use:
    """One resource a workload reaches through an AWS API, and what says so."""

    resource: Resource
    service: str  # the IAM service prefix (`dynamodb`)
    label: str  # the service's name for people (`DynamoDB`)
    endpoints: tuple[str, ...]  # VPC endpoint services that serve the API without a way out
    why: str  # "its environment `TABLE_NAME`", "its role's policy"


def service_types() -> dict[str, dict[str, Any]]:
    return dict(load("service_access.json")["resource_services"])


def one(stack: Stack, value: Any, *types: str) -> Resource | None:
    """The first resource of `types` (of this stack) a value refers to."""
    for address in sorted(stack.references(value)):
        res = stack.resource(address)
        if res is not None and res.type in types:
            return res
    return None


def environment(res: Resource) -> dict[str, Any]:
    """A Lambda function's environment variables."""
    variables: dict[str, Any] = {}
    for block in res.blocks("environment"):
        found = block.get("variables")
        if isinstance(found, dict):
            variables.update(found)
    return variables


def environment_uses(stack: Stack, fn: Resource) -> list[Use]:
    """The API-reached resources a function's environment variables refer to."""
    types = service_types()
    uses: list[Use] = []
    for key, value in sorted(environment(fn).items()):
        for address in sorted(stack.references(value)):
            res = stack.resource(address)
            if res is not None and res.type in types and res != fn:
                uses.append(_use(res, types[res.type], f"its environment `{key}`"))
    return uses


def grant_uses(stack: Stack, role: Resource, skip: set[str]) -> list[Use] | None:
    """The API-reached resources of this stack that `role` is granted actions of their service on
    (a statement naming the resource's ARN), leaving out the addresses in `skip` (what the
    service running the workload reaches for it: a trigger queue, a dead-letter queue). None
    when a policy of the role cannot be read."""
    grants = role_statements(stack, role)
    if grants is None:
        return None
    types = service_types()
    uses: list[Use] = []
    for grant in grants:
        for address in sorted(stack.references(list(grant.resources))):
            res = stack.resource(address)
            if res is None or res.type not in types or address in skip:
                continue
            entry = types[res.type]
            if any(fnmatchcase(str(entry["service"]), a.split(":", 1)[0].lower()) for a in grant.actions):
                uses.append(_use(res, entry, "its role's policy"))
    return uses


def _use(res: Resource, entry: dict[str, Any], why: str) -> Use:
    return Use(res, str(entry["service"]), str(entry["label"]), tuple(entry["endpoints"]), why)


def lambda_role(stack: Stack, fn: Resource) -> Resource | None:
    return one(stack, fn.get("role"), "aws_iam_role")


def instance_role(stack: Stack, instance: Resource) -> Resource | None:
    """The role of an instance's `iam_instance_profile` (by reference or by literal name)."""
    value = instance.get("iam_instance_profile")
    profile = one(stack, value, "aws_iam_instance_profile")
    if profile is None and isinstance(value, str):
        profile = next(
            (p for p in stack.of_type("aws_iam_instance_profile") if stack.literal_text(p, "name") == value),
            None,
        )
    return one(stack, profile.get("role"), "aws_iam_role") if profile is not None else None


def serviced_by_lambda(stack: Stack, fn: Resource) -> set[str]:
    """What the Lambda service itself reaches for `fn`: the sources of its event source mappings
    and its dead-letter target."""
    found: set[str] = set()
    for mapping in stack.of_type("aws_lambda_event_source_mapping"):
        if fn.address in stack.references(mapping.get("function_name")):
            found |= stack.references(mapping.get("event_source_arn"))
    for block in fn.blocks("dead_letter_config"):
        found |= stack.references(block.get("target_arn"))
    return found


def unique(uses: list[Use]) -> list[Use]:
    """One use per resource, the first reason kept."""
    seen: set[str] = set()
    out: list[Use] = []
    for use in uses:
        if use.resource.address not in seen:
            seen.add(use.resource.address)
            out.append(use)
    return out
