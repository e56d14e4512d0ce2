"""The VPC routing graph of one stack: which route tables a subnet uses, what their routes lead
to, and which VPC endpoints serve it. Rules ask it whether traffic can leave a subnet or cross a
peering connection; every answer is None when the JSON cannot tell (a subnet or table of another
stack, an association made in a loop Terraform expands), so that a rule concludes nothing then."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from iacgrade.graders.terraform_model import UNRESOLVED, Resource, Stack, is_token

# Route targets by the kind of next hop; `gateway_id` is told apart by what it refers to.
TARGET_KINDS = (
    ("nat_gateway_id", "nat"),
    ("transit_gateway_id", "transit"),
    ("vpc_peering_connection_id", "peering"),
    ("instance_id", "instance"),
    ("network_interface_id", "instance"),
    ("egress_only_gateway_id", "egress-only"),
    ("vpc_endpoint_id", "endpoint"),
    ("carrier_gateway_id", "other"),
    ("local_gateway_id", "other"),
    ("core_network_arn", "other"),
)
# Next hops that may carry traffic to AWS's public endpoints (a NAT, a firewall, an on-premises
# link, or one whose kind is unknown). A peering connection never does: VPC peering does not
# route to the internet through the peer (no edge-to-edge routing).
OUTBOUND = frozenset({"nat", "transit", "instance", "vgw", "endpoint", "egress-only", "other", "unknown"})
PRIVATE_NETS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


@dataclass(frozen=True)
class Route:
    """One route of a table: where it goes (a literal CIDR or None), and through what."""

    table: Resource
    destination: str | None
    kind: str  # a value of TARGET_KINDS, "igw", "vgw", "local" or "unknown"
    target: Resource | None
    source: Resource  # the aws_route, or the table for an inline route


def refs_of_type(stack: Stack, value: Any, *types: str) -> list[Resource]:
    found = (stack.resource(a) for a in sorted(stack.references(value)))
    return [r for r in found if r is not None and r.type in types]


def vpc_of(stack: Stack, res: Resource) -> Resource | None:
    """The `aws_vpc` of this stack that `res.vpc_id` refers to."""
    vpcs = refs_of_type(stack, res.get("vpc_id"), "aws_vpc")
    return vpcs[0] if vpcs else None


def subnets_of(stack: Stack, value: Any) -> tuple[list[Resource], bool]:
    """The `aws_subnet`s of this stack a subnet list names, and whether it names anything else
    (a data source, another stack's subnet, a literal id)."""
    values = value if isinstance(value, list) else [value]
    subnets: list[Resource] = []
    other = False
    for v in values:
        found = refs_of_type(stack, v, "aws_subnet")
        if found:
            subnets.extend(s for s in found if s not in subnets)
        elif v not in (None, ""):
            other = True
    return subnets, other


def subnet_tables(stack: Stack, subnet: Resource) -> list[Resource] | None:
    """The route tables `subnet` uses: those associated with it, else the VPC's main table as the
    stack sets it (an empty list: the main table AWS creates, which holds only the local route).
    None when an association of the stack cannot be told apart."""
    tables: list[Resource] = []
    for assoc in stack.of_type("aws_route_table_association"):
        if "subnet_id" not in assoc.config:
            continue  # a gateway association
        named = refs_of_type(stack, assoc.get("subnet_id"), "aws_subnet")
        if not named:
            return None  # an association with a subnet this JSON does not show
        if subnet in named:
            found = refs_of_type(
                stack, assoc.get("route_table_id"), "aws_route_table", "aws_default_route_table"
            )
            if not found:
                return None
            tables.extend(found)
    if tables:
        return tables
    vpc = vpc_of(stack, subnet)
    if vpc is None:
        return None
    for main in stack.of_type("aws_main_route_table_association"):
        if vpc in refs_of_type(stack, main.get("vpc_id"), "aws_vpc"):
            found = refs_of_type(stack, main.get("route_table_id"), "aws_route_table")
            return found or None
    for default in stack.of_type("aws_default_route_table"):
        if vpc in refs_of_type(stack, default.get("default_route_table_id"), "aws_vpc"):
            return [default]
    return []


def table_routes(stack: Stack, table: Resource) -> list[Route] | None:
    """Every route of `table`, inline or as `aws_route`; None when one cannot be read."""
    routes: list[Route] = []
    for block in table.blocks("route"):
        if all(v is None for v in block.values()):
            return None  # a route the provider never reads (AWS006)
        dest = (
            block.get("cidr_block") or block.get("ipv6_cidr_block") or block.get("destination_prefix_list_id")
        )
        routes.append(_route(stack, table, table, dest, block))
    for res in stack.of_type("aws_route"):
        named = refs_of_type(stack, res.get("route_table_id"), "aws_route_table", "aws_default_route_table")
        if not named:
            return None  # a route of a table this JSON does not show
        if table in named:
            dest = (
                res.get("destination_cidr_block")
                or res.get("destination_ipv6_cidr_block")
                or res.get("destination_prefix_list_id")
            )
            routes.append(_route(stack, table, res, dest, res.config))
    return routes


def _route(stack: Stack, table: Resource, source: Resource, dest: Any, attrs: Any) -> Route:
    literal = stack.resolve(dest) if dest is not None else None
    destination = literal if isinstance(literal, str) and not is_token(literal) else None
    for key, kind in TARGET_KINDS:
        value = attrs.get(key)
        if value not in (None, ""):
            targets = [stack.resource(a) for a in sorted(stack.references(value))]
            return Route(table, destination, kind, next((t for t in targets if t), None), source)
    gateway = attrs.get("gateway_id")
    if gateway in (None, ""):
        return Route(table, destination, "unknown", None, source)
    if gateway == "local":
        return Route(table, destination, "local", None, source)
    igw = refs_of_type(stack, gateway, "aws_internet_gateway")
    if igw:
        return Route(table, destination, "igw", igw[0], source)
    vgw = refs_of_type(stack, gateway, "aws_vpn_gateway")
    if vgw:
        return Route(table, destination, "vgw", vgw[0], source)
    return Route(table, destination, "unknown", None, source)


def leaves_vpc(route: Route) -> bool:
    """Whether a route may reach addresses outside the private ranges (AWS's public endpoints):
    a destination that is not a private CIDR, or one that cannot be read."""
    if route.destination is None:
        return True
    try:
        net = ipaddress.ip_network(route.destination, strict=False)
    except ValueError:
        return True  # a prefix list
    return not any(net.version == p.version and net.subnet_of(p) for p in PRIVATE_NETS)  # type: ignore[arg-type]


def endpoint_services(stack: Stack, vpc: Resource, tables: list[Resource]) -> set[str] | None:
    """The endpoint service names (`dynamodb`, `ecr.api`) VPC endpoints provide to a subnet of
    `vpc` using `tables`: interface endpoints anywhere in the VPC, gateway endpoints on one of
    the tables (or on tables the JSON does not show). None when an endpoint's VPC or service is
    unknown."""
    served: set[str] = set()
    for ep in stack.of_type("aws_vpc_endpoint"):
        named = refs_of_type(stack, ep.get("vpc_id"), "aws_vpc")
        if not named:
            return None
        if vpc not in named:
            continue
        service = _service_suffix(stack.resolve(ep.get("service_name")), ep.get("service_name"))
        if service is None:
            return None
        kind = str(stack.resolve(ep.get("vpc_endpoint_type")) or "Gateway")
        if kind.lower() != "gateway" or _gateway_serves(stack, ep, tables):
            served.add(service)
    return served


def _service_suffix(resolved: Any, raw: Any) -> str | None:
    """`com.amazonaws.us-east-1.ecr.dkr` -> `ecr.dkr`; `com.amazonaws.${region}.s3` -> `s3`."""
    text = resolved if isinstance(resolved, str) and resolved is not UNRESOLVED else raw
    if not isinstance(text, str):
        return None
    tail = text.rsplit("}", 1)[-1] if is_token(text) else text
    parts = tail.strip(".").split(".")
    if not is_token(text):
        parts = parts[3:] if len(parts) > 3 and parts[0] == "com" else parts[-1:]
    return ".".join(parts) if parts and parts[0] else None


def _gateway_serves(stack: Stack, ep: Resource, tables: list[Resource]) -> bool:
    listed = ep.get("route_table_ids")
    linked = refs_of_type(stack, listed, "aws_route_table", "aws_default_route_table")
    for assoc in stack.of_type("aws_vpc_endpoint_route_table_association"):
        if ep in refs_of_type(stack, assoc.get("vpc_endpoint_id"), "aws_vpc_endpoint"):
            linked.extend(refs_of_type(stack, assoc.get("route_table_id"), "aws_route_table"))
    if listed not in (None, []) and not linked:
        return True  # tables the JSON does not show: perhaps these
    return any(t in linked for t in tables)
