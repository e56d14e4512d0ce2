"""The CloudFormation platform: extraction, layout, and its in-process synth with real cfn-lint."""

from __future__ import annotations

from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.base import SynthSettings
from iacgrade.harness.platforms.cfn.platform import CloudFormation
from iacgrade.harness.platforms.registry import platform_for

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  EnvironmentSuffix:
    Type: String
    Default: dev
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub 'orders-${EnvironmentSuffix}'
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          def handler(event, context):
              return event
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
"""


def _workspace(files: dict[str, str]) -> Workspace:
    platform = CloudFormation()
    origins = {p: "answer:test" for p in files}
    return Workspace.from_layout("t", "model", platform.layout(files, {}, origins), platform=platform.name)


def _synth(ws: Workspace) -> SynthResult:
    settings = SynthSettings(env={"AWS_REGION": "us-east-1"}, timeout=60)
    return CloudFormation().plan_synth(ws, settings, None).in_process()


def test_registered_for_cfn_yaml_and_json() -> None:
    assert platform_for({"platform": "cfn", "language": "yaml"}).name == "cfn"  # type: ignore[union-attr]
    assert platform_for({"platform": "cloudformation", "language": "json"}).name == "cfn"  # type: ignore[union-attr]
    assert platform_for({"platform": "cdk", "language": "ts"}) is None


def test_fenced_template_keeps_short_form_tags_and_its_heading_name() -> None:
    md = f"Intro\n\n## lib/orders.yml\n\n```yaml\n{TEMPLATE}```\n\n```yaml\nParameters:\n  A: b\n```\n"
    extraction = CloudFormation().extract(md)
    files = extraction.by_path()
    assert list(files) == ["lib/orders.yml"]
    assert "!Sub 'orders-${EnvironmentSuffix}'" in files["lib/orders.yml"].content
    assert [s.reason for s in extraction.skipped] == ["no top-level Resources section: not a template"]


def test_bare_template_in_prose_ends_where_the_prose_resumes() -> None:
    md = f"## Model Response\n{TEMPLATE}\nThis template creates a function.\n"
    files = CloudFormation().extract(md).by_path()
    assert files["lib/TapStack.yml"].content == TEMPLATE


def test_json_fragment_is_not_a_template_but_a_whole_json_one_is() -> None:
    fragment = '```json\n"Resources": {\n  "Q": {"Type": "AWS::SQS::Queue"}\n}\n```\n'
    whole = '```json\n{\n  "Resources": {\n    "Q": {"Type": "AWS::SQS::Queue"}\n  }\n}\n```\n'
    assert not CloudFormation().extract(fragment).files
    assert list(CloudFormation().extract(whole).by_path()) == ["lib/TapStack.json"]


def test_layout_prefers_the_yaml_template_over_its_json_twin() -> None:
    ws = _workspace({"lib/TapStack.json": '{"Resources": {}}', "lib/TapStack.yml": TEMPLATE, "test/a.ts": ""})
    assert ws.entry == "lib/TapStack.yml" and ws.stack_class == "TapStack"


def test_synth_maps_the_template_and_lints_it_clean() -> None:
    result = _synth(_workspace({"lib/TapStack.yml": TEMPLATE}))
    assert result.status is SynthStatus.OK, result.message
    assert [d.code for d in result.diagnostics] == []
    fn = result.stacks["TapStack"]["resource"]["aws_lambda_function"]["Fn"]
    assert fn["runtime"] == "python3.12"
    assert fn["function_name"] == "orders-${var.EnvironmentSuffix}"
    assert fn["//"]["source"]["attrs"]["runtime"] == 11
    assert result.stacks["TapStack"]["variable"]["EnvironmentSuffix"] == {"default": "dev"}


def test_synth_carries_cfn_lint_findings_with_their_resource() -> None:
    broken = TEMPLATE.replace("Runtime: python3.12", "Runtime: python3.12\n      MemorySize: lots")
    result = _synth(_workspace({"lib/TapStack.yml": broken}))
    assert [(d.code, d.line, d.address) for d in result.diagnostics] == [("E3012", 12, "Fn")]


def test_a_template_that_does_not_parse_is_the_synth_failure_at_its_line() -> None:
    text = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: a\n"
    text += "     DelaySeconds: 5\n"
    result = _synth(_workspace({"lib/TapStack.yml": text}))
    assert result.status is SynthStatus.ERROR
    assert result.frame is not None and (result.frame.file, result.frame.line) == ("lib/TapStack.yml", 6)


def test_foreign_code_without_a_template_is_the_wrong_platform() -> None:
    policy = {"markers": {"aws-cdk-lib": "AWS CDK"}}
    files = {"other/block-3.ts": "import * as cdk from 'aws-cdk-lib';\n"}
    assert CloudFormation().foreign_code(files, policy) == (
        "Wrong platform",
        "the model wrote AWS CDK code, not a CloudFormation template",
    )
    assert CloudFormation().foreign_code({**files, "lib/TapStack.yml": TEMPLATE}, policy) is None
