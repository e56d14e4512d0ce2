"""The same function, its role allowed the table's and the topic's actions on their ARNs."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction, LambdaFunctionEnvironment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        table = DynamodbTable(
            self,
            "orders",
            name="orders-dev",
            billing_mode="PAY_PER_REQUEST",
            hash_key="id",
            attribute=[DynamodbTableAttribute(name="id", type="S")],
        )
        topic = SnsTopic(self, "alerts", name="order-alerts-dev")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        role = IamRole(self, "fn_role", name="orders-fn-dev", assume_role_policy=json.dumps(trust))
        IamRolePolicyAttachment(
            self,
            "basic",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        access = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": table.arn},
                {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic.arn},
            ],
        }
        IamRolePolicy(self, "access", role=role.id, policy=json.dumps(access))
        LambdaFunction(
            self,
            "orders_fn",
            function_name="orders-dev",
            role=role.arn,
            runtime="python3.12",
            handler="index.handler",
            filename="lambda.zip",
            environment=LambdaFunctionEnvironment(
                variables={"TABLE_NAME": table.name, "ALERT_TOPIC_ARN": topic.arn}
            ),
        )
        TerraformOutput(self, "table", value=table.name)
