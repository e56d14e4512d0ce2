"""Parsing written failure analyses: one test per shape found in the corpus, then the corpus itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacgrade.harness.calibration.written import find_written_analysis, parse_written, severity_from_text
from iacgrade.harness.core.findings import Severity
from tests.paths import DEV_CORPUS, SEED_ANALYSIS

CORPUS = DEV_CORPUS
SEED = SEED_ANALYSIS

SEED_SHAPE = """# Model Response Failures Analysis

## Critical Failures

### 1. Missing Constructor Parameters

**Impact Level**: Critical

**MODEL_RESPONSE Issue**:
```python
class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
```

This causes a `TypeError: TapStack.__init__() got an unexpected keyword argument` during synthesis.

**IDEAL_RESPONSE Fix**:
```python
class TapStack(TerraformStack):
    def __init__(self, scope: Construct, stack_id: str, **kwargs):
```

**Root Cause**: The files disagree.

---

## High Failures

### 2. Aurora Backtrack on a Global Database

**MODEL_RESPONSE Issue**:
```python
backtrack_window=259200,
```

**Error**:
```
InvalidParameterCombination: Backtrack is not supported for global databases.
```

## Summary

### 1. Not an item: the summary lists knowledge gaps
"""


def test_seed_shape_items_severity_code_and_errors() -> None:
    parsed = parse_written(SEED_SHAPE)
    assert parsed.shape == "numbered/seed-labels"
    assert [i.title for i in parsed.items] == [
        "Missing Constructor Parameters",
        "Aurora Backtrack on a Global Database",
    ]
    first, second = parsed.items
    assert (first.severity_text, first.severity) == ("Critical", Severity.CRITICAL)
    assert first.model_code == (
        "class TapStack(TerraformStack):\n    def __init__(self, scope: Construct, id: str):",
    )
    # The fix's code is not the model's.
    assert not any("stack_id" in c for c in first.quoted_code)
    assert any(e.startswith("TypeError: TapStack.__init__()") for e in first.errors)
    # No severity field: the group heading above the item says it.
    assert (second.severity_text, second.severity) == ("High Failures", Severity.HIGH)
    assert second.model_code == ("backtrack_window=259200,",)
    assert any("Backtrack is not supported" in e for e in second.errors)
    assert first.line == 5


def test_issue_headings_with_sub_headings() -> None:
    doc = """# Model Failures and Corrections

## Issue 1: Security Group Circular Dependency (CRITICAL)

**Category**: Configuration Error
**Severity**: High (Blocks Deployment)

### Problem

```python
# MODEL_RESPONSE (WRONG)
alb_sg = SecurityGroup(self, "alb-sg", ingress=[SecurityGroupIngress(security_groups=[ecs_sg.id])])
```

### Solution

```python
# IDEAL_RESPONSE (CORRECT)
SecurityGroupRule(self, "ecs-ingress", type="ingress")
```

## Issue 2: ALB Name Length Constraint Violation (HIGH)

### Problem

The name is longer than 32 characters.
"""
    parsed = parse_written(doc)
    assert parsed.shape == "issue-headings/sub-headings"
    first, second = parsed.items
    assert first.title == "Security Group Circular Dependency"
    # The severity field wins over the heading, and the first word of it decides.
    assert (first.severity_text, first.severity) == ("High (Blocks Deployment)", Severity.HIGH)
    assert len(first.model_code) == 1 and "alb_sg = SecurityGroup" in first.model_code[0]
    assert not any("SecurityGroupRule" in c for c in first.quoted_code)
    assert (second.title, second.severity) == ("ALB Name Length Constraint Violation", Severity.HIGH)


def test_bug_headings_with_before_after_in_one_block() -> None:
    doc = """# Model Failures and Fixes

## Bug #1: Invalid Import Statement

**Error**:
```
ImportError: cannot import name 'EcsTaskDefinitionContainerDefinitions' from 'cdktf_cdktf_provider_aws.ecs'
```

**Fix**: Removed the import.

## Bug #2: Type Mismatch in ALB Target Group

