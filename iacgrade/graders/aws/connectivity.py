"""AWS: traffic the resource graph gives no path: workloads in subnets with no way to the AWS
services they use, VPC peering that carries traffic one way or not at all, and failover DNS
records that never fail over."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from iacgrade.graders.aws.routing import (
    OUTBOUND,
    Route,
    endpoint_services,
    leaves_vpc,
    subnet_tables,
    subnets_of,
    table_routes,
    vpc_of,
)
from iacgrade.graders.aws.workloads import (
    Use,
    environment_uses,
    grant_uses,
    instance_role,
    lambda_role,
    one,
    serviced_by_lambda,
    unique,
)
from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import repaired_among, resource_hit, site
from iacgrade.graders.terraform_model import Resource, Stack, masked
from iacgrade.graders.wording import plural
from iacgrade.harness.core.findings import Category, Severity

VPC_DOCS = "https://docs.aws.amazon.com/vpc/latest"
LAMBDA_VPC_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html"
ECR_IMAGE = re.compile(r"\.dkr\.ecr\.|aws_ecr_repository\.")
# What says where a subnet's traffic goes: a repaired call among them leaves the subnets unjudged.
ROUTING_TYPES = (
    "aws_subnet",
    "aws_route_table",
    "aws_default_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_main_route_table_association",
    "aws_nat_gateway",
    "aws_vpc_endpoint",
    "aws_vpc_endpoint_route_table_association",
)
PEERING_TYPES = (
    "aws_vpc_peering_connection_accepter",
    "aws_route",
    "aws_route_table",
    "aws_default_route_table",
)
# The need of an image from outside ECR: no VPC endpoint serves it, only a way out.
IMAGE_REGISTRY = "image registry"
ECR_NEED = "ECR (the task's image)"


@dataclass
class Workload:
    """A compute resource placed in subnets, and the APIs it must reach from there."""

    res: Resource
    attr: str  # the attribute that places it (`vpc_config`), where a finding points
    subnets: list[Resource]
    public_ip: bool | None  # None: as the subnet's `map_public_ip_on_launch` says
    uses: list[Use] = field(default_factory=list)
    image: str = ""  # an ECS task's image from outside ECR: only a way out reaches it
    ecr_image: bool = False  # an ECS task's ECR image: the ECR endpoints reach it


@rule(
    id="AWS022",
    name="subnet-reaches-no-service",
    title="Workload in a Subnet With No Path to the AWS Services It Uses",
    # Everything deploys; what fails is every call the code makes (a timeout).
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model placed a Lambda function, ECS task or instance in subnets whose route tables lead "
        "nowhere outside the VPC (no NAT gateway; for a function, an internet gateway does not count) "
        "while no VPC endpoint serves the AWS services it uses."
    ),
    docs=(
        LAMBDA_VPC_DOCS,
        f"{VPC_DOCS}/userguide/vpc-nat-gateway.html",
        f"{VPC_DOCS}/privatelink/aws-services-privatelink-support.html",
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html",
    ),
    impact=(
        "Runtime Failure: Every call to the service times out; the function or task never does its work",
        "Network Connectivity: Private subnets need a NAT gateway or VPC endpoints to reach AWS APIs",
    ),
    fix_minutes=20,
    needs="terraform",
    keywords=(
        "missing NAT",
        "no NAT",
        "without NAT",
        "NAT gateway for",
        "NAT gateways for",
        "private subnet",
        "internet access",
        "outbound internet",
        "VPC endpoint",
        "Lambda VPC",
        "no route to",
    ),
)
def subnet_reaches_no_service(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a Lambda function with `vpc_config`, an ECS service with
    `network_configuration` or an EC2 instance, placed in subnets of the answer whose route
    tables have no route out of the VPC (to a NAT gateway or instance, a transit or VPN gateway;
    an internet gateway counts only for a workload with a public IP, which a Lambda function in a
    VPC never gets) and where no VPC endpoint serves an AWS API the workload uses. What it uses:
    the tables, buckets, queues, topics, secrets, streams and functions its environment variables
    name or its role is granted actions on by ARN (not the trigger queue or dead-letter queue,
    which the Lambda service reaches), and for an ECS task its container image (ECR needs the
    `ecr.api`, `ecr.dkr` and S3 endpoints; any other registry a way out). A subnet whose tables
    or a workload whose role the JSON does not fully show is not judged.

    Why it matters: the stack deploys, then every call times out ("Connect timeout on endpoint
    URL: https://dynamodb.us-east-1.amazonaws.com/"), and an ECS task never starts
    ("CannotPullContainerError").

    Bad: `vpc_config=LambdaFunctionVpcConfig(subnet_ids=[private.id], ...)` with a DynamoDB
    table in the function's environment, and no NAT gateway route nor DynamoDB endpoint for
    `private`'s route table.

    Good: a `NatGateway` in a public subnet and a `0.0.0.0/0` route to it in the private route
    table; or a gateway endpoint `com.amazonaws.<region>.dynamodb` on that route table.

    References: Lambda internet and service access from a VPC; NAT gateways; AWS services that
    integrate with PrivateLink; ECR interface endpoints.
    """
    for stack in ctx.tf.stacks.values():
        if repaired_among(ctx, stack, *ROUTING_TYPES):
            continue
        for work in _workloads(stack):
            hit = _stuck(ctx, stack, work)
            if hit is not None:
                yield hit


