import json
import os
import zipfile

from cdktf import Fn, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.provider import AwsProvider
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
        role = IamRole(self, "fn_role", name="fn-role-dev", assume_role_policy=json.dumps(trust))
        os.makedirs("build", exist_ok=True)
        with zipfile.ZipFile("build/moduled.zip", "w") as zipf:
            zipf.write("lib/lambda/processor.py", "index.py")
        # The zip is there, and `filename` finds it; but inside a function call cdktf escapes the
        # literal `${` to `$${`, so Terraform hashes a file named `${path.module}/...`.
        LambdaFunction(
            self,
            "moduled",
            function_name="moduled-dev",
            role=role.arn,
            runtime="python3.12",
            handler="index.lambda_handler",
            filename="${path.module}/../../../build/moduled.zip",
            source_code_hash=Fn.filebase64sha256("${path.module}/../../../build/moduled.zip"),  # expect: AWS007 (High)
        )
