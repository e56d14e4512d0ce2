"""Log groups encrypted with keys CloudWatch Logs may not use: no key policy, a root-only one."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        account = DataAwsCallerIdentity(self, "current")
        app_key = KmsKey(self, "app_key", description="app logs", enable_key_rotation=True)  # expect: AWS027
        CloudwatchLogGroup(self, "app_logs", name="/app/dev", retention_in_days=7, kms_key_id=app_key.arn)
        root_only = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
        audit_key = KmsKey(
            self,
            "audit_key",
            description="audit logs",
            enable_key_rotation=True,
            policy=json.dumps(root_only),  # expect: AWS027
        )
        CloudwatchLogGroup(self, "audit_logs", name="/audit/dev", retention_in_days=7, kms_key_id=audit_key.arn)
        TerraformOutput(self, "audit_key_arn", value=audit_key.arn)
