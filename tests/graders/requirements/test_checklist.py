"""The prompt read as a checklist: real lines of the dev corpus prompts (../shared/corpus/dev), each
with the requirement it must (or must not) give."""

from __future__ import annotations

from iacgrade.graders.requirements.checklist import Requirement, checklist


def _only(prompt: str, kind: str) -> list[Requirement]:
    return [r for r in checklist(prompt) if r.kind == kind]


def test_a_deployment_region_is_read_and_quoted_with_its_line() -> None:
    # Pr7101 L15 and L69.
    prompt = (
        "## Background\n\n"
        "Single-region high availability infrastructure in us-east-1 region.\n\n"
        "## Critical Requirements\n\n"
        "- All resources deployed in us-east-1 region\n"
    )
    [region] = _only(prompt, "region")
    assert region.params["regions"] == ("us-east-1",)
    assert region.line_no == 3 and region.rule_id == "REQ001"


def test_several_regions_are_all_allowed() -> None:
    # Pr7292 L87.
    [region] = _only(
        "- Deploy to **us-east-1** as primary region with us-west-2 and eu-west-1 as secondary\n", "region"
    )
    assert region.params["regions"] == ("us-east-1", "us-west-2", "eu-west-1")


def test_the_generic_template_names_no_region() -> None:
    # Pr7169 L132-136: the "DO NOT hardcode" list of the archive's template.
    prompt = (
        "## Deployment Requirements (CRITICAL)\n\n"
        "### Hardcoded Values (FORBIDDEN)\n"
        "- **DO NOT** hardcode:\n"
        "  - Environment names: `prod-`, `dev-`, `stage-`, `production`, `development`, `staging`\n"
        "  - Regions: Hardcoded `us-east-1` or `us-west-2` in resource names (use variables)\n"
    )
    assert checklist(prompt) == []


def test_a_region_inside_an_image_uri_is_not_a_deployment_region() -> None:
    # Pr5774 L25.
    line = (
        "   - Deploy containers from ECR repository: "
        "account-id.dkr.ecr.ap-southeast-1.amazonaws.com/webapp:latest\n"
    )
    assert _only(line, "region") == []


def test_conditional_template_rules_are_no_requirement() -> None:
    # Pr7169 L122-130.
    prompt = (
        "## Deployment Requirements (CRITICAL)\n\n"
        "#### RDS Databases\n"
        "- **If Multi-AZ required**: Set `backup_retention_period = 1` (minimum) "
        "and `skip_final_snapshot = true`\n"
        "#### NAT Gateways\n"
        "- **If NAT required**: Create only 1 NAT Gateway (not per AZ) for synthetic tasks\n"
    )
    assert checklist(prompt) == []


def test_a_task_line_under_a_deployment_requirements_heading_still_counts() -> None:
    # Pr6739 L103-110: the heading is the template's, the line is the task's.
    prompt = (
        "### Deployment Requirements (CRITICAL)\n\n"
        "- S3 buckets must be configured for automatic deletion on stack destroy\n"
    )
    [req] = _only(prompt, "destroy")
    assert req.aspect == "force_destroy" and req.rule_id == "REQ008"


def test_multi_az_takes_its_subject_from_the_parent_item() -> None:
    # Pr5770 L21-23: "Deploy as Multi-AZ" under the RDS item.
    prompt = (
        "2. **RDS MySQL Instance**\n"
        "   - Restore from the dev snapshot\n"
        "   - Deploy as Multi-AZ for high availability\n"
    )
    [req] = _only(prompt, "availability")
    assert req.aspect == "multi_az" and req.params["subjects"] == ("database",)


def test_zones_count_words_and_digits() -> None:
    # Pr4930 L9, Pr6463 L34.
    two = _only(
        "1. A VPC with public and private subnets across two availability zones for high availability\n",
        "availability",
    )
    three = _only("   - Configure VPC with private subnets across 3 availability zones\n", "availability")
    assert [r.params["count"] for r in two + three] == [2, 3]


def test_zones_of_something_else_than_subnets_are_left_out() -> None:
    # Pr4778 L24: mount targets, not subnets.
    assert _only("   - Mount targets in multiple availability zones\n", "availability") == []


def test_log_retention_days_and_what_varies() -> None:
    # Pr7111 L48, Pr7824 L48.
    [exact] = _only("- Log retention: exactly 3 days\n", "monitoring")
    assert exact.aspect == "log_retention" and exact.params["days"] == 3 and "varies" not in exact.params
    [varies] = _only(
        "- CloudWatch log retention must vary by environment (7 days dev, 30 days staging, 90 days prod)\n",
        "monitoring",
    )
    assert varies.params.get("varies") is True


def test_alarms_name_the_services_they_watch() -> None:
    # Pr6741 L24.
    [req] = [
        r
        for r in _only(
            "Implement CloudWatch alarms for Lambda errors exceeding 1% error rate.\n", "monitoring"
        )
        if r.aspect == "alarms"
    ]
    assert req.params["targets"] == ("lambda",)


