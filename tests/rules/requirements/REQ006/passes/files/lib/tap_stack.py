from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        vpc = Vpc(self, "vpc", cidr_block="10.0.0.0/16")
        subnet = Subnet(self, "private", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
        TerraformOutput(self, "vpc_id", value=vpc.id)
        TerraformOutput(self, "subnet_ids", value=[subnet.id])
