"""ENV001 against SYN001: which synth stops are the sandbox's gap and which the answer's error."""

from __future__ import annotations

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.graders.synth.causes import classify
from iacgrade.graders.synth.environment_causes import build_step, environment_cause, prose
from iacgrade.harness.core.findings import Category, Finding, Severity
from iacgrade.harness.core.results import SideResult
from iacgrade.harness.core.synth import Blocker, Frame, SynthResult, SynthStatus
from iacgrade.harness.pipeline.compare import Side, compare
from iacgrade.reports.markdown import synthesis_text
from tests.rule_fixtures import workspace_of

STACK = "lib/tap_stack.py"


def failed(error_type: str, message: str, **extra: object) -> SynthResult:
    return SynthResult(status=SynthStatus.ERROR, error_type=error_type, message=message, **extra)


def kind(synth: SynthResult, files: dict[str, str] | None = None, docs: dict[str, str] | None = None) -> str:
    cause = environment_cause(synth, files or {}, docs)
    return cause.kind if cause else ""


@pytest.mark.parametrize(
    ("error_type", "message", "expected"),
    [
        ("botocore.exceptions.NoCredentialsError", "Unable to locate credentials", "aws-credentials"),
        (
            "botocore.exceptions.ProfileNotFound",
            "The config profile (prod) could not be found",
            "aws-credentials",
        ),
        ("botocore.exceptions.NoRegionError", "You must specify a region.", "aws-credentials"),
        (
            "botocore.exceptions.EndpointConnectionError",
            'Could not connect to the endpoint URL: "https://sts.amazonaws.com/"',
            "aws-network",
        ),
        (
            "botocore.exceptions.ClientError",
            "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: "
            "The security token included in the request is invalid.",
            "aws-fake-credentials",
        ),
        (
            "botocore.errorfactory.ClientError",
            "An error occurred (UnrecognizedClientException) when calling the ListTables operation: x",
            "aws-fake-credentials",
        ),
        ("socket.gaierror", "[Errno -3] Temporary failure in name resolution", "network"),
        ("urllib.error.URLError", "<urlopen error [Errno 101] Network is unreachable>", "network"),
        ("OSError", "[Errno 101] Network is unreachable", "network"),
        # A published prebuilt provider the sandbox's toolchain does not install.
        ("ModuleNotFoundError", "No module named 'cdktf_cdktf_provider_kubernetes'", "toolchain"),
    ],
)
def test_aws_and_network_stops_are_the_environment(error_type: str, message: str, expected: str) -> None:
    assert kind(failed(error_type, message)) == expected


@pytest.mark.parametrize(
    ("error_type", "message"),
    [
        # The SDK refuses the call itself: a real misuse of the API.
        ("botocore.exceptions.ParamValidationError", 'Parameter validation failed: Unknown parameter "Foo"'),
        # AWS judged a real request: not a sign of fake keys.
        (
            "botocore.exceptions.ClientError",
            "An error occurred (ValidationError) when calling the DescribeStacks operation: bad",
        ),
        ("OSError", "[Errno 13] Permission denied: 'out'"),
        (
            "subprocess.CalledProcessError",
            "Command '['npm', 'run', 'lint']' returned non-zero exit status 2.",
        ),
        ("TypeError", "TapStack.__init__() got an unexpected keyword argument 'region'"),
        # A provider never published, and a module missing from an installed provider.
        ("ModuleNotFoundError", "No module named 'cdktf_cdktf_provider_awscc_extra'"),
        ("ModuleNotFoundError", "No module named 'cdktf_cdktf_provider_aws.s3_bucket_acl_v2'"),
    ],
)
def test_errors_of_the_answer_stay_syn001(error_type: str, message: str) -> None:
    assert kind(failed(error_type, message)) == ""


def test_sdk_misuse_is_its_own_syn001_cause() -> None:
    cause = classify(failed("botocore.exceptions.ParamValidationError", "Parameter validation failed"), set())
    assert cause.kind == "aws-sdk-misuse"


@pytest.mark.parametrize(
    "message",
    [
        "Command '['pip', 'install', '-r', 'lib/lambda/requirements.txt', '-t', '/tmp/x']' "
        "returned non-zero exit status 1.",
        "Command '['/opt/venv/bin/python', '-m', 'pip', 'install', 'requests', '-t', 'layer/python']' "
        "returned non-zero exit status 1.",
        "Command 'pip3 install -r requirements.txt -t build' returned non-zero exit status 1.",
    ],
)
def test_pip_at_synth_is_the_environment(message: str) -> None:
    assert kind(failed("subprocess.CalledProcessError", message)) == "pip"


def test_pip_missing_from_the_sandbox_or_refusing_is_the_environment() -> None:
    assert kind(failed("FileNotFoundError", "[Errno 2] No such file or directory: 'pip'")) == "pip"
    refused = failed(
        "RuntimeError",
        "layer build failed: pip: package downloads are not available in the sandbox (no network)",
    )
    assert kind(refused) == "pip"


def test_a_folder_pip_was_to_fill_is_the_pip_stop() -> None:
    synth = failed(
        "RuntimeError",
        "ENOENT: no such file or directory, stat 'layer/python'",
        output_tail="pip: package downloads are not available in the sandbox (no network)\n",
    )
    assert kind(synth) == "pip"


