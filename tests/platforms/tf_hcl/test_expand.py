"""`count` and `for_each` expanded into instances where they are static, and the model read over
them: references to an instance, to every instance, to a block left with none."""

from __future__ import annotations

from typing import Any

import pytest

from iacgrade.graders.terraform_model import UNRESOLVED, TerraformModel
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.tf_hcl.platform import TerraformHcl, synthesize
from iacgrade.harness.platforms.tf_hcl.static import UNKNOWN, Scope, expression

VARIABLES = """\
variable "azs" {
  default = ["us-east-1a", "us-east-1b"]
}

variable "replicas" {
  type    = number
  default = 3
}

variable "create" {
  default = false
}

variable "env" {
  type = string
}

locals {
  two     = 2
  buckets = toset(["logs", "assets"])
  subnets = {
    a = { cidr = "10.0.1.0/24", zone = "us-east-1a" }
    b = { cidr = "10.0.2.0/24", zone = "us-east-1b" }
  }
}
"""


def _doc(body: str, tfvars: str = "") -> dict[str, Any]:
    files = {"main.tf": VARIABLES + body}
    if tfvars:
        files["terraform.tfvars"] = tfvars
    result = synthesize(files)
    assert result.status is SynthStatus.OK, result.message
    return result.stacks["."]


def _names(doc: dict[str, Any], rtype: str) -> list[str]:
    return sorted((doc.get("resource") or {}).get(rtype) or {})


@pytest.mark.parametrize(
    ("count", "tfvars", "expected"),
    [
        ("2", "", 2),
        ("var.replicas", "", 3),
        ("var.replicas", "replicas = 1\n", 1),
        ("local.two", "", 2),
        ("length(var.azs)", "", 2),
        ('length(["a", "b", "c"])', "", 3),
        ("var.create ? 1 : 0", "create = true\n", 1),
    ],
)
def test_a_static_count_is_expanded(count: str, tfvars: str, expected: int) -> None:
    doc = _doc(
        f'resource "aws_sqs_queue" "q" {{\n  count = {count}\n  name = "q-${{count.index}}"\n}}\n', tfvars
    )
    queues = doc["resource"]["aws_sqs_queue"]
    assert sorted(queues) == [f"q[{i}]" for i in range(expected)]
    assert [queues[f"q[{i}]"]["name"] for i in range(expected)] == [f"q-{i}" for i in range(expected)]
    assert all("count" not in q for q in queues.values())


def test_count_index_is_written_in_where_it_stays_an_expression() -> None:
    doc = _doc(
        'resource "aws_subnet" "private" {\n'
        "  count             = length(var.azs)\n"
        "  vpc_id            = aws_vpc.main.id\n"
        "  availability_zone = var.azs[count.index]\n"
        '  cidr_block        = cidrsubnet("10.0.0.0/16", 8, count.index + 10)\n'
        '  tags              = { Name = "private-${count.index + 1}" }\n'
        "}\n"
    )
    second = doc["resource"]["aws_subnet"]["private[1]"]
    assert second["availability_zone"] == "${var.azs[1]}"
    assert second["cidr_block"] == '${cidrsubnet("10.0.0.0/16", 8, 1 + 10)}'
    assert second["tags"] == {"Name": "private-2"}
    assert second["vpc_id"] == "${aws_vpc.main.id}"
    # Each instance keeps the block's lines.
    first = doc["resource"]["aws_subnet"]["private[0]"]
    assert second["//"]["source"]["line"] == first["//"]["source"]["line"]
    assert second["//"]["instance"] == 1


def test_for_each_over_a_set_and_a_map() -> None:
    doc = _doc(
        'resource "aws_s3_bucket" "b" {\n'
        "  for_each = local.buckets\n"
        '  bucket   = "acme-${each.key}"\n'
        "}\n"
        'resource "aws_subnet" "s" {\n'
        "  for_each          = local.subnets\n"
        "  vpc_id            = aws_vpc.main.id\n"
        "  cidr_block        = each.value.cidr\n"
        '  availability_zone = each.value["zone"]\n'
        '  tags              = { Name = "s-${each.key}" }\n'
        "}\n"
        'resource "aws_sqs_queue" "q" {\n'
        '  for_each = toset(["a", "b"])\n'
        "  name     = each.value\n"
        "}\n"
    )
    buckets = doc["resource"]["aws_s3_bucket"]
    assert sorted(buckets) == ['b["assets"]', 'b["logs"]']
    assert buckets['b["logs"]']["bucket"] == "acme-logs"
    subnet = doc["resource"]["aws_subnet"]['s["b"]']
    assert (subnet["cidr_block"], subnet["availability_zone"], subnet["tags"]) == (
        "10.0.2.0/24",
        "us-east-1b",
        {"Name": "s-b"},
    )
    assert [q["name"] for q in doc["resource"]["aws_sqs_queue"].values()] == ["a", "b"]


def test_count_zero_leaves_no_resource_but_a_declared_block() -> None:
    doc = _doc(
        'resource "aws_sqs_queue" "off" {\n  count = var.create ? 1 : 0\n  name = "off"\n}\n'
        'resource "aws_sqs_queue" "on" {\n  name = "on"\n}\n'
    )
    assert _names(doc, "aws_sqs_queue") == ["on"]
    model = TerraformModel({".": doc})
    stack = model.stacks["."]
    assert model.unexpanded_types() == {"aws_sqs_queue"}
    assert stack.resource("aws_sqs_queue.off") is None
    assert stack.declares("aws_sqs_queue.off")
    assert not stack.declares("aws_sqs_queue.other")


