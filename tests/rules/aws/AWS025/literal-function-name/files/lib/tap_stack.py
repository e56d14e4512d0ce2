"""A function told another function's name as a literal, to invoke it, with no lambda: action."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction, LambdaFunctionEnvironment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        role = IamRole(self, "fn_role", name="pipeline-fn-dev", assume_role_policy=json.dumps(trust))
        IamRolePolicyAttachment(
            self,
            "basic",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        scorer = LambdaFunction(
            self,
            "scorer",
            function_name="fraud-scorer-dev",
            role=role.arn,
            runtime="python3.12",
            handler="index.handler",
            filename="lambda.zip",
        )
        LambdaFunction(
            self,
            "processor",
            function_name="processor-dev",
            role=role.arn,
            runtime="python3.12",
            handler="index.handler",
            filename="lambda.zip",
            environment=LambdaFunctionEnvironment(variables={"SCORER_FUNCTION": "fraud-scorer-dev"}),  # expect: AWS025
        )
        TerraformOutput(self, "scorer_name", value=scorer.function_name)
