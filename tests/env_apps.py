"""Apps that need what no sandbox gives (a package download, AWS) and what each must come to:
the same synth status, error type and ENV001 in the local and the docker sandbox."""

from __future__ import annotations

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.graders.synth.environment_causes import environment_cause
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.sandbox.base import Sandbox, SynthRequest
from tests.rule_fixtures import workspace_of

STACK = """\
from constructs import Construct
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
"""

TAP = """\
{before}
from cdktf import App
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev")
app.synth()
"""

# name -> (what the app runs before building its stack, the error type, the ENV001 class)
APPS = {
    "pip": (
        'import subprocess\nsubprocess.run(["pip", "install", "requests", "-t", "layer"], check=True)',
        "subprocess.CalledProcessError",
        "pip",
    ),
    "python-m-pip": (
        "import subprocess, sys\n"
        'subprocess.run([sys.executable, "-m", "pip", "install", "requests", "-t", "layer"], check=True)',
        "subprocess.CalledProcessError",
        "pip",
    ),
    "boto3": (
        'import boto3\nboto3.client("sts").get_caller_identity()',
        "botocore.exceptions.EndpointConnectionError",
        "aws-network",
    ),
}
# A boto3 call must fail at once, not after retries and connect timeouts.
AWS_CALL_SECONDS = 10.0


def files(name: str) -> dict[str, str]:
    before = APPS[name][0]
    return {"tap.py": TAP.format(before=before), "lib/__init__.py": "", "lib/tap_stack.py": STACK}


def check_environment_stop(name: str, result: SynthResult) -> None:
    """The app stopped where it needs its environment, as an ENV001 and never a SYN001."""
    _before, error_type, kind = APPS[name]
    assert result.status is SynthStatus.ERROR, result.message
    assert result.error_type == error_type, result.message
    assert result.frame is not None and result.frame.file == "tap.py"
    workspace = workspace_of(files(name))
    cause = environment_cause(result, workspace.files)
    assert cause is not None and cause.kind == kind
    run = run_rules(GradeContext(workspace, result), only=["SYN001", "ENV001"])
    assert [f.rule_id for f in run.findings] == ["ENV001"]


def synth_and_check(sandbox: Sandbox, name: str) -> None:
    """Synthesize the app `name` in `sandbox` and check it stopped as every sandbox must."""
    result = sandbox.synth(SynthRequest(id=name, files=files(name), entry="tap.py", timeout=60.0))
    check_environment_stop(name, result)
    if name == "boto3":
        assert result.seconds < AWS_CALL_SECONDS