def test_tags_as_pairs_as_keys_and_as_a_list_under_a_lead_in() -> None:
    # Pr4664 L58, Pr7292 L60, Pr7948 L176-180.
    [pairs] = _only(
        "All resources must be tagged with: environment='production', project='edutechbr-lms'\n", "tags"
    )
    assert pairs.params["tags"] == {"environment": "production", "project": "edutechbr-lms"}
    [keys] = _only("   - Required tags: CostCenter, Environment, ComplianceLevel\n", "tags")
    assert keys.params["tags"] == {"CostCenter": "", "Environment": "", "ComplianceLevel": ""}
    listed = (
        "All resources must be tagged with:\n"
        "- `Environment: production`\n"
        "- `DR-Region: primary` (for us-east-1 resources)\n"
        "- `DR-Region: secondary` (for us-east-2 resources)\n"
        "- `EnvironmentSuffix: ${environmentSuffix}`\n"
    )
    [lead] = _only(listed, "tags")
    # One key with two values, and a placeholder, fix no value.
    assert lead.line_no == 1
    assert lead.params["tags"] == {"Environment": "production", "DR-Region": "", "EnvironmentSuffix": ""}


def test_tagging_prose_names_no_tag() -> None:
    # Pr4931: "Proper tagging for compliance reporting"; Pr7292 L58 (CDKTF Aspects, not a tag).
    assert _only("- Proper tagging for compliance reporting\n", "tags") == []
    assert _only("8. **Resource Tagging with Aspects**\n", "tags") == []


def test_outputs_inline_and_as_items() -> None:
    # Pr7111 L121, Pr7182 L58-61.
    [inline] = _only("- Outputs: Lambda function ARNs, DynamoDB table name, SNS topic ARN\n", "outputs")
    assert inline.params["items"] == ("Lambda function ARNs", "DynamoDB table name", "SNS topic ARN")
    items = _only(
        "8. **Outputs**\n   - Output VPC ID\n   - Output NAT Gateway public IP addresses\n", "outputs"
    )
    assert [r.params["items"] for r in items] == [("VPC ID",), ("NAT Gateway public IP addresses",)]
    # Pr7438 L77 "Output containing:" names nothing.
    assert _only("- Output containing:\n", "outputs") == []


def test_least_privilege_of_iam_not_of_networking() -> None:
    # Pr4773 L51, Pr4664 L40.
    assert _only("- Implement least-privilege IAM roles for all services\n", "least_privilege")
    assert _only("   - Security groups with least privilege access rules\n", "least_privilege") == []


def test_replication_of_s3_and_of_dynamodb() -> None:
    # Pr6647 L39, Pr7112 L18.
    [s3] = _only(
        "   - Implement S3 buckets with cross-region replication for transaction logs\n", "replication"
    )
    [ddb] = _only("   - Set up DynamoDB global tables across us-east-1 and us-west-2\n", "replication")
    assert (s3.aspect, ddb.aspect) == ("s3_replication", "dynamodb_global")


def test_nat_per_az_versus_a_single_nat() -> None:
    # Pr6430 L69, Pr5667 L9 (a single NAT "instead of one per AZ").
    [per_az] = _only("   - Create 3 NAT Gateways (one per AZ) for private subnet egress\n", "subnets")
    assert per_az.aspect == "nat_per_az"
    line = (
        "The infrastructure needs to follow AWS networking best practices while optimizing for cost, "
        "which means using a single NAT Gateway instead of one per AZ.\n"
    )
    assert [r.aspect for r in _only(line, "subnets")] == ["nat_single"]


def test_code_fences_state_no_requirement() -> None:
    # Pr7824 L155-170: code examples.
    prompt = "```python\n# WRONG:\n# force_destroy=False  # Will block cleanup\n```\n"
    assert checklist(prompt) == []


def test_a_forbidden_resource_and_alternatives_to_document_are_no_requirement() -> None:
    # dev-tf-hcl Pr7163 L79 and L94-96: health checks are forbidden, failover is only documented.
    prompt = (
        "### Constraints\n\n"
        "- Do not create Route53 health checks (they don't work with RDS DNS endpoints)\n\n"
        "Alternative approaches for DNS failover (document in README):\n"
        "- Application-level health checks with Route53 updates via Lambda\n"
        "- Manual DNS updates triggered by CloudWatch alarms\n"
    )
    assert checklist(prompt) == []
    # The same subject asked for plainly still counts.
    [asked] = checklist("- Set up Route53 health checks for the primary endpoint\n")
    assert (asked.rule_id, asked.aspect) == ("REQ002", "health_checks")


def test_a_lifecycle_expiry_is_no_request_to_empty_buckets_on_destroy() -> None:
    # dev-tf-hcl Pr1444 L21, against dev Pr6739 L110.
    assert _only("- Apply lifecycle rules to delete objects older than 365 days.\n", "destroy") == []
    [destroy] = _only("- S3 buckets must be configured for automatic deletion on stack destroy\n", "destroy")
    assert destroy.aspect == "force_destroy"


def test_a_negation_inside_a_paragraph_leaves_its_requirements() -> None:
    # dev Pr4778 L5: "can't handle the load" negates nothing the line asks for.
    line = (
        "They need complete encryption of all data (both at rest and in transit). "
        "Their current setup can't handle the load.\n"
    )
    assert checklist(line) != []
    assert checklist("Route53 TCP health checks cannot monitor RDS endpoints because:\n") == []


def test_one_environments_sizing_is_not_judged_in_the_default_one() -> None:
    # dev-tf-hcl Pr7163 L66: the answer is graded in its default (test) environment.
    assert checklist("- Production environment: db.r6g.large, multi-AZ, full monitoring\n") == []
    [asked] = checklist("- RDS database with multi-AZ deployment\n")
    assert asked.aspect == "multi_az"
