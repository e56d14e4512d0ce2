"""A PRIMARY alias record to a load balancer that evaluates the target's health: no health check needed."""

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
)
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        zone = Route53Zone(self, "zone", name="payments-dev.internal")
        alb = Lb(self, "alb", name="api-dev", load_balancer_type="application", subnets=["subnet-1", "subnet-2"])
        Route53Record(
            self,
            "api_primary",
            zone_id=zone.zone_id,
            name="api.payments-dev.internal",
            type="A",
            set_identifier="primary",
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type="PRIMARY"),
            alias=Route53RecordAlias(name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True),
        )
        TerraformOutput(self, "zone_id", value=zone.zone_id)