**Fix**:
```python
# BEFORE:
deregistration_delay=30

# AFTER:
deregistration_delay="30"
```
"""
    parsed = parse_written(doc)
    assert parsed.shape == "issue-headings/labels"
    first, second = parsed.items
    assert first.title == "Invalid Import Statement"
    assert first.severity is None and first.severity_text == ""
    assert first.errors[0].startswith(
        "ImportError: cannot import name 'EcsTaskDefinitionContainerDefinitions'"
    )
    assert first.model_code == ()
    # The marker comments split the block: the model's side is kept, the fix's side is not.
    assert second.model_code == ("deregistration_delay=30\n",)


def test_field_labels_and_category_letter_severity() -> None:
    doc = """# Model Failures Documentation

## Failures Identified

### 1. Hardcoded Database Password

**Location**: `stacks/database.py`, line 435
**Problem**: Aurora cluster uses hardcoded password `master_password="ChangeMe12345!"` directly in code
**Fix**: Use AWS Secrets Manager
**Category**: A (Critical - Security)

### 2. Incorrect KmsAlias Parameter Name (HIGH)

**Error in MODEL_RESPONSE**:
```python
KmsAlias(self, "key-alias", alias="alias/payment")
```

**Issue**: Causes `TypeError: KmsAlias.__init__() got an unexpected keyword argument 'alias'`.

## What Worked Well

### 1. Multi-Region Architecture
"""
    parsed = parse_written(doc)
    assert parsed.shape == "numbered/labels"
    assert [i.title for i in parsed.items] == [
        "Hardcoded Database Password",
        "Incorrect KmsAlias Parameter Name",
    ]
    first, second = parsed.items
    assert (first.severity_text, first.severity) == ("A (Critical - Security)", Severity.CRITICAL)
    assert 'master_password="ChangeMe12345!"' in first.inline_code
    assert second.severity is Severity.HIGH
    assert second.model_code == ('KmsAlias(self, "key-alias", alias="alias/payment")',)
    assert any("unexpected keyword argument 'alias'" in e for e in second.errors)


def test_numbered_heading_with_unnumbered_sub_issue() -> None:
    doc = """# Infrastructure Model Failures and Fixes

## 1. Import Statement Errors

### Issue: Incorrect Class Names for S3 Bucket Resources
**Original Code:**
```python
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning
```

**Error:** ImportError - These class names don't exist in the CDKTF AWS provider

**Fix Applied:**
```python
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
```
"""
    parsed = parse_written(doc)
    assert parsed.shape == "numbered/sub-headings"
    (item,) = parsed.items
    assert item.title == "Import Statement Errors"
    assert "Incorrect Class Names for S3 Bucket Resources" in item.text
    assert item.model_code == (
        "from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning",
    )
    assert any(e.startswith("ImportError") for e in item.errors)


def test_list_shape_when_no_item_headings() -> None:
    doc = """# Model Failures Log

## Root Cause Analysis

### Knowledge Gap
- **AWS CDK vs CDKTF Confusion**: not a failure list (singular heading)

### Critical Errors Identified

1. **Security Group Rules** (9 usages)
   - WRONG: Used class-based `SecurityGroupIngress()`
   - Correct: Use dictionaries

2. **VPC Peering Accepter Class Name** (1 usage)

## Previous Gaps
- No Terraform outputs were exported, so CI could not read them.

## Fixes Implemented
- Added outputs.
"""
    parsed = parse_written(doc)
    assert parsed.shape == "list/prose"
    assert [i.title for i in parsed.items] == [
        "Security Group Rules",
        "VPC Peering Accepter Class Name",
        "No Terraform outputs were exported, so CI could not read them",
    ]
    assert parsed.items[0].severity is Severity.CRITICAL
    assert "SecurityGroupIngress()" in parsed.items[0].inline_code
    assert parsed.items[2].severity is None


def test_decorations_and_tags_leave_the_title() -> None:
    doc = """# Failures

## Resolved

### 1. State Backend Configuration ✅ FIXED
Text.

### 2. API Gateway Stage Naming Pattern (IMPROVEMENT)
Text.

