"""AWS021's data: every limit is sourced and readable, and judges names the way AWS does."""

from __future__ import annotations

import pytest

from iacgrade.graders.aws.name_limits import _compiled, name_limits
from iacgrade.graders.constraints import load


def test_every_limit_has_a_source_an_attribute_and_a_readable_pattern() -> None:
    limits = name_limits()
    assert len(limits) >= 35
    for rtype, limit in limits.items():
        assert rtype.startswith("aws_") and limit.attribute, rtype
        assert limit.source, rtype
        assert limit.pattern is None or _compiled(limit.pattern) is not None, rtype
        assert limit.max or limit.pattern or limit.required_prefix, rtype


def test_generated_data_records_its_package_and_the_curated_its_date() -> None:
    generated = load("name_limits.json")
    assert generated["package"].startswith("botocore==") and generated["generated"]
    assert load("name_limits_curated.json")["curated"]


def test_curated_limits_win_over_botocore_where_botocore_describes_an_arn() -> None:
    # Botocore allows 1024 characters for TableName because it also takes a table ARN.
    assert name_limits()["aws_dynamodb_table"].max == 255
    assert name_limits()["aws_lambda_function"].max == 64


@pytest.mark.parametrize(
    ("rtype", "name", "ok"),
    [
        ("aws_lb", "pay-alb-dev", True),
        ("aws_lb", "payment-processing-alb-us-east-1-dev", False),
        ("aws_lb", "internal-api-dev", False),
        ("aws_lb", "-api-dev", False),
        ("aws_lb_target_group", "a" * 32, True),
        ("aws_lb_target_group", "a" * 33, False),
        ("aws_iam_role", "svc-role+dev@team", True),
        ("aws_iam_role", "r" * 65, False),
        ("aws_iam_role", "role with spaces", False),
        ("aws_s3_bucket", "reports-dev.example", True),
        ("aws_s3_bucket", "Reports-dev", False),
        ("aws_s3_bucket", "xn--reports-dev", False),
        ("aws_s3_bucket", "ab", False),
        ("aws_rds_cluster", "aurora-dev", True),
        ("aws_rds_cluster", "1aurora-dev", False),
        ("aws_rds_cluster", "aurora--dev", False),
        ("aws_rds_cluster", "aurora-dev-", False),
        ("aws_elasticache_replication_group", "r" * 41, False),
        ("aws_sqs_queue", "orders-dev.fifo", True),
        ("aws_sqs_queue", "orders.dev", False),
        ("aws_kms_alias", "alias/payments-dev", True),
        ("aws_kms_alias", "payments-dev", False),
        ("aws_kms_alias", "alias/aws/payments", False),
        ("aws_cloudwatch_event_rule", "e" * 65, False),
        ("aws_opensearch_domain", "logs-dev", True),
        ("aws_opensearch_domain", "Logs-dev", False),
    ],
)
def test_names_are_judged_as_aws_does(rtype: str, name: str, ok: bool) -> None:
    assert (name_limits()[rtype].problems(name) == []) is ok
