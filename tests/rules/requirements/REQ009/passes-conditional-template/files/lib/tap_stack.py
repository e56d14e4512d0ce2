from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        vpc = Vpc(self, "vpc", cidr_block="10.0.0.0/16")
        public = Subnet(
            self, "public", vpc_id=vpc.id, cidr_block="10.0.0.0/24", availability_zone="us-east-1a"
        )
        for i, zone in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"]):
            Subnet(
                self, f"private_{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i + 1}.0/24", availability_zone=zone
            )
        eip = Eip(self, "nat_eip", domain="vpc")
        NatGateway(self, "nat", allocation_id=eip.id, subnet_id=public.id)
        NatGateway(self, "nat_b", allocation_id=eip.id, subnet_id=public.id)
