from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        suffix = kwargs.get("environment_suffix", "dev")
        AwsProvider(self, "aws", region=kwargs.get("aws_region", "us-east-1"))
        self.queue = SqsQueue(self, "orders", name=f"orders-{suffix}")
        TerraformOutput(self, "queue_url", value=self.queue.url)
        TerraformOutput(self, "queue_name", value=self.queue.name)
