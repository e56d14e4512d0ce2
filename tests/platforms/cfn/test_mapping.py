"""Templates as the Terraform model: intrinsic functions become what Terraform would hold."""

from __future__ import annotations

from typing import Any

from iacgrade.harness.platforms.cfn import lint
from iacgrade.harness.platforms.cfn.mapping import OPAQUE, to_terraform

TEMPLATE = """Parameters:
  Suffix:
    Type: String
    Default: dev
  UseVpc:
    Type: String
    Default: 'false'
Conditions:
  WithVpc: !Equals [!Ref UseVpc, 'true']
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 10.0.0.0/8
      Tags:
        - Key: Name
          Value: !Sub 'app-${Suffix}-${AWS::Region}'
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Join ['-', [app, !Ref Suffix]]
      Role: !GetAtt Sg.GroupId
      Runtime: python3.12
      Handler: index.handler
      KmsKeyArn: !Ref AWS::NoValue
      VpcConfig: !If [WithVpc, {SecurityGroupIds: [!Ref Sg]}, !Ref AWS::NoValue]
      Environment:
        Variables:
          TABLE_NAME: !Ref Queue
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Queue:
    Type: AWS::SQS::Queue
"""


def _doc() -> dict[str, Any]:
    template, errors = lint.decode(TEMPLATE)
    assert not errors
    return to_terraform(template, "lib/TapStack.yml", "eu-west-1")


def test_only_mapped_types_enter_the_model_with_their_template_lines() -> None:
    doc = _doc()
    assert sorted(doc["resource"]) == ["aws_lambda_function", "aws_security_group", "aws_sqs_queue"]
    sg = doc["resource"]["aws_security_group"]["Sg"]
    assert sg["//"]["source"]["file"] == "lib/TapStack.yml"
    assert sg["//"]["source"]["line"] == 11
    assert sg["//"]["source"]["attrs"]["ingress"] == 15


def test_keys_of_a_verbatim_property_stay_as_written() -> None:
    fn = _doc()["resource"]["aws_lambda_function"]["Fn"]
    assert fn["environment"] == {"variables": {"TABLE_NAME": "${aws_sqs_queue.Queue.id}"}}


def test_properties_take_terraform_names_and_shapes() -> None:
    sg = _doc()["resource"]["aws_security_group"]["Sg"]
    assert sg["description"] == "app"
    rule = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}
    assert sg["ingress"] == [rule]
    assert sg["tags"] == {"Name": "app-${var.Suffix}-eu-west-1"}


def test_intrinsic_functions_become_references_variables_or_opaque_tokens() -> None:
    doc = _doc()
    fn = doc["resource"]["aws_lambda_function"]["Fn"]
    assert fn["role"] == "${aws_security_group.Sg.group_id}"
    assert fn["function_name"] == OPAQUE
    assert fn["vpc_config"] == OPAQUE
    assert "kms_key_arn" not in fn  # Ref AWS::NoValue removes the property
    assert doc["variable"]["Suffix"] == {"default": "dev"}


POLICIES = """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns:
        - !Sub 'arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess'
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: '*'
"""


def test_policy_documents_keep_iam_keys_and_arns_name_the_regions_partition() -> None:
    template, errors = lint.decode(POLICIES)
    assert not errors
    role = to_terraform(template, "lib/TapStack.yml", "cn-north-1")["resource"]["aws_iam_role"]["Role"]
    assert role["managed_policy_arns"] == ["arn:aws-cn:iam::aws:policy/ReadOnlyAccess"]
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert role["inline_policy"] == [{"name": "read", "policy": {"Statement": [statement]}}]
