"""AWS: VPC networking that EC2 rejects at create time (security group rules, routes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit, site, spans_text
from iacgrade.graders.terraform_model import UNRESOLVED, Resource, Stack
from iacgrade.graders.wording import plural
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import Span
from iacgrade.harness.platforms.names import CDKTF_PYTHON, CFN, TF_HCL

EC2_DOCS = "https://docs.aws.amazon.com/vpc/latest/userguide"
_PROTOCOLS = {"-1": "-1", "all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


@dataclass(frozen=True)
class _Rule:
    """One rule as the answer wrote it: an inline block, or a rule resource."""

    owner: Resource  # the security group, or the rule resource
    direction: str
    index: int | None  # position in the inline list; None for a rule resource
    atoms: frozenset[tuple[str, str, int, int, str]]


@rule(
    id="AWS005",
    name="security-group-duplicate-permission",
    title="Security Group Duplicate Permission",
    severity=Severity.CRITICAL,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model created rules that are functionally identical (same protocol, ports and source "
        "once references are resolved), which one security group cannot hold twice."
    ),
    docs=(f"{EC2_DOCS}/security-group-rules.html",),
    impact=(
        "Deployment Blocker: Prevents security group (or rule) creation (exit code 1)",
        "Training Quality Impact: Medium - demonstrates need to avoid duplicate rules",
    ),
    fix_minutes=3,
    version=2,
    needs="terraform",
    # Reads the mapped template of a CloudFormation answer too (iacgrade/harness/platforms/cfn/mapping.py).
    platforms=(CDKTF_PYTHON, TF_HCL, CFN),
)
def security_group_duplicate_permission(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: one security group that would hold the same permission (direction,
    protocol, port range, and one CIDR, prefix list or source group) twice: in its inline
    `ingress`/`egress` blocks, in separate `aws_security_group_rule` /
    `aws_vpc_security_group_(in|e)gress_rule` resources, or across both. References are
    resolved first: `cidr_blocks=[vpc.cidr_block]` equals `"10.0.0.0/16"` when the VPC says so.

    Why it matters: EC2 answers `InvalidPermission.Duplicate` ("the same permission must not
    appear multiple times"), and the apply stops.

    Bad: two `SecurityGroupIngress(from_port=5432, to_port=5432, protocol="tcp", ...)` blocks,
    one with `cidr_blocks=[vpc.cidr_block]`, the other with `cidr_blocks=["10.0.0.0/16"]`.

    Good: one rule per permission; merge descriptions into it.

    References: Amazon VPC security group rules.
    """
    for stack in ctx.tf.stacks.values():
        rules_by_sg: dict[str, list[_Rule]] = {}
        for sg in stack.of_type("aws_security_group"):
            for direction in ("ingress", "egress"):
                for i, block in enumerate(sg.blocks(direction)):
                    rules_by_sg.setdefault(sg.address, []).append(
                        _Rule(sg, direction, i, _inline_atoms(stack, direction, block))
                    )
        for res in stack.resources:
            target = _rule_resource(stack, res)
            if target:
                rules_by_sg.setdefault(target[0], []).append(_Rule(res, target[1], None, target[2]))
        for sg_address, rules in sorted(rules_by_sg.items()):
            hit = _duplicates(ctx, stack, sg_address, rules)
            if hit:
                yield hit