### 3. `at_rest_encryption_enabled` as a string (Minor - Best Practice)
Text.
"""
    items = parse_written(doc).items
    assert [i.title for i in items] == [
        "State Backend Configuration",
        "API Gateway Stage Naming Pattern",
        "at_rest_encryption_enabled as a string",
    ]
    assert (items[1].severity_text, items[1].severity) == ("IMPROVEMENT", None)
    assert items[2].severity is Severity.LOW


def test_a_document_without_items() -> None:
    parsed = parse_written("# Notes\n\nEverything went well.\n")
    assert parsed.items == () and parsed.shape == "none"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Critical", Severity.CRITICAL),
        ("HIGH (Blocks Deployment)", Severity.HIGH),
        ("Deployment Blocker", Severity.CRITICAL),
        ("B (Moderate - Resource Naming)", Severity.MEDIUM),
        ("Low-Priority Issues Noted", Severity.LOW),
        ("ENHANCEMENT", None),
    ],
)
def test_severity_from_text(text: str, expected: Severity | None) -> None:
    assert severity_from_text(text) is expected


def test_find_written_analysis_in_both_layouts(tmp_path: Path) -> None:
    (tmp_path / "a" / "lib").mkdir(parents=True)
    (tmp_path / "a" / "lib" / "MODEL_FAILURES.md").write_text("x")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "MODEL_FAILURES.md").write_text("x")
    (tmp_path / "c").mkdir()
    assert find_written_analysis(tmp_path / "a") == tmp_path / "a" / "lib" / "MODEL_FAILURES.md"
    assert find_written_analysis(tmp_path / "b") == tmp_path / "b" / "MODEL_FAILURES.md"
    assert find_written_analysis(tmp_path / "c") is None


# --- the reference and the corpus ------------------------------------------------------------------


@pytest.mark.skipif(not SEED.is_file(), reason=f"seed analysis not found at {SEED}")
def test_seed_analysis() -> None:
    parsed = parse_written(SEED.read_text(encoding="utf-8"))
    assert parsed.shape == "numbered/seed-labels"
    assert len(parsed.items) == 10
    severities = [i.severity for i in parsed.items]
    assert severities.count(Severity.CRITICAL) == 7
    assert parsed.items[4].title == "Aurora Global Database Backtrack Not Supported"
    assert parsed.items[4].model_code == ("backtrack_window=259200,  # 72 hours in seconds",)


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


@needs_corpus
@pytest.mark.corpus
def test_corpus_documents_yield_items() -> None:
    parsed = {
        d.name: parse_written(p.read_text(encoding="utf-8"))
        for d in CORPUS.iterdir()
        if (p := d / "lib" / "MODEL_FAILURES.md").is_file()
    }
    assert len(parsed) == 35
    assert all(p.items for p in parsed.values()), [k for k, p in parsed.items() if not p.items]
    shapes = {p.shape for p in parsed.values()}
    assert {"numbered/seed-labels", "numbered/labels", "issue-headings/sub-headings", "list/prose"} <= shapes
    # Severity is stated (somewhere) for most items.
    items = [i for p in parsed.values() for i in p.items]
    assert sum(i.severity is not None for i in items) / len(items) > 0.7


def test_location_fields_and_impact_severity() -> None:
    doc = """# Failures

## Category A: Critical API Errors

### 1. Incorrect Route Configuration (HIGH)

**Location**: `lib/vpc_construct.py` (line 167-170)

**Error**: Used `instance_id` instead of `network_interface_id`

### 2. Database Security Issues
**Issue**: publicly_accessible set to True

**Location**: `stacks/database.py`, lines 422-424 and 439-441; also `lib/dynamodb.py`

**Impact**: High - Security and compliance requirement
"""
    first, second = parse_written(doc).items
    assert first.locations == (("lib/vpc_construct.py", 167, 170),)
    assert first.severity is Severity.HIGH
    assert second.locations == (
        ("stacks/database.py", 422, 424),
        ("stacks/database.py", 439, 441),
        ("lib/dynamodb.py", None, None),
    )
    # The item's own `**Impact**: High` wins over the group heading's "Critical".
    assert (second.severity_text, second.severity) == (
        "High - Security and compliance requirement",
        Severity.HIGH,
    )


# --- shapes of the Terraform HCL and CloudFormation corpora ---------------------------------------


def test_decorated_fault_headings_and_a_value_inside_the_emphasis() -> None:
    doc = """# MODEL_RESPONSE.md Analysis - Critical Faults Identified

