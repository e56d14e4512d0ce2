from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDestination,
)


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        secondary = AwsProvider(self, "aws_secondary", region="us-west-2", alias="secondary")
        logs = S3Bucket(self, "transaction_logs", bucket="transaction-logs-dev")
        replica = S3Bucket(
            self, "transaction_logs_replica", bucket="transaction-logs-replica-dev", provider=secondary
        )
        role = IamRole(self, "replication_role", name="replication-dev", assume_role_policy="{}")
        S3BucketReplicationConfigurationA(
            self,
            "logs_replication",
            bucket=logs.id,
            role=role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id="all",
                    status="Enabled",
                    destination=S3BucketReplicationConfigurationRuleDestination(bucket=replica.arn),
                )
            ],
        )
