"""A failover pair whose PRIMARY record has no health check: Route 53 never fails over."""

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordFailoverRoutingPolicy
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        zone = Route53Zone(self, "zone", name="payments-dev.internal")
        Route53Record(
            self,
            "api_primary",
            zone_id=zone.zone_id,
            name="api.payments-dev.internal",
            type="CNAME",
            ttl=60,
            records=["api-primary.payments-dev.internal"],
            set_identifier="primary",
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type="PRIMARY"),  # expect: AWS024
        )
        Route53Record(
            self,
            "api_secondary",
            zone_id=zone.zone_id,
            name="api.payments-dev.internal",
            type="CNAME",
            ttl=60,
            records=["api-secondary.payments-dev.internal"],
            set_identifier="secondary",
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type="SECONDARY"),
        )
        TerraformOutput(self, "zone_id", value=zone.zone_id)