def _duplicates(ctx: GradeContext, stack: Stack, sg_address: str, rules: list[_Rule]) -> Hit | None:
    seen: dict[tuple[str, str, int, int, str], _Rule] = {}
    pairs: list[tuple[_Rule, _Rule, tuple[str, str, int, int, str]]] = []
    for r in rules:
        for atom in sorted(r.atoms):
            first = seen.get(atom)
            if first is not None and first is not r:
                pairs.append((first, r, atom))
            else:
                seen.setdefault(atom, r)
    if not pairs:
        return None
    sg = stack.resource(sg_address)
    first, second, atom = pairs[0]
    direction, proto, lo, hi, source = atom
    ports = "all ports" if proto == "-1" else (f"port {lo}" if lo == hi else f"ports {lo}-{hi}")
    spans = [s for s in (_rule_span(ctx, first), _rule_span(ctx, second)) if s]
    where = site(ctx, second.owner, second.direction if second.index is not None else None, second.index)
    anchor = f"construct:{sg.construct_id}" if sg else where.anchor
    others = len({(a.owner.address, a.index, b.owner.address, b.index) for a, b, _ in pairs}) - 1
    more = f" ({others} more {plural(others, 'duplicate pair')} in the same group)" if others > 0 else ""
    return Hit(
        message=(
            f"`{sg_address}` gets the {direction} permission {proto} {ports} from `{source}` twice: "
            f"{_describe(first)} and {_describe(second)}{more}."
        ),
        location=Location(
            path=where.location.path,
            line=where.location.line,
            end_line=where.location.end_line,
            address=sg_address,
            stack=stack.name,
        ),
        anchor=anchor,
        evidence=spans_text(ctx, spans) if len(spans) == 2 else where.evidence,
        error=(
            "InvalidPermission.Duplicate: the specified rule "
            f'"peer: {source}, {proto.upper()}, from port: {lo}, to port: {hi}, ALLOW" already exists '
            "(the same permission must not appear multiple times)"
        ),
        note=ctx.terraform_note,
    )


def _describe(r: _Rule) -> str:
    if r.index is not None:
        return f"{r.direction} block #{r.index + 1} of `{r.owner.address}`"
    return f"`{r.owner.address}`"


def _rule_span(ctx: GradeContext, r: _Rule) -> Span | None:
    s = site(ctx, r.owner, r.direction if r.index is not None else None, r.index)
    loc = s.location
    if not loc.path or not loc.line:
        return None
    return Span(loc.path, loc.line, loc.end_line or loc.line)


def _norm_proto(value: Any) -> str:
    text = str(value).lower() if value is not None else "-1"
    return _PROTOCOLS.get(text, text)


