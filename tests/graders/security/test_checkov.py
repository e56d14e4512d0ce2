"""checkov as the SEC family: line ranges map back to addresses; a broken checkov is an ERROR."""

from __future__ import annotations

import json

import pytest

from graders.registry import run_rules
from graders.security import scan
from harness.core.errors import GraderError
from harness.core.findings import Outcome
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


def test_a_prefetched_scan_is_the_scan_the_rule_gets() -> None:
    files = {"lib/main.tf": OPEN_SSH_TF}
    scan.prefetch_files(files, "terraform")
    assert scan._files_key(files, "terraform") in scan._PREFETCHED
    prefetched = scan.run_checkov_files(files, "terraform")
    assert scan._files_key(files, "terraform") not in scan._PREFETCHED

    def seen(checks: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [(c["check_id"], c["path"], c["lines"], c["resource"]) for c in checks]

    assert seen(prefetched) == seen(scan.run_checkov_files(files, "terraform"))
    assert any(c["check_id"] == "CKV_AWS_24" for c in prefetched)
