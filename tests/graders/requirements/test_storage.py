"""How a store without the customer-managed key a prompt asks for is told."""

from __future__ import annotations

from iacgrade.graders.requirements.storage import _keyless
from iacgrade.graders.requirements.verdict import Culprit
from iacgrade.graders.terraform_model import Resource
from iacgrade.harness.core.findings import Severity


def _culprit(rtype: str, **config: object) -> Culprit:
    return _keyless(Resource("main", rtype, "store", config), "main", "kms_key_id")


def test_a_store_without_encryption_no_other_rule_reports_is_high() -> None:
    culprit = _culprit("aws_efs_file_system")
    assert culprit.severity is Severity.HIGH and culprit.attr == "encrypted"
    assert "not encrypted at all" in culprit.what


def test_an_unencrypted_store_checkov_reports_keeps_the_aspects_severity_and_says_who_reports_it() -> None:
    culprit = _culprit("aws_rds_cluster")
    assert culprit.severity is None and "SEC:CKV_AWS_96 reports it" in culprit.what


def test_an_encrypted_store_on_aws_managed_keys_only_lacks_the_key() -> None:
    culprit = _culprit("aws_efs_file_system", encrypted=True)
    assert culprit.severity is None and culprit.attr == "kms_key_id"
    assert culprit.what.endswith("is not encrypted with a customer-managed KMS key")
