"""Readable names for resource types and counts: 'aws_route_table' -> 'route table(s)'."""

from __future__ import annotations

from collections.abc import Sequence

# Words of a resource type that are written as acronyms or brand names.
_SPELLINGS = {
    "rds": "RDS",
    "dms": "DMS",
    "iam": "IAM",
    "s3": "S3",
    "sqs": "SQS",
    "sns": "SNS",
    "kms": "KMS",
    "vpc": "VPC",
    "ec2": "EC2",
    "ecs": "ECS",
    "eks": "EKS",
    "ecr": "ECR",
    "lb": "load balancer",
    "alb": "ALB",
    "nat": "NAT",
    "db": "DB",
    "dynamodb": "DynamoDB",
    "route53": "Route 53",
    "cloudwatch": "CloudWatch",
    "elasticache": "ElastiCache",
    "opensearch": "OpenSearch",
    "elasticsearch": "Elasticsearch",
    "lambda": "Lambda",
    "api": "API",
    "acm": "ACM",
    "wafv2": "WAF",
    "ssm": "SSM",
}
_PROVIDER_PREFIXES = ("aws_", "google_", "azurerm_")


def type_name(rtype: str) -> str:
    """'aws_route_table' -> 'route table', 'aws_rds_cluster' -> 'RDS cluster'."""
    bare = next((rtype[len(p) :] for p in _PROVIDER_PREFIXES if rtype.startswith(p)), rtype)
    return " ".join(_SPELLINGS.get(w, w) for w in bare.split("_") if w)


def plural_noun(noun: str) -> str:
    """The plural of a noun phrase: its last word takes the plural."""
    head, _, last = noun.rpartition(" ")
    if last.endswith(("s", "x", "ch", "sh")):
        many = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        many = last[:-1] + "ies"
    else:
        many = last + "s"
    return f"{head} {many}" if head else many


def resource_noun(types: Sequence[str], count: int | None = None) -> str:
    """What `count` resources of these types are called: 'route tables', '1 route table' style
    nouns without the number; several types are just 'resources'."""
    n = len(types) if count is None else count
    kinds = set(types)
    noun = type_name(next(iter(kinds))) if len(kinds) == 1 else "resource"
    return noun if n == 1 else plural_noun(noun)