def _workloads(stack: Stack) -> Iterator[Workload]:
    for fn in stack.of_type("aws_lambda_function"):
        blocks = [b for b in fn.blocks("vpc_config") if b.get("subnet_ids")]
        if not blocks:
            continue
        subnets, other = subnets_of(stack, blocks[0].get("subnet_ids"))
        role = lambda_role(stack, fn)
        granted = grant_uses(stack, role, serviced_by_lambda(stack, fn)) if role is not None else []
        if other or not subnets or granted is None:
            continue
        yield Workload(fn, "vpc_config", subnets, False, unique(environment_uses(stack, fn) + granted))
    for svc in stack.of_type("aws_ecs_service"):
        net = svc.blocks("network_configuration")
        if not net or not _on_fargate(stack, svc):
            continue  # on EC2 the container instance, not the task's subnet, pulls the image
        subnets, other = subnets_of(stack, net[0].get("subnets"))
        task = one(stack, svc.get("task_definition"), "aws_ecs_task_definition")
        if other or not subnets or task is None:
            continue
        role = one(stack, task.get("task_role_arn"), "aws_iam_role")
        granted = grant_uses(stack, role, set()) if role is not None else []
        if granted is None:
            continue
        work = Workload(
            svc, "network_configuration", subnets, net[0].get("assign_public_ip") is True, granted
        )
        images = _images(task.get("container_definitions"))
        if images is None:
            continue
        work.ecr_image = any(ECR_IMAGE.search(i) for i in images) or any("${" in i for i in images)
        work.image = next((i for i in images if not ECR_IMAGE.search(i) and "${" not in i), "")
        yield work
    for inst in stack.of_type("aws_instance"):
        subnets, other = subnets_of(stack, inst.get("subnet_id"))
        role = instance_role(stack, inst)
        granted = grant_uses(stack, role, set()) if role is not None else []
        if other or not subnets or granted is None or not granted:
            continue
        public = inst.get("associate_public_ip_address")
        yield Workload(inst, "subnet_id", subnets, public if isinstance(public, bool) else None, granted)


def _on_fargate(stack: Stack, svc: Resource) -> bool:
    if stack.resolve(svc.get("launch_type")) == "FARGATE":
        return True
    providers = [stack.resolve(b.get("capacity_provider")) for b in svc.blocks("capacity_provider_strategy")]
    return any(isinstance(p, str) and p.startswith("FARGATE") for p in providers)


def _images(defs: Any) -> list[str] | None:
    """The container images of a task definition's `container_definitions`, None when unreadable."""
    if not isinstance(defs, str):
        return None
    try:
        parsed = json.loads(masked(defs))
    except json.JSONDecodeError:
        return None
    if not isinstance(parsed, list):
        return None
    raw = re.findall(r'"image"\s*:\s*"((?:[^"\\]|\\.)*)"', defs)
    images = [str(c.get("image")) for c in parsed if isinstance(c, dict) and c.get("image")]
    # The raw text keeps what masking replaced (`${aws_ecr_repository.app.repository_url}`).
    return raw if len(raw) == len(images) else images


def _stuck(ctx: GradeContext, stack: Stack, work: Workload) -> Hit | None:
    needs: list[tuple[str, tuple[str, ...] | None]] = [(u.label, u.endpoints) for u in work.uses]
    if work.image:
        needs.append((IMAGE_REGISTRY, None))
    elif work.ecr_image:
        needs.append((ECR_NEED, tuple(load("service_access.json")["ecr_image_endpoints"])))
    if not needs:
        return None
    stuck: list[tuple[Resource, list[Route], list[Resource]]] = []
    unserved: list[str] = []
    for subnet in work.subnets:
        public = (
            work.public_ip if work.public_ip is not None else subnet.get("map_public_ip_on_launch") is True
        )
        judged = _judge_subnet(stack, subnet, public)
        if judged is None:
            continue
        routes, tables, vpc = judged
        if vpc is None:
            continue
        served = endpoint_services(stack, vpc, tables)
        if served is None:
            continue
        missing = [label for label, eps in needs if eps is None or not all(e in served for e in eps)]
        if missing:
            stuck.append((subnet, routes, tables))
            unserved.extend(m for m in missing if m not in unserved)
    if not stuck:
        return None
    return resource_hit(
        ctx,
        work.res,
        _message(ctx, stack, work, stuck, unserved),
        attr=work.attr,
    )


