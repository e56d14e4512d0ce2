"""An answer's own suppressions never decide what checks judge it: checkov and cfn-lint run on
text whose `checkov:skip=` comments, Metadata skips and cfn-lint directives are made inert."""

from __future__ import annotations

from iacgrade.graders.security import scan
from iacgrade.graders.security.suppressions import without_suppressions
from iacgrade.harness.platforms.cfn.lint import lint
from tests.graders.security.test_checkov import OPEN_SSH_TF
from tests.graders.security.test_runner import OPEN_SSH_TEMPLATE

# The open-SSH answers checkov fails on CKV_AWS_24, each telling checkov to skip that check.
SKIPPING_TF = OPEN_SSH_TF.replace(
    '  name = "ssh"\n',
    '  name = "ssh"\n  #checkov:skip=CKV_AWS_24: the answer says so\n  # nosec\n  # iacgrade: ignore\n',
)
SKIPPING_CFN = OPEN_SSH_TEMPLATE.replace(
    "    Properties:\n",
    "    Metadata:\n      checkov:\n        skip:\n          - id: CKV_AWS_24\n"
    "            comment: the answer says so\n    Properties:\n",
)


def test_suppressions_are_renamed_on_the_same_lines() -> None:
    assert "checkov:skip=CKV_AWS_24" in SKIPPING_TF and "      checkov:\n" in SKIPPING_CFN
    for text in (SKIPPING_TF, SKIPPING_CFN, '{"Metadata": {"checkov": {"skip": []}}}'):
        inert = without_suppressions(text)
        assert inert.count("\n") == text.count("\n")
        assert "checkov:skip=" not in inert and "checkov:\n" not in inert and '"checkov":' not in inert
    assert without_suppressions("# bridgecrew:skip=CKV_AWS_1") == "# bridgecrew-not-honored:skip=CKV_AWS_1"


def test_checkov_skip_comments_in_a_tf_answer_are_not_honored() -> None:
    found = scan.run_checkov_files({"main.tf": SKIPPING_TF}, "terraform")
    assert "CKV_AWS_24" in {c["check_id"] for c in found}


def test_checkov_metadata_skips_in_a_template_are_not_honored() -> None:
    found = scan.run_checkov_files({"template.yaml": SKIPPING_CFN}, "cloudformation")
    assert "CKV_AWS_24" in {c["check_id"] for c in found}


def test_checkov_skips_in_synthesized_json_are_not_honored() -> None:
    # checkov 3.3 reads no skips in Terraform JSON; the JSON is made inert all the same, and this
    # fails should a later checkov start honoring what a CDKTF answer can write into a string.
    stack = {
        "resource": {
            "aws_security_group": {
                "ssh": {
                    "name": "ssh",
                    "description": "checkov:skip=CKV_AWS_24: the answer says so",
                    "ingress": [
                        {
                            "from_port": 22,
                            "to_port": 22,
                            "protocol": "tcp",
                            "cidr_blocks": ["0.0.0.0/0"],
                            "description": "checkov:skip=CKV_AWS_24",
                        }
                    ],
                }
            }
        }
    }
    found = scan.run_checkov({"app": stack})
    assert "CKV_AWS_24" in {c["check_id"] for c in found}


def test_cfn_lint_directives_in_a_template_are_not_honored() -> None:
    template = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Metadata:
      cfn-lint:
        config:
          ignore_checks: [E3002]
    Properties:
      Bogus: 1
"""
    findings, errors = lint("template.yaml", template)
    assert not errors
    assert ("E3002", 10) in {(d.code, d.line) for d in findings}
