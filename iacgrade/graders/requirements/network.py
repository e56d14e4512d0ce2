"""Checks of where things run: regions, zones, failover, subnets and NAT gateways (REQ001, REQ002,
REQ009)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict

from iacgrade.graders.context import GradeContext
from iacgrade.graders.requirements.checklist import Requirement
from iacgrade.graders.requirements.verdict import (
    Culprit,
    Tally,
    Verdict,
    absent,
    blocks,
    met,
    missing,
    of_types,
    shown,
    unchecked,
    unmet,
)
from iacgrade.graders.terraform_model import Resource, Stack
from iacgrade.graders.wording import counted
from iacgrade.harness.core.findings import Severity
from iacgrade.harness.platforms.cdktf_python.locate import callee_name
from iacgrade.harness.platforms.cdktf_python.pysource import walked

# --- REQ001 regions -------------------------------------------------------------------------


def regions(ctx: GradeContext, req: Requirement) -> Verdict:
    """Every region the answer pins for a provider is one the prompt names. A region the answer
    takes from its parameters or the environment (`AWS_REGION`) is the grader's choice, not the
    answer's, and is not judged; a pinned one is one the provider call's `region` resolves to a
    literal (directly, through a local or module constant, or a loop over literals)."""
    allowed = set(req.params.get("regions", ()))
    synthesized = {
        p.region for stack in ctx.tf.stacks.values() for p in stack.providers if p.name == "aws" and p.region
    }
    culprits: list[Culprit] = []
    pinned: set[str] = set()
    for path, call, values in _provider_regions(ctx):
        for region in sorted(values & synthesized):
            pinned.add(region)
            if region not in allowed:
                stack, ref = next(
                    (
                        (s.name, p.ref)
                        for s in ctx.tf.stacks.values()
                        for p in s.providers
                        if p.region == region
                    ),
                    ("", "aws"),
                )
                culprits.append(
                    Culprit(
                        f"the provider `{ref}` deploys to `{region}`, a region the prompt does not name "
                        f"({', '.join(f'`{r}`' for r in sorted(allowed))})",
                        stack,
                        provider=(path, str(call.lineno)),
                    )
                )
    if culprits:
        return unmet(culprits)
    if not pinned:
        return unchecked("the answer takes its region from its parameters or the environment (AWS_REGION)")
    return met(f"providers in {', '.join(sorted(pinned))}")


def _provider_regions(ctx: GradeContext) -> list[tuple[str, ast.Call, set[str]]]:
    """Each `AwsProvider(...)` call of the answer with the literal regions its `region` can be."""
    found: list[tuple[str, ast.Call, set[str]]] = []
    for path, tree in sorted(ctx.trees.items()):
        calls = [n for n in walked(tree) if isinstance(n, ast.Call) and callee_name(n) == "AwsProvider"]
        if not calls:
            continue
        functions = [n for n in walked(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for call in calls:
            kw = next((k for k in call.keywords if k.arg == "region"), None)
            if kw is None:
                continue
            # The innermost function the call sits in, else the module.
            around = [f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)]
            scope: ast.AST = max(around, key=lambda f: f.lineno) if around else tree
            values = _literal_values(kw.value, scope, tree)
            if values:
                found.append((path, call, values))
    return found


def _literal_values(node: ast.expr, scope: ast.AST, module: ast.Module) -> set[str]:
    """The string literals `node` stands for: a constant, a name (or `self.x`) assigned only
    constants in the function or the module, or a loop variable over a list of constants."""
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) else set()
    target = ast.unparse(node) if isinstance(node, ast.Name | ast.Attribute) else ""
    if not target:
        return set()
    values: set[str] = set()
    for where in (scope, module) if scope is not module else (module,):
        for sub in ast.walk(where):
            if isinstance(sub, ast.Assign) and any(ast.unparse(t) == target for t in sub.targets):
                if not (isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, str)):
                    return set()  # also assigned something else: not pinned
                values.add(sub.value.value)
            elif isinstance(sub, ast.For) and ast.unparse(sub.target) == target:
                items = sub.iter.elts if isinstance(sub.iter, ast.List | ast.Tuple) else []
                if not items or not all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in items
                ):
                    return set()
                values |= {e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        if values:
            return values
    return values


# --- REQ002 zones, Multi-AZ, failover -----------------------------------------------------------


def zones(ctx: GradeContext, req: Requirement) -> Verdict:
    """The subnets of each VPC spread over at least N availability zones."""
    need = int(req.params.get("count", 2))
    groups = _subnets_by_vpc(ctx)
    if not groups:
        if any(True for _ in ctx.tf.resources()) and not _subnet_lookups(ctx):
            return absent(ctx, "no stack creates an `aws_subnet`", ("aws_subnet",))
        return unchecked("the answer creates no subnet (it may use existing ones)")
    culprits: list[Culprit] = []
    for stack, vpc, subnets in groups:
        found = _zones_of(stack, subnets)
        if found is None:
            continue
        if len(found) < need:
            where = vpc or subnets[0]
            culprits.append(
                Culprit(
                    f"the subnets of {shown(where)} span "
                    f"{counted(len(found), 'availability zone')}, not {need}",
                    stack.name,
                    where,
                    None if vpc else "availability_zone",
                )
            )
    return unmet(culprits) if culprits else met(f"every VPC's subnets span {need}+ zones")


def _subnets_by_vpc(ctx: GradeContext) -> list[tuple[Stack, Resource | None, list[Resource]]]:
    groups: dict[tuple[str, str], tuple[Stack, Resource | None, list[Resource]]] = {}
    for stack, subnet in ctx.tf.resources("aws_subnet"):
        refs = [stack.resource(a) for a in stack.references(subnet.get("vpc_id"))]
        vpc = next((r for r in refs if r is not None and r.type == "aws_vpc"), None)
        key = (stack.name, vpc.address if vpc else "")
        groups.setdefault(key, (stack, vpc, []))[2].append(subnet)
    return list(groups.values())


def _subnet_lookups(ctx: GradeContext) -> bool:
    return any(
        r.type in ("aws_subnet", "aws_subnets", "aws_vpc") for s in ctx.tf.stacks.values() for r in s.data
    )


def _zones_of(stack: Stack, subnets: list[Resource]) -> set[str] | None:
    """The distinct zone expressions of subnets (a literal, or a token such as `names[0]`);
    None when a subnet leaves its zone to AWS or is repeated with `count`."""
    found: set[str] = set()
    for subnet in subnets:
        zone = subnet.get("availability_zone") or subnet.get("availability_zone_id")
        if not isinstance(zone, str) or subnet.get("count") is not None or subnet.get("for_each") is not None:
            return None
        resolved = stack.resolve(zone)
        found.add(resolved if isinstance(resolved, str) else zone)
    return found


def multi_az(ctx: GradeContext, req: Requirement) -> Verdict:
    """A database (RDS Multi-AZ, or an Aurora cluster with instances to fail over to) or a cache
    replication group the line names runs in more than one zone."""
    subjects = req.params.get("subjects", ())
    tally = Tally()
    if "database" in subjects:
        _databases_multi_az(ctx, tally)
    if "cache" in subjects:
        _caches(ctx, tally, "multi_az_enabled")
    return tally.verdict(
        "databases and caches", unchecked("no database or cache to judge (AWS013 judges services)")
    )


def auto_failover(ctx: GradeContext, req: Requirement) -> Verdict:
    tally = Tally()
    _caches(ctx, tally, "automatic_failover_enabled")
    return tally.verdict("cache replication groups", unchecked("no cache replication group to judge"))


def _databases_multi_az(ctx: GradeContext, tally: Tally) -> None:
    for stack, db in of_types(ctx, "aws_db_instance"):
        if db.get("replicate_source_db"):
            continue
        tally.seen += 1
        if db.get("multi_az") is not True:
            tally.culprits.append(
                Culprit(f"{shown(db)} does not set `multi_az=True`", stack.name, db, "multi_az")
            )
    for stack, cluster in of_types(ctx, "aws_rds_cluster"):
        if (
            _secondary(cluster)
            or cluster.get("engine_mode") == "serverless"
            or cluster.get("db_cluster_instance_class")
        ):
            continue
        tally.seen += 1
        count = _instance_count(stack, cluster)
        if count is not None and count < 2:
            tally.culprits.append(
                Culprit(
                    f"{shown(cluster)} has {counted(count, 'instance')} (`aws_rds_cluster_instance`): "
                    "nothing to fail over to in another zone",
                    stack.name,
                    cluster,
                )
            )


def _secondary(cluster: Resource) -> bool:
    """A cluster that joins a global database or replicates another (its writer is elsewhere)."""
    return bool(cluster.get("replication_source_identifier")) or (
        bool(cluster.get("global_cluster_identifier")) and not cluster.get("master_username")
    )


def _instance_count(stack: Stack, cluster: Resource) -> int | None:
    total = 0
    for inst in stack.of_type("aws_rds_cluster_instance"):
        if cluster.address in stack.references(inst.get("cluster_identifier")):
            count = inst.get("count", 1)
            if not isinstance(count, int):
                return None
            total += count
    return total


def _caches(ctx: GradeContext, tally: Tally, attr: str) -> None:
    for stack, group in of_types(ctx, "aws_elasticache_replication_group"):
        tally.seen += 1
        if group.get(attr) is not True:
            tally.culprits.append(
                Culprit(
                    f"{shown(group)} does not set `{attr}=True`",
                    stack.name,
                    group,
                    attr,
                    severity=Severity.MEDIUM,
                )
            )
    for stack, node in of_types(ctx, "aws_elasticache_cluster"):
        if node.get("replication_group_id"):
            continue
        tally.seen += 1
        tally.culprits.append(
            Culprit(f"{shown(node)} is a single-node cache cluster, in one zone", stack.name, node)
        )


def failover_routing(ctx: GradeContext, req: Requirement) -> Verdict:
    """Route 53 failover routing: a PRIMARY and a SECONDARY record. Where the line asks for DNS
    failover without naming the failover policy, weighted or latency records that health checks
    take out of service fail over as well."""
    records = of_types(ctx, "aws_route53_record")
    kinds = {
        str(block.get("type", "")).upper()
        for _stack, rec in records
        for block in blocks(rec.get("failover_routing_policy"))
    }
    if {"PRIMARY", "SECONDARY"} <= kinds:
        return met("PRIMARY and SECONDARY failover records")
    checked = [
        rec
        for _stack, rec in records
        if rec.get("health_check_id")
        and (rec.get("weighted_routing_policy") or rec.get("latency_routing_policy"))
    ]
    if len(checked) >= 2 and not re.search(r"failover (routing|record)", req.line_text, re.IGNORECASE):
        return met(f"{len(checked)} weighted or latency records with health checks")
    lacking = " and ".join(k for k in ("PRIMARY", "SECONDARY") if k not in kinds)
    what = f"no `aws_route53_record` has a {lacking} `failover_routing_policy`"
    return missing(ctx, what, ("aws_route53_record",), near=("aws_route53_record", "aws_route53_zone"))


def health_checks(ctx: GradeContext, req: Requirement) -> Verdict:
    checks = of_types(ctx, "aws_route53_health_check")
    if checks:
        return met(counted(len(checks), "Route 53 health check"))
    what = "no `aws_route53_health_check` watches the endpoints failover depends on"
    return missing(ctx, what, ("aws_route53_health_check",), near=("aws_route53_record", "aws_route53_zone"))


# --- REQ009 subnets and NAT -------------------------------------------------------------------


def public_private(ctx: GradeContext, req: Requirement) -> Verdict:
    subnets = of_types(ctx, "aws_subnet")
    if not subnets:
        if _subnet_lookups(ctx):
            return unchecked("the answer creates no subnet (it may use existing ones)")
        return absent(ctx, "no stack creates an `aws_subnet`", ("aws_subnet",))
    public = [(s, r) for s, r in subnets if _is_public(s, r)]
    private = [(s, r) for s, r in subnets if not _is_public(s, r)]
    if public and private:
        return met(f"{len(public)} public and {len(private)} private subnets")
    kind, others = ("public", private) if not public else ("private", public)
    stack, first = others[0]
    why = (
        "no subnet routes to an internet gateway or maps public IPs"
        if kind == "public"
        else "every subnet routes to an internet gateway"
    )
    return unmet([Culprit(f"there is no {kind} subnet: {why}", stack.name, first)])


def _is_public(stack: Stack, subnet: Resource) -> bool:
    if subnet.get("map_public_ip_on_launch") is True:
        return True
    for assoc in stack.of_type("aws_route_table_association"):
        if subnet.address not in stack.references(assoc.get("subnet_id")):
            continue
        for table in stack.references(assoc.get("route_table_id")):
            if _routes_to_internet(stack, table):
                return True
    return False


def _routes_to_internet(stack: Stack, table: str) -> bool:
    routes = [r for r in stack.of_type("aws_route") if table in stack.references(r.get("route_table_id"))]
    res = stack.resource(table)
    inline = blocks(res.get("route")) if res is not None else []
    return any(
        any(a.startswith("aws_internet_gateway.") for a in stack.references(r.get("gateway_id")))
        for r in [*(x.config for x in routes), *inline]
    )


def nat_per_az(ctx: GradeContext, req: Requirement) -> Verdict:
    """As many NAT gateways as the private subnets have zones."""
    nats = of_types(ctx, "aws_nat_gateway")
    private_zones: dict[str, set[str]] = defaultdict(set)
    for stack, subnet in of_types(ctx, "aws_subnet"):
        zone = subnet.get("availability_zone") or subnet.get("availability_zone_id")
        if isinstance(zone, str) and not _is_public(stack, subnet) and subnet.get("count") is None:
            private_zones[stack.name].add(zone)
    if not private_zones:
        return unchecked("no private subnet with a known zone")
    need = max(len(z) for z in private_zones.values())
    if not nats:
        return absent(ctx, f"no `aws_nat_gateway`, for private subnets in {need} zones", ("aws_nat_gateway",))
    if any(n.get("count") is not None for _s, n in nats):
        return unchecked("NAT gateways are repeated with `count`")
    per_stack: dict[str, int] = defaultdict(int)
    for stack, _nat in nats:
        per_stack[stack.name] += 1
    short = [name for name, zones_ in private_zones.items() if per_stack.get(name, 0) < len(zones_)]
    if not short:
        return met(f"{len(nats)} NAT gateways for {need} zones")
    stack, nat = next(((s, n) for s, n in nats if s.name == short[0]), nats[0])
    have = per_stack.get(short[0], 0)
    return unmet(
        [
            Culprit(
                f"{counted(have, 'NAT gateway')} serve{'s' if have == 1 else ''} private subnets in "
                f"{len(private_zones[short[0]])} availability zones: one per zone is asked",
                stack.name,
                nat,
            )
        ]
    )


def nat_single(ctx: GradeContext, req: Requirement) -> Verdict:
    return _nat_count(ctx, 1)


def no_nat(ctx: GradeContext, req: Requirement) -> Verdict:
    return _nat_count(ctx, 0)


def _nat_count(ctx: GradeContext, want: int) -> Verdict:
    nats = of_types(ctx, "aws_nat_gateway")
    if any(n.get("count") is not None for _s, n in nats):
        return unchecked("NAT gateways are repeated with `count`")
    per_stack: dict[str, list[Resource]] = defaultdict(list)
    for stack, nat in nats:
        per_stack[stack.name].append(nat)
    if want and not nats:
        return absent(ctx, "no `aws_nat_gateway`", ("aws_nat_gateway",))
    bad = {name: found for name, found in per_stack.items() if len(found) != want}
    if not bad:
        return met(counted(len(nats), "NAT gateway"))
    name, found = next(iter(bad.items()))
    return unmet(
        [
            Culprit(
                f"stack `{name}` has {counted(len(found), 'NAT gateway')}, not {want}",
                name,
                found[want] if len(found) > want else found[0],
            )
        ]
    )
