from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
)


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        DynamodbTable(  # expect: REQ007
            self,
            "sessions",
            name="sessions-dev",
            billing_mode="PAY_PER_REQUEST",
            hash_key="id",
            attribute=[DynamodbTableAttribute(name="id", type="S")],
        )
