"""The same alarms, their dimensions taken from the resources' names."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
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
        role = IamRole(self, "fn_role", name="processor-dev", assume_role_policy=json.dumps(trust))
        fn = LambdaFunction(
            self,
            "processor",
            function_name="payment-processor-dev",
            role=role.arn,
            runtime="python3.12",
            handler="index.handler",
            filename="lambda.zip",
        )
        queue = SqsQueue(self, "orders", name="orders-dev")
        CloudwatchMetricAlarm(
            self,
            "processor_errors",
            alarm_name="processor-errors-dev",
            namespace="AWS/Lambda",
            metric_name="Errors",
            statistic="Sum",
            period=60,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            dimensions={"FunctionName": fn.function_name},
        )
        CloudwatchMetricAlarm(
            self,
            "queue_backlog",
            alarm_name="orders-backlog-dev",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=100,
            comparison_operator="GreaterThanThreshold",
            dimensions={"QueueName": queue.name},
        )
        TerraformOutput(self, "function_name", value=fn.function_name)