def _judge_subnet(
    stack: Stack, subnet: Resource, public: bool
) -> tuple[list[Route], list[Resource], Resource | None] | None:
    """(routes, tables, vpc) of a subnet with no way out; None when it has one or cannot be told."""
    tables = subnet_tables(stack, subnet)
    if tables is None:
        return None
    routes: list[Route] = []
    for table in tables:
        found = table_routes(stack, table)
        if found is None:
            return None
        routes.extend(found)
    for route in routes:
        if leaves_vpc(route) and (route.kind in OUTBOUND or (route.kind == "igw" and public)):
            return None
    return routes, tables, vpc_of(stack, subnet)


def _message(
    ctx: GradeContext,
    stack: Stack,
    work: Workload,
    stuck: list[tuple[Resource, list[Route], list[Resource]]],
    unserved: list[str],
) -> str:
    many = len(stuck) > 1
    they, their = ("they", "their") if many else ("it", "its")
    names = ", ".join(f"`{s.address}`" for s, _, _ in stuck)
    tables = {t.address: t for _, _, ts in stuck for t in ts}
    listed = f"{plural(len(tables), 'route table')} " + ", ".join(f"`{a}`" for a in tables)
    igws = sorted({r.target.address for _, rs, _ in stuck for r in rs if r.kind == "igw" and r.target})
    is_fn = work.res.type == "aws_lambda_function"
    if not tables:
        why = (
            f"{they} {'have' if many else 'has'} no route table association, so {they} "
            f"{'use' if many else 'uses'} the VPC's main route table, which holds only the local route"
        )
    elif igws:
        who = (
            "a function in a VPC cannot use (it gets no public IP)"
            if is_fn
            else "needs a public IP it does not get"
        )
        verb = "leads" if len(tables) == 1 else "lead"
        why = f"{their} {listed} {verb} out only through `{igws[0]}`, which {who}"
    else:
        verb = "has" if len(tables) == 1 else "have"
        why = f"{their} {listed} {verb} no route to a NAT gateway or other way out"
    served = [u for u in unserved if u != IMAGE_REGISTRY]
    endpoints = f"; no VPC endpoint serves {', '.join(served)} there" if served else ""
    parts = [f"`{work.res.address}` runs in {names}: {why}{endpoints}."]
    if work.uses:
        uses = ", ".join(f"`{u.resource.address}` ({u.label}, named in {u.why})" for u in work.uses)
        who = {"aws_lambda_function": "The function", "aws_ecs_service": "Its tasks"}.get(
            work.res.type, "The instance"
        )
        parts.append(f"{who} {'use' if who == 'Its tasks' else 'uses'} {uses}: every such call times out.")
    if work.image:
        parts.append(
            f"Its tasks cannot pull the image `{work.image}` (CannotPullContainerError) and never start."
        )
    elif ECR_NEED in unserved:
        parts.append("Its tasks cannot pull their ECR image (CannotPullContainerError) and never start.")
    exits = _exits_elsewhere(ctx, stack, stuck, set(tables))
    return " ".join(parts) + exits


def _exits_elsewhere(
    ctx: GradeContext, stack: Stack, stuck: list[tuple[Resource, list[Route], list[Resource]]], seen: set[str]
) -> str:
    """Where the VPC does have a way out (route tables of other subnets), to say where to look."""
    vpcs = {v.address for s, _, _ in stuck if (v := vpc_of(stack, s)) is not None}
    places: list[str] = []
    for table in stack.of_type("aws_route_table"):
        owner = vpc_of(stack, table)
        if table.address in seen or owner is None or owner.address not in vpcs:
            continue
        routes = table_routes(stack, table) or []
        if any(r.kind in OUTBOUND | {"igw"} and leaves_vpc(r) for r in routes):
            loc = site(ctx, table).location
            at = f" at {loc.path}:{loc.line}" if loc.path and loc.line else ""
            places.append(f"`{table.address}`{at}")
    if not places:
        return ""
    return f" The VPC's way out, {', '.join(places[:2])}, serves other subnets."


