"""The key policy built with a policy document whose only service principal is another region's."""

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        document = DataAwsIamPolicyDocument(
            self,
            "key_policy",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    effect="Allow",
                    actions=["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    resources=["*"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["logs.us-west-2.amazonaws.com"]
                        )
                    ],
                )
            ],
        )
        key = KmsKey(
            self,
            "logs_key",
            description="logs",
            enable_key_rotation=True,
            policy=document.json,  # expect: AWS027
        )
        CloudwatchLogGroup(self, "app_logs", name="/app/dev", retention_in_days=7, kms_key_id=key.arn)
        TerraformOutput(self, "key_arn", value=key.arn)