## **FAULT #1: Missing DynamoDB Table**

**Severity: CRITICAL - Architecture Incomplete**

## **FAULT #2: Incorrect Lambda Permission SourceArn**

**Severity: HIGH - Deployment Will Fail**

## 🔴 **Issue 3: File Location Non-Compliance**
- **Problem**: in `tap_stack.tf` instead of `main.tf`

## 🟡 **Issue 4: Provider Alias Inconsistency**
- **Problem**: mixed names
"""
    items = parse_written(doc).items
    assert [i.title for i in items] == [
        "Missing DynamoDB Table",
        "Incorrect Lambda Permission SourceArn",
        "File Location Non-Compliance",
        "Provider Alias Inconsistency",
    ]
    critical, high, medium = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM
    assert [i.severity for i in items] == [critical, high, critical, medium]
    assert items[0].severity_text == "CRITICAL - Architecture Incomplete"


def test_severity_before_the_item_word_and_in_the_title() -> None:
    doc = """# Model Failures

## Critical Failure #1: Route53 Health Checks Incompatibility

### Problem Description

**Severity:** CRITICAL - Deployment Blocker

## FAILURE-02: EventBridge Input Invalid JSON Syntax

**Severity:** MEDIUM

## Fault 3: Hardcoded Configuration

## 4. Critical Failure: Invalid Dynamic Provider Configuration

## 5. Network ACLs Security Layer - CRITICAL MISSING

## 6. CRITICAL COMPLIANCE VIOLATION

## 7. High Availability Across Zones

## 8. Critical Resources Lack Backups
"""
    items = parse_written(doc).items
    assert [(i.title, i.severity) for i in items] == [
        ("Route53 Health Checks Incompatibility", Severity.CRITICAL),
        ("EventBridge Input Invalid JSON Syntax", Severity.MEDIUM),
        ("Hardcoded Configuration", None),
        ("Invalid Dynamic Provider Configuration", Severity.CRITICAL),
        ("Network ACLs Security Layer", Severity.CRITICAL),
        ("CRITICAL COMPLIANCE VIOLATION", Severity.CRITICAL),
        # "High Availability" names a topic, not a severity.
        ("High Availability Across Zones", None),
        # Only capitals make a leading "CRITICAL" a severity: "Critical Resources" is a topic.
        ("Critical Resources Lack Backups", None),
    ]


def test_severity_label_alone_and_severity_in_list_entries() -> None:
    doc = """# Failures

## Critical Failures

### 1. Parameter Management Failures
**Critical Severity**
- Hardcoded values

### 2. S3 Bucket Configuration Deficiencies
**High Severity**

### 3. Production-Readiness Gaps
- **Issue**: no alarms
- **Impact**: 🟡 **HIGH** - Not suitable for production use

### 4. Monitoring Shortcomings
- **Impact**: Operational blindness in critical paths

### 5. Wrong Naming
- Names clash with the critical resources of other stacks.
"""
    items = parse_written(doc).items
    assert [i.severity for i in items] == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.HIGH,
        # An impact that does not open with a severity says nothing: the group heading decides.
        Severity.CRITICAL,
        Severity.CRITICAL,
    ]
    assert items[2].severity_text == "HIGH - Not suitable for production use"


def test_list_items_below_a_title_that_rates_them() -> None:
    doc = """# Critical Infrastructure Failures in the Original Template

## Security Vulnerabilities

1. **Exposed Credentials Risk**
   - CRITICAL: `DBMasterUsername` parameter was set to `NoEcho: false`
   - IMPACT: unauthorized access

2. **Inadequate Access Controls**
   - SEVERE: Overly permissive IAM roles

## Architectural Flaws

1. **Missing Components**
   - MISSING: Conditions section
"""
    parsed = parse_written(doc)
    assert parsed.shape == "list/prose"
    assert [(i.title, i.severity) for i in parsed.items] == [
        ("Exposed Credentials Risk", Severity.CRITICAL),
        ("Inadequate Access Controls", Severity.HIGH),
        # No severity of its own: the title above rates it.
        ("Missing Components", Severity.CRITICAL),
    ]


@pytest.mark.parametrize("title", ["Model Failures Log", "Model Failures: High-Level Review"])
def test_a_title_that_rates_nothing_does_not_make_its_lists_items(title: str) -> None:
    doc = f"# {title}\n\n## Context\n\n1. **Stack**: CDKTF\n2. **Region**: us-east-1\n"
    assert parse_written(doc).items == ()


def test_bare_numbered_items_led_by_a_severity() -> None:
    doc = """1. Critical Failure — Security Group Naming Convention