README = "\n".join(
    [
        "## Build",
        "",
        "Package the handler first:",
        "",
        "```bash",
        "cd lib/lambda && zip -r ../../lambda_function.zip .",
        "```",
        "",
    ]
)
READS_ZIP = 'TerraformAsset(self, "code", path="lambda_function.zip", type=AssetType.FILE)\n'


def missing_zip(**extra: object) -> SynthResult:
    return failed(
        "RuntimeError",
        "ENOENT: no such file or directory, stat 'lambda_function.zip'",
        frame=Frame(file=STACK, line=1),
        **extra,
    )


def test_missing_build_output_with_a_build_step_in_the_task_is_the_environment() -> None:
    cause = environment_cause(missing_zip(), {STACK: READS_ZIP, "README.md": README})
    assert cause is not None and cause.kind == "build-output"
    assert cause.path == "lambda_function.zip"
    assert cause.step.startswith("README.md:6:") and "zip -r" in cause.step


def test_the_repair_rounds_path_is_preferred() -> None:
    blocker = Blocker(
        kind="missing-file", message="", action="", file=STACK, line=1, target="lambda_function.zip"
    )
    synth = failed(
        "RuntimeError",
        "ENOENT: no such file or directory, stat '/abs/workspace/lambda_function.zip'",
        frame=Frame(file=STACK, line=1),
        blockers=[blocker],
    )
    assert kind(
        synth, {STACK: READS_ZIP, "Makefile": "package:\n\tzip -r lambda_function.zip lib/lambda\n"}
    ) == ("build-output")


def test_a_file_nothing_in_the_task_makes_is_the_answers_failure() -> None:
    # Only the app's own code names it, and a placeholder comment is no build step.
    code = READS_ZIP + "# Placeholder - will be created separately\n"
    assert kind(missing_zip(), {STACK: code, "lib/other.py": "ZIP = 'lambda_function.zip'  # package"}) == ""
    assert kind(missing_zip(), {STACK: READS_ZIP, "README.md": "Deploy with `cdktf deploy`.\n"}) == ""
    # A line that names the zip is no build step because of the `.zip` in it.
    assert build_step("lambda_function.zip", {"notes.md": "see lambda_function.zip\n"}, {}) is None


def test_the_answers_prose_counts_but_its_python_blocks_do_not() -> None:
    python_only = "```python\n# build the lambda_function.zip\nasset = TerraformAsset(...)\n```\n"
    assert build_step("lambda_function.zip", {}, {"MODEL_RESPONSE.md": python_only}) is None
    assert build_step("lambda_function.zip", {}, {"MODEL_RESPONSE.md": README}) is not None
    assert prose(python_only).count("\n") == python_only.count("\n") - 1  # line numbers kept


def test_env001_replaces_syn001_and_is_low() -> None:
    files = {STACK: "import boto3\n\nclass TapStack:\n    account = boto3.client('sts')\n"}
    synth = failed(
        "botocore.exceptions.NoCredentialsError",
        "Unable to locate credentials",
        frame=Frame(file=STACK, line=4),
    )
    run = run_rules(GradeContext(workspace_of(files), synth), only=["SYN001", "ENV001"])
    assert [f.rule_id for f in run.findings] == ["ENV001"]
    finding = run.findings[0]
    assert finding.severity is Severity.LOW and finding.error_kind.observed
    assert "AWS credentials" in finding.message and "saw no Terraform at all" in finding.message
    assert finding.message.endswith(
        "Observed error: `botocore.exceptions.NoCredentialsError: Unable to locate credentials`."
    )
    assert not any(line.startswith("Deployment Blocker") for line in finding.impact)


def test_an_answers_own_error_is_still_syn001() -> None:
    files = {STACK: "class TapStack:\n    x = undefined_name\n"}
    synth = failed("NameError", "name 'undefined_name' is not defined", frame=Frame(file=STACK, line=2))
    run = run_rules(GradeContext(workspace_of(files), synth), only=["SYN001", "ENV001"])
    assert [(f.rule_id, f.severity) for f in run.findings] == [("SYN001", Severity.CRITICAL)]


def _env_finding(message: str) -> Finding:
    return Finding(
        rule_id="ENV001",
        title="AWS API called at synthesis",
        severity=Severity.LOW,
        category=Category.PRODUCTION_READINESS,
        message=message,
        anchor="environment",
    )


def test_environment_gaps_of_both_sides_are_shared_and_the_references_is_not_suspect() -> None:
    model = _env_finding("The answer needs AWS credentials at synth time.")
    ideal = _env_finding("The answer needs a `pip install` (network access) at synth time.")
    both = compare(Side(None, [model], usable=True), Side(None, [ideal], usable=True))
    assert both.failures == [] and len(both.shared) == 1
    # Only the reference needs its environment: nothing to check in the reference, no failure.
    alone = compare(Side(None, [], usable=True), Side(None, [ideal], usable=True))
    assert alone.failures == [] and alone.ideal_only == []


def test_the_synthesis_line_says_the_stop_is_the_sandboxs() -> None:
    synth = failed(
        "subprocess.CalledProcessError", "Command '['pip', 'install', 'x']' returned non-zero exit status 1."
    )
    side = SideResult(side="ideal", synth=synth, findings=[_env_finding("needs a pip install")])
    text = synthesis_text(side)
    assert text.startswith("**error**")
    assert text.endswith("not by the code (ENV001: AWS API called at synthesis)")
    assert "sandbox" not in synthesis_text(SideResult(side="ideal", synth=synth))