def _port(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -2  # unknown: never equal to a real port, so it cannot make a false duplicate


def _sources(stack: Stack, values: Any) -> list[str]:
    out: list[str] = []
    for v in values if isinstance(values, list) else [values]:
        if v is None or v == "":
            continue
        got = stack.resolve(v)
        out.append(str(v) if got is UNRESOLVED or isinstance(got, dict | list) else str(got))
    return out


def _atoms(
    stack: Stack, direction: str, proto: Any, lo: Any, hi: Any, sources: list[str]
) -> frozenset[tuple[str, str, int, int, str]]:
    p = _norm_proto(stack.resolve(proto))
    a, b = (0, 0) if p == "-1" else (_port(stack.resolve(lo)), _port(stack.resolve(hi)))
    return frozenset((direction, p, a, b, s) for s in sources)


def _inline_atoms(
    stack: Stack, direction: str, block: dict[str, Any]
) -> frozenset[tuple[str, str, int, int, str]]:
    sources = [
        *_sources(stack, block.get("cidr_blocks")),
        *_sources(stack, block.get("ipv6_cidr_blocks")),
        *_sources(stack, block.get("prefix_list_ids")),
        *_sources(stack, block.get("security_groups")),
    ]
    if block.get("self") is True:
        sources.append("self")
    return _atoms(
        stack, direction, block.get("protocol"), block.get("from_port"), block.get("to_port"), sources
    )


def _rule_resource(stack: Stack, res: Resource) -> tuple[str, str, frozenset[Any]] | None:
    """(security group address, direction, permissions) of a standalone rule resource."""
    c = res.config
    if res.type == "aws_security_group_rule":
        direction = str(c.get("type") or "")
        sources = [
            *_sources(stack, c.get("cidr_blocks")),
            *_sources(stack, c.get("ipv6_cidr_blocks")),
            *_sources(stack, c.get("prefix_list_ids")),
            *_sources(stack, c.get("source_security_group_id")),
        ]
        if c.get("self") is True:
            sources.append("self")
        atoms = _atoms(stack, direction, c.get("protocol"), c.get("from_port"), c.get("to_port"), sources)
    elif res.type in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        direction = "ingress" if res.type.endswith("ingress_rule") else "egress"
        keys = ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id")
        sources = [s for k in keys for s in _sources(stack, c.get(k))]
        atoms = _atoms(stack, direction, c.get("ip_protocol"), c.get("from_port"), c.get("to_port"), sources)
    else:
        return None
    groups = sorted(
        a for a in stack.references(c.get("security_group_id")) if a.startswith("aws_security_group.")
    )
    return (groups[0], direction, atoms) if groups else None


ROUTE_TARGETS = (
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "instance_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
)
INLINE_DESTINATIONS = ("cidr_block", "ipv6_cidr_block", "destination_prefix_list_id")
ROUTE_DESTINATIONS = ("destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id")


@rule(
    id="AWS006",
    name="route-without-destination-or-target",
    title="Route Without Destination or Target",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The model wrote a route the provider cannot create: no destination or no target. In CDKTF "
        "Python the usual cause is a raw dict with snake_case keys where `RouteTableRoute` is expected: "
        "the provider's mapper reads camelCase keys, finds none, and writes every field as null."
    ),
    docs=(
        "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/route_table#route",
        f"{EC2_DOCS}/VPC_Route_Tables.html",
    ),
    impact=(
        "Deployment Blocker: Prevents route table creation (exit code 1)",
        "Network Connectivity: Without proper routes, resources cannot reach the internet or other networks",
    ),
    fix_minutes=10,
    needs="terraform",
)
def route_without_destination_or_target(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an inline `route` of an `aws_route_table`, or an `aws_route`, with no
    destination (`cidr_block`, `ipv6_cidr_block`, `destination_prefix_list_id`) or no target
    (`gateway_id`, `nat_gateway_id`, `transit_gateway_id`, ...), including the all-null route a
    raw dict synthesizes to.

    Why it matters: Terraform answers "one of `cidr_block, ipv6_cidr_block,
    destination_prefix_list_id` must be specified" and the route table is never created.

    Bad: `RouteTable(self, "public_rt", vpc_id=vpc.id, route=[{"cidr_block": "0.0.0.0/0",
    "gateway_id": igw.id}])`

    Good: `route=[RouteTableRoute(cidr_block="0.0.0.0/0", gateway_id=igw.id)]`, or a separate
    `Route(self, "default", route_table_id=rt.id, destination_cidr_block=..., gateway_id=...)`.

    References: Terraform `aws_route_table` `route` block; Amazon VPC route tables.
    """
    for _stack, res in ctx.tf.resources("aws_route_table", "aws_route"):
        routes = res.blocks("route") if res.type == "aws_route_table" else [dict(res.config)]
        destinations = INLINE_DESTINATIONS if res.type == "aws_route_table" else ROUTE_DESTINATIONS
        for i, route in enumerate(routes):
            missing = [
                what
                for what, keys in (("destination", destinations), ("target", ROUTE_TARGETS))
                if not any(route.get(k) not in (None, "") for k in keys)
            ]
            if not missing:
                continue
            all_null = res.type == "aws_route_table" and all(v is None for v in route.values())
            why = (
                " Every attribute of the route is null: a dict with snake_case keys was passed where "
                "`RouteTableRoute(...)` is expected, and the provider dropped its keys."
                if all_null
                else ""
            )
            label = (
                f"route #{i + 1} of `{res.address}`" if res.type == "aws_route_table" else f"`{res.address}`"
            )
            anchor_attr = "route" if res.type == "aws_route_table" else None
            yield resource_hit(
                ctx,
                res,
                f"{label[0].upper()}{label[1:]} has no {' and no '.join(missing)}.{why}",
                attr=anchor_attr,
                index=i if anchor_attr else None,
                error=(
                    "Error: creating route: one of `cidr_block, ipv6_cidr_block, destination_prefix_list_id` "
                    "must be specified"
                    if "destination" in missing
                    else "Error: creating route: one of `gateway_id, nat_gateway_id, ...` must be specified"
                ),
            )