@rule(
    id="AWS023",
    name="vpc-peering-one-way",
    title="VPC Peering Not Accepted or Not Routed Both Ways",
    # Everything deploys; what fails is the traffic the peering was made for.
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model created a VPC peering connection without accepting it, or without routes through "
        "it in both VPCs' route tables, so no traffic (or no reply) crosses it."
    ),
    docs=(
        f"{VPC_DOCS}/peering/vpc-peering-routing.html",
        f"{VPC_DOCS}/peering/accept-vpc-peering-connection.html",
        "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/vpc_peering_connection_accepter",
    ),
    impact=(
        "Network Connectivity: Traffic through the peering is dropped, or its replies are",
        "Disaster Recovery: Cross-region replication or failover over the peering does not work",
    ),
    fix_minutes=15,
    needs="terraform",
    keywords=("VPC peering", "peering connection", "peering route", "not accepted", "accepter"),
)
def vpc_peering_one_way(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_vpc_peering_connection` between two VPCs of the answer that nothing
    accepts (no `auto_accept = true`, no `aws_vpc_peering_connection_accepter`), or whose routes
    (`vpc_peering_connection_id` of an `aws_route` or inline route, to a CIDR of the peer VPC)
    are in one VPC's route tables only, or in neither. Route tables the JSON does not fully show
    (a route added in a loop, a table of another stack) leave the routes unjudged.

    Why it matters: a connection nobody accepts stays `pending-acceptance` and carries nothing; a
    route on one side only sends packets whose replies have no way back, so every connection
    across the peering times out.

    Bad: `VpcPeeringConnection(..., peer_region="us-east-2", auto_accept=False)` and nothing else.

    Good: a `VpcPeeringConnectionAccepterA(..., vpc_peering_connection_id=peering.id,
    auto_accept=True)` with the peer region's provider, and a `Route` in each VPC's route
    tables to the other VPC's CIDR through `peering.id`.

    References: Amazon VPC peering route tables; accepting a peering connection; Terraform
    `aws_vpc_peering_connection_accepter`.
    """
    # An accepter of another stack names the connection through a remote-state output: then
    # whether a connection is accepted cannot be told.
    remote = any(
        not _accepts(s, a)
        for s in ctx.tf.stacks.values()
        for a in s.of_type("aws_vpc_peering_connection_accepter")
    )
    for stack in ctx.tf.stacks.values():
        if repaired_among(ctx, stack, *PEERING_TYPES):
            continue
        for pc in stack.of_type("aws_vpc_peering_connection"):
            unaccepted, problems = _peering_problems(stack, pc, remote)
            if problems:
                ends = _peering_ends(stack, pc)
                between = f" (between `{ends[0].address}` and `{ends[1].address}`)" if ends else ""
                yield resource_hit(
                    ctx,
                    pc,
                    f"`{pc.address}`{between}: {' '.join(problems)}",
                    attr="auto_accept" if unaccepted and "auto_accept" in pc.config else None,
                )


def _peering_ends(stack: Stack, pc: Resource) -> tuple[Resource, Resource] | None:
    requester = one(stack, pc.get("vpc_id"), "aws_vpc")
    accepter = one(stack, pc.get("peer_vpc_id"), "aws_vpc")
    return (requester, accepter) if requester is not None and accepter is not None else None


def _peering_problems(stack: Stack, pc: Resource, remote: bool) -> tuple[bool, list[str]]:
    """(never accepted, what is wrong as sentences) for one peering connection."""
    problems: list[str] = []
    mine = [
        a for a in stack.of_type("aws_vpc_peering_connection_accepter") if pc.address in _accepts(stack, a)
    ]
    unaccepted = pc.get("auto_accept") is not True and not mine and not remote
    if unaccepted:
        how = "`auto_accept` is false" if pc.get("auto_accept") is False else "it does not set `auto_accept`"
        problems.append(
            f"It is never accepted: {how} and no `aws_vpc_peering_connection_accepter` accepts it, so it "
            "stays `pending-acceptance` and carries no traffic."
        )
    ends = _peering_ends(stack, pc)
    if ends is None:
        return unaccepted, problems
    through = {pc.address, *(a.address for a in mine)}
    sides = _routes_through(stack, through, ends)
    if sides is None:
        return unaccepted, problems
    requester, accepter = ends
    if not sides[0] and not sides[1]:
        problems.append("No route in either VPC's route tables goes through it, so no traffic crosses it.")
    elif not sides[0] or not sides[1]:
        has, lacks = (requester, accepter) if sides[0] else (accepter, requester)
        routes = ", ".join(f"`{r.source.address}`" for r in (sides[0] or sides[1])[:3])
        problems.append(
            f"Only `{has.address}` routes through it ({routes}); no route table of `{lacks.address}` "
            "sends traffic back through it, so every reply is dropped."
        )
    return unaccepted, problems


def _accepts(stack: Stack, accepter: Resource) -> set[str]:
    value = accepter.get("vpc_peering_connection_id")
    return {a for a in stack.references(value) if a.startswith("aws_vpc_peering_connection.")}


def _routes_through(
    stack: Stack, through: set[str], ends: tuple[Resource, Resource]
) -> tuple[list[Route], list[Route]] | None:
    """Routes through the connection in each end's route tables (to the other end's CIDR when
    both are literal); None when a table's routes cannot be read."""
    sides: tuple[list[Route], list[Route]] = ([], [])
    for table in [*stack.of_type("aws_route_table"), *stack.of_type("aws_default_route_table")]:
        routes = table_routes(stack, table)
        if routes is None:
            return None
        owner = _table_vpc(stack, table)
        for route in routes:
            if route.kind != "peering" or route.target is None or route.target.address not in through:
                continue
            for i, end in enumerate(ends):
                other = ends[1 - i]
                if owner is end and _covers(stack, route, other):
                    sides[i].append(route)
    return sides


def _table_vpc(stack: Stack, table: Resource) -> Resource | None:
    if table.type == "aws_default_route_table":
        return one(stack, table.get("default_route_table_id"), "aws_vpc")
    return vpc_of(stack, table)


def _covers(stack: Stack, route: Route, vpc: Resource) -> bool:
    """Whether a route's destination may reach `vpc` (unknown CIDRs may)."""
    cidr = stack.literal_text(vpc, "cidr_block")
    if route.destination is None or cidr is None:
        return True
    try:
        return ipaddress.ip_network(route.destination, strict=False).overlaps(
            ipaddress.ip_network(cidr, strict=False)
        )
    except ValueError:
        return True


@rule(
    id="AWS024",
    name="failover-record-without-health-check",
    title="Primary Failover Record Without a Health Check",
    # The records deploy; what fails is the failover they were made for.
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model made a PRIMARY failover DNS record without a health check (nor an alias that "
        "evaluates its target's health), so Route 53 never considers it unhealthy and never fails over."
    ),
    docs=(
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-configuring.html",
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-failover.html",
    ),
    impact=(
        "Disaster Recovery: Traffic keeps going to the failed primary; the secondary is never used",
        "Availability: An outage of the primary region becomes an outage of the service",
    ),
    fix_minutes=10,
    needs="terraform",
    keywords=("failover record", "failover routing", "DNS failover", "health check", "automatic failover"),
)
def failover_record_without_health_check(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_route53_record` with `failover_routing_policy` of type `PRIMARY`
    that has no `health_check_id` and is not an alias with `evaluate_target_health = true`.

    Why it matters: Route 53 considers a failover record without a health check always healthy,
    so it keeps answering with the primary when the primary is down, and the SECONDARY record is
    never returned.

    Bad: `Route53Record(..., set_identifier="primary",
    failover_routing_policy=Route53RecordFailoverRoutingPolicy(type="PRIMARY"),
    records=[primary_endpoint])` with no `health_check_id`.

    Good: `health_check_id=primary_check.id` on the PRIMARY record (an `Route53HealthCheck` of
    the primary endpoint), or an alias record to a load balancer with
    `evaluate_target_health=True`.

    References: Configuring Route 53 DNS failover; failover routing.
    """
    for stack in ctx.tf.stacks.values():
        for record in stack.of_type("aws_route53_record"):
            policies = record.blocks("failover_routing_policy")
            kind = stack.resolve(policies[0].get("type")) if policies else None
            if not isinstance(kind, str) or kind.upper() != "PRIMARY" or record.get("health_check_id"):
                continue
            if any(a.get("evaluate_target_health") is not False for a in record.blocks("alias")):
                continue  # true, or a token: the alias target's health may decide
            name = stack.literal_text(record, "name")
            yield resource_hit(
                ctx,
                record,
                f"`{record.address}` is the PRIMARY failover record"
                f"{f' for `{name}`' if name else ''} but has no `health_check_id`"
                f"{' and its alias does not evaluate the target health' if record.blocks('alias') else ''}: "
                "Route 53 treats it as always healthy, so it never fails over to the SECONDARY record.",
                attr="failover_routing_policy",
            )
