"""The warm checkov server answers exactly as a checkov process per scan does, and is optional."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iacgrade.graders.security import runner as checkov_runner
from iacgrade.graders.security.runner import CheckovRunner, script_interpreter
from iacgrade.graders.security.scan import checkov_command

ARGS = ["--framework", "terraform_json", "-o", "json", "--quiet", "--compact", "--skip-download"]
STACK = {
    "resource": {
        "aws_security_group": {
            "open": {
                "name": "open",
                "ingress": [
                    {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}
                ],
            }
        },
        "aws_s3_bucket": {"data": {"bucket": "data"}},
    }
}


def failed(stdout: str) -> list[tuple[str, str]]:
    reports = json.loads(stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return sorted((c["check_id"], c["resource"]) for r in reports for c in r["results"]["failed_checks"])


@pytest.fixture
def stack_dir(tmp_path: Path) -> str:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "cdk.tf.json").write_text(json.dumps(STACK, indent=2), encoding="utf-8")
    return str(tmp_path)


def test_the_server_and_a_process_find_the_same_checks(stack_dir: str) -> None:
    command = checkov_command()
    if script_interpreter(command) is None:
        pytest.skip("checkov here is not a Python script: there is no server to compare")
    runner = CheckovRunner()
    try:
        served = [runner.scan(command, stack_dir, ARGS, 120) for _ in range(2)]
    finally:
        runner.close()
    by_process = checkov_runner._scan_by_process(command, stack_dir, ARGS, 120)
    assert by_process.returncode == 1 and failed(by_process.stdout)
    for output in served:
        assert output.returncode == by_process.returncode
        assert failed(output.stdout) == failed(by_process.stdout)


def test_a_server_that_cannot_start_falls_back_to_a_process(
    stack_dir: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    command = checkov_command()
    if script_interpreter(command) is None:
        pytest.skip("checkov here is not a Python script")
    broken = tmp_path / "broken_server.py"
    broken.write_text("import sys; sys.exit(3)\n", encoding="utf-8")
    monkeypatch.setattr(checkov_runner, "SERVER_SCRIPT", broken)
    runner = CheckovRunner()
    output = runner.scan(command, stack_dir, ARGS, 120)
    assert output.returncode == 1 and failed(output.stdout)
    assert runner._broken  # later scans go straight to a process


def test_only_a_python_launcher_has_an_interpreter(tmp_path: Path) -> None:
    script = tmp_path / "checkov"
    script.write_text("#!/bin/sh\nexec true\n", encoding="utf-8")
    assert script_interpreter([str(script)]) is None
    assert script_interpreter(["/bin/false"]) is None
    assert script_interpreter(["a", "b"]) is None


OPEN_SSH_TEMPLATE = """Resources:
  Ssh:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
"""


def test_the_server_alternating_frameworks_finds_what_a_process_per_scan_finds(
    stack_dir: str, tmp_path: Path
) -> None:
    """A CDKTF stack (terraform_json) and two templates (cloudformation) scanned in turn on one
    warm server: each scan finds what a fresh checkov process finds, so no runner state (checkov
    keeps its parsed templates on its runner) carries over from one scan to the next."""
    command = checkov_command()
    if script_interpreter(command) is None:
        pytest.skip("checkov here is not a Python script: there is no server to compare")
    templates = []
    for name, port in (("ssh", 22), ("rdp", 3389)):
        folder = tmp_path / name
        (folder / "lib").mkdir(parents=True)
        text = OPEN_SSH_TEMPLATE.replace("22", str(port))
        (folder / "lib" / "TapStack.yml").write_text(text, encoding="utf-8")
        templates.append(str(folder))
    cfn_args = ["--framework", "cloudformation", *ARGS[2:]]
    scans = [(stack_dir, ARGS), (templates[0], cfn_args), (stack_dir, ARGS), (templates[1], cfn_args)]
    runner = CheckovRunner()
    try:
        served = [failed(runner.scan(command, d, a, 120).stdout) for d, a in scans]
    finally:
        runner.close()
    expected = [failed(checkov_runner._scan_by_process(command, d, a, 120).stdout) for d, a in scans]
    assert ("CKV_AWS_24", "AWS::EC2::SecurityGroup.Ssh") in expected[1]
    assert ("CKV_AWS_25", "AWS::EC2::SecurityGroup.Ssh") in expected[3]
    assert served == expected
