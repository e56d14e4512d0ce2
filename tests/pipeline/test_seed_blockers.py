"""The seed scenario with blockers behind a TypeError, graded end to end in the local sandbox.

The model answer of tasks/seed-blockers-behind-typeerror stops at a jsii type check
(`weighted_routing_policy=[{...}]`); behind it the jsii kernel refuses `vpc=[{"VPCId": ...}]`;
behind both sit five deploy-time failures only the synthesized JSON shows. The worker's repair
rounds must get past both blockers so the AWS rules still read the model's JSON.
"""

from __future__ import annotations

import ast
import re

import pytest

from iacgrade.harness.core.results import Failure, TaskResult, TaskStatus
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.markdown import render_analysis
from tests.paths import REPO

ROOT = REPO
TASK = ROOT / "tasks" / "seed-blockers-behind-typeerror"
STACK = "lib/tap_stack.py"
MARKER = "iacgrade_placeholder"
BLOCKER_RULES = frozenset({"SYN001", "SYN004"})

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def graded(local_sandbox: LocalSandbox) -> TaskResult:
    return grade_path(TASK, local_sandbox, GradeOptions())


@pytest.fixture(scope="module")
def source() -> str:
    """The model's lib/tap_stack.py, as the markdown answer carries it."""
    text = (TASK / "MODEL_RESPONSE.md").read_text(encoding="utf-8")
    match = re.search(r"## File: lib/tap_stack\.py\s*\n```python\n(.*?)```", text, re.S)
    assert match, "MODEL_RESPONSE.md has no lib/tap_stack.py block"
    return match.group(1)


def line_of(source: str, needle: str) -> int:
    """The 1-based line holding `needle`, which must occur exactly once."""
    hits = [n for n, line in enumerate(source.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0]


def call_span(source: str, cls: str, construct_id: str | None = None) -> tuple[int, int]:
    """Lines of the one call `cls(self, construct_id, ...)` (any id when None)."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == cls):
            continue
        given = node.args[1] if len(node.args) > 1 else None
        if construct_id is None or (isinstance(given, ast.Constant) and given.value == construct_id):
            spans.append((node.lineno, node.end_lineno or node.lineno))
    assert len(spans) == 1, f"{cls}({construct_id!r}) calls at {spans}"
    return spans[0]


def rules_of(f: Failure) -> set[str]:
    return {f.rule_id, *f.merged}


def one(result: TaskResult, rule_id: str) -> Failure:
    found = [f for f in result.failures if f.rule_id == rule_id]
    assert len(found) == 1, f"{rule_id}: {[str(f.location) for f in found]}"
    assert found[0].location.path == STACK
    return found[0]


def covers(f: Failure, line: int) -> bool:
    loc = f.location
    return bool(loc.line) and loc.line <= line <= (loc.end_line or loc.line)


def test_model_stops_at_the_type_error_of_the_route53_record(graded: TaskResult, source: str) -> None:
    assert graded.status is TaskStatus.GRADED and not graded.model_only
    synth = graded.model.synth if graded.model else None
    assert synth and synth.status is SynthStatus.ERROR
    assert synth.error_type == "TypeError" and "weighted_routing_policy" in synth.message
    start, end = call_span(source, "Route53Record")
    assert synth.frame and synth.frame.file == STACK and start <= synth.frame.line <= end
    # The synth error is reported once, at the Route53Record statement, with its real text.
    first = [f for f in graded.failures if "SYN001" in rules_of(f)]
    assert len(first) == 1
    assert first[0].location.path == STACK
    assert start <= (first[0].location.line or 0) <= end
    assert "TypeError" in first[0].error and "weighted_routing_policy" in first[0].error


def test_model_json_was_read_after_repairs(graded: TaskResult) -> None:
    synth = graded.model.synth if graded.model else None
    assert synth and synth.stacks and synth.stacks_strategy.startswith("repaired:")
    assert {b.target for b in synth.blockers} >= {"Route53Record", "Route53Zone"}


@pytest.mark.parametrize(
    ("rule_id", "needle"),
    [
        ("AWS001", "backtrack_window=86400"),
        ("AWS002", 'engine_version="3.5.2"'),
        ("AWS004", '.example.com"'),
        ("AWS016", 'master_password="'),
    ],
)
def test_deploy_time_failures_point_at_their_line(
    graded: TaskResult, source: str, rule_id: str, needle: str
) -> None:
    assert one(graded, rule_id).location.line == line_of(source, needle)


def test_duplicate_ingress_points_at_the_second_rule(graded: TaskResult, source: str) -> None:
    dup = one(graded, "AWS005")
    assert covers(dup, line_of(source, 'cidr_blocks=["10.0.0.0/16"]'))
    start, end = call_span(source, "SecurityGroup", "db_sg")
    assert start <= (dup.location.line or 0) <= end
    assert dup.model_code and "cidr_blocks=[primary_vpc.cidr_block]" in dup.model_code.code


def test_kernel_refusal_is_reported_at_its_statement(graded: TaskResult, source: str) -> None:
    start, end = call_span(source, "Route53Zone", "internal_zone")
    at = [
        f
        for f in graded.failures
        if f.location.path == STACK and f.location.line and start <= f.location.line <= end
    ]
    assert at, f"no failure within lib/tap_stack.py:{start}-{end}"
    assert any("SYN004" in rules_of(f) for f in at), [(f.rule_id, f.merged) for f in at]


def test_blockers_come_before_every_aws_failure(graded: TaskResult) -> None:
    order = [f.rule_id for f in graded.failures]
    blockers = [i for i, f in enumerate(graded.failures) if rules_of(f) & BLOCKER_RULES]
    aws = [i for i, f in enumerate(graded.failures) if f.rule_id.startswith("AWS")]
    assert len(blockers) == 2 and len(aws) >= 5, order
    assert "SYN001" in rules_of(graded.failures[0]), order
    assert max(blockers) < min(aws), order

    text = render_analysis(graded)
    headings = re.findall(r"^### \d+\. .*\((\w+)\)$", text, re.M)
    assert headings == order
    blocker_ids = {graded.failures[i].rule_id for i in blockers}
    first_aws = min(text.index(f"({f.rule_id})\n") for f in graded.failures if f.rule_id.startswith("AWS"))
    assert all(text.index(f"({rule_id})\n") < first_aws for rule_id in blocker_ids)
    assert MARKER not in text


def test_reference_synthesizes(graded: TaskResult) -> None:
    synth = graded.ideal.synth if graded.ideal else None
    assert synth and synth.status is SynthStatus.OK and synth.stacks
    assert synth.stacks_strategy == "entry" and not synth.blockers
    assert graded.ideal_only == []


def test_no_failure_quotes_a_placeholder(graded: TaskResult) -> None:
    for f in [*graded.failures, *graded.shared]:
        assert MARKER not in f.model_dump_json(), f.rule_id