@pytest.mark.parametrize(
    "meta",
    [
        'count = var.env == "prod" ? 2 : 1',  # a variable without a value
        "count = length(aws_subnet.a)",  # known only at apply
        'for_each = ["a", "b"]',  # a list: Terraform refuses it
        "for_each = { for k in var.azs : k => k }",  # a comprehension
        "count = 1000",  # more instances than are written out
        'for_each = toset(["a"])\n  provider = local.providers[each.key]',  # a region per instance
    ],
)
def test_a_meta_argument_that_is_not_static_stays_as_written(meta: str) -> None:
    doc = _doc(f'resource "aws_sqs_queue" "q" {{\n  {meta}\n  name = "q"\n}}\n')
    queue = doc["resource"]["aws_sqs_queue"]["q"]
    assert "count" in queue or "for_each" in queue
    assert "instances" not in doc.get("//", {})


def test_references_name_the_instance_they_index_or_every_instance() -> None:
    doc = _doc(
        'resource "aws_subnet" "private" {\n'
        "  count      = 2\n"
        '  cidr_block = "10.0.${count.index}.0/24"\n'
        "}\n"
        'resource "aws_route_table_association" "a" {\n'
        "  count     = 2\n"
        "  subnet_id = aws_subnet.private[count.index].id\n"
        "}\n"
        'resource "aws_lb" "lb" {\n'
        "  subnets = aws_subnet.private[*].id\n"
        "}\n"
    )
    stack = TerraformModel({".": doc}).stacks["."]
    second = stack.resource("aws_route_table_association.a[1]")
    assert second is not None
    assert stack.references(second.get("subnet_id")) == {"aws_subnet.private[1]"}
    lb = stack.resource("aws_lb.lb")
    assert lb is not None
    assert stack.references(lb.get("subnets")) == {"aws_subnet.private[0]", "aws_subnet.private[1]"}
    assert stack.resolve("${aws_subnet.private[1].cidr_block}") == "10.0.1.0/24"
    assert stack.resolve("${aws_subnet.private[2].cidr_block}") is UNRESOLVED
    # The block's own address answers with its first instance.
    first = stack.resource("aws_subnet.private")
    assert first is not None and first.address == "aws_subnet.private[0]"


def test_a_finding_on_an_instance_is_located_in_its_block() -> None:
    text = 'resource "aws_s3_bucket" "b" {\n  for_each = toset(["a.b", "c"])\n  bucket = each.key\n}\n'
    ws = Workspace(
        task_id="t",
        side="model",
        files={"main.tf": text},
        origins={"main.tf": "answer"},
        entry=".",
        entry_source="answer",
        stack_module=None,
        stack_class=".",
        has_code=True,
    )
    locate = TerraformHcl().locator(ws)
    span = locate('resource:aws_s3_bucket.b["a.b"]')
    assert span is not None and (span.path, span.start, span.end) == ("main.tf", 1, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ('!var.on ? "x" : "y"', "y"),
        ("var.on == true && var.x", UNKNOWN),
        ("keys({ b = 1, a = 2 })", ["a", "b"]),
        ('concat(["a"], var.l)', ["a", "b"]),
        ("var.my-name", "dash"),
        ("var.l[3]", UNKNOWN),
        ("length(var.l) >= 1 || false", True),
        ("local.cfg[var.env].replicas", 3),
        ("var.l[5 % length(var.l)]", "b"),
        ('local.cfg["dev"]', UNKNOWN),
        ("length(var.l) > 1 && var.on", False),
        ("upper(var.x)", UNKNOWN),
    ],
)
def test_static_expressions(text: str, expected: Any) -> None:
    scope = Scope(
        variables={"on": True, "l": ["b"], "my-name": "dash", "env": "prod"},
        locals={"cfg": {"prod": {"replicas": 3}}},
    )
    assert expression(text, scope) == expected


def test_a_block_counted_from_another_expanded_block_is_expanded_after_it() -> None:
    doc = _doc(
        'resource "aws_subnet" "public" {\n'
        "  count      = length(var.azs)\n"
        '  cidr_block = "10.0.${count.index}.0/24"\n'
        "}\n"
        'resource "aws_route_table_association" "public" {\n'
        "  count     = length(aws_subnet.public)\n"
        "  subnet_id = aws_subnet.public[count.index].id\n"
        "}\n"
        'resource "aws_lb_listener" "https" {\n'
        "  count = var.create && length(var.azs) > 1 ? 1 : 0\n"
        "}\n"
    )
    assert _names(doc, "aws_route_table_association") == ["public[0]", "public[1]"]
    assert "aws_lb_listener" not in doc["resource"]
    assert doc["//"]["instances"]["aws_lb_listener.https"] == []


def test_for_each_over_known_keys_writes_each_value_in_as_an_expression() -> None:
    doc = _doc(
        'resource "aws_subnet" "s" {\n'
        "  for_each   = local.subnets\n"
        "  cidr_block = each.value.cidr\n"
        "}\n"
        'resource "aws_route_table_association" "s" {\n'
        "  for_each  = aws_subnet.s\n"
        "  subnet_id = each.value.id\n"
        "}\n"
        'resource "aws_cloudwatch_log_group" "fn" {\n'
        "  for_each = {\n"
        "    orders = aws_lambda_function.orders.function_name\n"
        "  }\n"
        '  name = "/aws/lambda/${each.value}"\n'
        "}\n"
    )
    associations = doc["resource"]["aws_route_table_association"]
    assert associations['s["b"]']["subnet_id"] == '${aws_subnet.s["b"].id}'
    group = doc["resource"]["aws_cloudwatch_log_group"]['fn["orders"]']
    assert group["name"] == "/aws/lambda/${aws_lambda_function.orders.function_name}"
