"""checkov as the SEC family: line ranges map back to addresses; a broken checkov is an ERROR."""

from __future__ import annotations

import json

import pytest

from iacgrade.graders.registry import run_rules
from iacgrade.graders.security import scan
from iacgrade.harness.core.errors import GraderError
from iacgrade.harness.core.findings import Outcome
from tests.rule_fixtures import rule_case


def test_line_index_maps_resource_blocks_to_addresses() -> None:
    doc = {
        "resource": {"aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}}},
        "data": {"aws_region": {"here": {}}},
    }
    index = scan._line_index(json.dumps(doc, indent=2, sort_keys=True))
    assert [a for _line, a in index] == ["data.aws_region.here", "aws_vpc.main"]


def test_a_checkov_that_breaks_is_an_error_outcome_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IACGRADE_CHECKOV", "/bin/false")
    run = run_rules(rule_case("SEC001", "fails").context(), only=["SEC001"])
    assert [o.outcome for o in run.outcomes] == [Outcome.ERROR]
    assert run.findings == []


def test_missing_checkov_raises_a_grader_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IACGRADE_CHECKOV", "/nonexistent/checkov")
    with pytest.raises(GraderError):
        scan.run_checkov({"S": {"resource": {}}})


def test_cdktf_nulls_are_left_out_as_terraform_leaves_them() -> None:
    # cdktf writes every unset field of an inline block as null; the SEC001 `fails` case is the
    # same thing synthesized, where checkov missed the open SSH ingress until the nulls went.
    ingress = {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "self": None, "prefix_list_ids": None}
    doc = {"resource": {"aws_security_group": {"web": {"ingress": [ingress], "name": None}}}}
    assert scan.without_nulls(doc) == {
        "resource": {
            "aws_security_group": {"web": {"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "from_port": 22}]}}
        }
    }


OPEN_SSH_TF = """resource "aws_security_group" "ssh" {
  name = "ssh"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def test_checkov_reads_an_answers_own_files_in_their_framework() -> None:
    found = scan.run_checkov_files({"lib/main.tf": OPEN_SSH_TF, "../escape.tf": OPEN_SSH_TF}, "terraform")
    ssh = [c for c in found if c["check_id"] == "CKV_AWS_24"]
    assert [(c["path"], c["lines"], c["resource"]) for c in ssh] == [
        ("lib/main.tf", (1, 9), "aws_security_group.ssh")
    ]


_OPEN_SSH_HCL = """\
resource "aws_security_group" "sg" {
  name = "sg"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
_OPEN_SSH_JSON = {
    "s": {
        "resource": {
            "aws_security_group": {
                "sg": {
                    "name": "sg",
                    "ingress": [
                        {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}
                    ],
                }
            }
        }
    }
}


def test_the_warm_checkov_reads_each_scan_in_its_own_framework() -> None:
    """HCL (`terraform`) and synthesized JSON (`terraform_json`) scans alternate on one warm
    server, as a run grading both platforms makes them: each finds the open SSH port of the
    folder it is given (checkov's terraform runner once kept its first folder's definitions and
    reported them for every later one), at the lines of its own file."""
    for name in ("sg", "web"):
        hcl = scan.run_checkov_files({"main.tf": _OPEN_SSH_HCL.replace('"sg"', f'"{name}"')}, "terraform")
        ssh = [c for c in hcl if c["check_id"] == "CKV_AWS_24"]
        assert [(c["path"], c["lines"], c["resource"]) for c in ssh] == [
            ("main.tf", (1, 9), f"aws_security_group.{name}")
        ]
        synthesized = scan.run_checkov(_OPEN_SSH_JSON)
        assert [c["address"] for c in synthesized if c["check_id"] == "CKV_AWS_24"] == [
            "aws_security_group.sg"
        ]


def test_a_scan_started_ahead_is_the_one_the_rule_gets() -> None:
    files = {"main.tf": _OPEN_SSH_HCL.replace('"sg"', '"ahead"')}
    scan.scan_files_ahead(files, "terraform")
    assert scan._files_key(files, "terraform") in scan._ahead
    found = scan.run_checkov_files(files, "terraform")
    assert scan._files_key(files, "terraform") not in scan._ahead  # taken, not kept
    assert "aws_security_group.ahead" in {c["resource"] for c in found if c["check_id"] == "CKV_AWS_24"}