Root Cause

The name starts with "sg-".

2. Medium Failure: Model used wrong DB Engine version

3. The critical path was slow, as the log shows.
"""
    parsed = parse_written(doc)
    assert parsed.shape == "bare/prose"
    assert [(i.title, i.severity, i.line) for i in parsed.items] == [
        ("Security Group Naming Convention", Severity.CRITICAL, 1),
        ("Model used wrong DB Engine version", Severity.MEDIUM, 6),
    ]


def test_dash_failure_lines_rated_by_a_breakdown() -> None:
    doc = """— Failure 1
Problem: Circular dependency among [CloudTrail, BackupBucket].
Solution: Broke the loop.

— Failure 2
Problem: Invalid resource type `AWS::S3::BucketReplicationConfiguration`.

— Failure 3
Problem: `ConfigRecorder` failed — unsupported property `RoleArn`.

Summary
- Severity breakdown (qualitative):
  - Critical: 2 (Failures 1, 2)
  - Low: 1 (Failure 3)
"""
    items = parse_written(doc).items
    assert [(i.title, i.severity) for i in items] == [
        ("Circular dependency among [CloudTrail, BackupBucket].", Severity.CRITICAL),
        ("Invalid resource type AWS::S3::BucketReplicationConfiguration.", Severity.CRITICAL),
        ("ConfigRecorder failed — unsupported property RoleArn.", Severity.LOW),
    ]


def test_issues_identified_and_recommendations_lists_items_but_not_its_summary() -> None:
    doc = """# Issues Identified and Recommendations

## 1. Incorrect ProjectName Parameter Pattern

The pattern allows capitals.

## 2. Outdated Lambda Runtime Version

## Summary of Critical Issues

1. **Security**: Incomplete ARN formats
2. **Consistency**: Mixed case naming

## Key Learning Points

### 1. Parameter Design
"""
    items = parse_written(doc).items
    assert [(i.title, i.severity) for i in items] == [
        ("Incorrect ProjectName Parameter Pattern", None),
        ("Outdated Lambda Runtime Version", None),
    ]


def test_a_category_heading_beside_the_items_rates_those_after_it() -> None:
    doc = """# Production Deployment Issues

## Error Category: Critical - KMS Key Policy Configuration

## 1. KMS Key Missing Encryption Context

## Error Category: Configuration - Resource Dependency Management

## 2. Missing KMS Key Reference
"""
    items = parse_written(doc).items
    assert [(i.title, i.severity) for i in items] == [
        ("KMS Key Missing Encryption Context", Severity.CRITICAL),
        ("Missing KMS Key Reference", None),
    ]


def test_a_document_without_headings_that_numbers_its_failures() -> None:
    doc = """Generated response by the model had below failures -

1. Deployment failed because the backend bucket was not available.

2. Model failed while setting up the flow logs with the below error -

```
│ Error: Unsupported argument
│ An argument named "log_destination_arn" is not expected here.
```
"""
    parsed = parse_written(doc)
    assert parsed.shape == "bare/prose"
    assert [(i.title, i.severity) for i in parsed.items] == [
        ("Deployment failed because the backend bucket was not available", None),
        ("Model failed while setting up the flow logs with the below error", None),
    ]
    assert any("Unsupported argument" in e for e in parsed.items[1].errors)


@pytest.mark.parametrize(
    "doc",
    [
        # A numbered list after prose that announces no failures: steps, not items.
        "To deploy the stack:\n\n1. Run terraform init.\n2. Run terraform apply.\n",
        # A document with headings keeps to its headings.
        "# Notes\n\nBelow were the model failures -\n\n1. The bucket name was wrong.\n",
    ],
)
def test_numbered_lines_that_are_not_failure_items(doc: str) -> None:
    assert parse_written(doc).items == ()
