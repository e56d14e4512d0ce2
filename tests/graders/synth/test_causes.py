"""iacgrade/graders/synth/causes.py on its own: each SYN001 cause from the error a synth reports.

The messages are real: replies of the synth worker on corpus answers, the errors reviewers quote
in the corpus's MODEL_FAILURES.md, and what the pinned toolchain raises (cdktf 0.21, provider-aws
21.22, Python 3.11) for the calls quoted beside them.
"""

from __future__ import annotations

import pytest

from iacgrade.graders.synth.causes import CAUSES, called_name, classify
from iacgrade.harness.core.findings import Category
from iacgrade.harness.core.synth import SynthResult, SynthStatus

ANSWER = {"TapStack", "NetworkStack", "create_bucket"}  # classes and functions the answer defines


def failed(error_type: str, message: str, status: SynthStatus = SynthStatus.ERROR) -> SynthResult:
    return SynthResult(status=status, error_type=error_type, message=message)


CASES = [
    # The worker ran out of time or lost its process: the error it reports does not matter.
    (failed("Timeout", "the app ran past 120 s", SynthStatus.TIMEOUT), "timeout"),
    (failed("", "the worker died", SynthStatus.CRASHED), "crashed"),
    (
        failed(
            "TypeError", "TapStack.__init__() got an unexpected keyword argument 'x'", SynthStatus.TIMEOUT
        ),
        "timeout",
    ),
    # The SDK refuses a call before sending it (credential and network stops are ENV001's).
    (
        failed(
            "botocore.exceptions.ParamValidationError",
            'Parameter validation failed:\nUnknown parameter in input: "Foo", must be one of: Bucket',
        ),
        "aws-sdk-misuse",
    ),
    (
        failed("boto3.exceptions.ResourceNotExistsError", "The 's3' resource does not exist."),
        "aws-sdk-misuse",
    ),
    (failed("SyntaxError", "invalid syntax (tap_stack.py, line 12)"), "syntax-error"),
    (failed("IndentationError", "unexpected indent (tap_stack.py, line 40)"), "syntax-error"),
    (failed("TabError", "inconsistent use of tabs and spaces in indentation"), "syntax-error"),
    (failed("UnsafePath", "refused path '../outside.py': contains '..'"), "unsafe-path"),
    (failed("NoStacks", "the workspace defines no TerraformStack subclass"), "no-stacks"),
    (failed("NoEntry", "the answer has no entry point and no TerraformStack subclass to build"), "no-entry"),
    # Imports.
    (
        failed("ModuleNotFoundError", "No module named 'cdktf_cdktf_provider_aws.s3_bucket_acl_v2'"),
        "provider-missing-module",
    ),
    # A provider never prebuilt for CDKTF is not a module of the AWS provider, whatever its name.
    (failed("ModuleNotFoundError", "No module named 'cdktf_cdktf_provider_awscc'"), "missing-module"),
    (failed("ModuleNotFoundError", "No module named 'cdktf_cdktf_provider_aws_v2.vpc'"), "missing-module"),
    (failed("ModuleNotFoundError", "No module named 'lib.networking'"), "missing-module"),
    (failed("ModuleNotFoundError", "No module named 'aws_cdk'"), "missing-module"),
    (
        failed(
            "ImportError",
            "cannot import name 'S3BucketVersioning' from 'cdktf_cdktf_provider_aws.s3_bucket_versioning' "
            "(cdktf_cdktf_provider_aws/s3_bucket_versioning/__init__.py)",
        ),
        "provider-missing-name",
    ),
    (
        failed(
            "ImportError",
            "cannot import name 'EcsTaskDefinitionContainerDefinitions' from 'cdktf_cdktf_provider_aws.ecs'",
        ),
        "provider-missing-name",
    ),
    (
        failed("ImportError", "cannot import name 'Passwords' from 'cdktf_cdktf_provider_random.password'"),
        "provider-missing-name",
    ),
    # A name its module does not define: the module is there, in the toolchain or in the answer.
    (
        failed(
            "ImportError",
            "cannot import name 'TerraformStackX' from 'cdktf' "
            "(/opt/venv/lib/python3.11/site-packages/cdktf/__init__.py)",
        ),
        "missing-name",
    ),
    (
        failed("ImportError", "cannot import name 'NetworkStack' from 'lib.network' (lib/network.py)"),
        "missing-name",
    ),
    (failed("ImportError", "attempted relative import with no known parent package"), "missing-module"),
    # TypeErrors: the provider bindings' type checks...
    (
        failed(
            "TypeError",
            "type of argument provider must be one of (cdktf.TerraformProvider, NoneType); got str instead",
        ),
        "jsii-type-error",
    ),
    (
        failed(
            "TypeError",
            "type of argument weighted_routing_policy must be one of ("
            "cdktf_cdktf_provider_aws.route53_record.Route53RecordWeightedRoutingPolicy, "
            "Dict[str, Any], NoneType); got list instead",
        ),
        "jsii-type-error",
    ),
    (
        failed(
            "TypeError", "type of argument route must be one of (Sequence[str], NoneType); got list instead"
        ),
        "jsii-type-error",
    ),
    # ... a call of the answer's own class or function ...
    (
        failed("TypeError", "TapStack.__init__() got an unexpected keyword argument 'environment_suffix'"),
        "signature-mismatch",
    ),
    (
        failed("TypeError", "TapStack.__init__() missing 1 required positional argument: 'region'"),
        "signature-mismatch",
    ),
    (
        failed("TypeError", "NetworkStack.__init__() takes 3 positional arguments but 4 were given"),
        "signature-mismatch",
    ),
    (failed("TypeError", "create_bucket() got multiple values for argument 'name'"), "signature-mismatch"),
    (
        failed("TypeError", "TapStack._create_vpc() got an unexpected keyword argument 'cidr'"),
        "signature-mismatch",
    ),
    # ... a provider class called wrongly ...
    (
        failed("TypeError", "KmsAlias.__init__() got an unexpected keyword argument 'alias'"),
        "unknown-keyword",
    ),
    (failed("TypeError", "Vpc.__init__() takes 3 positional arguments but 4 were given"), "unknown-keyword"),
    (failed("TypeError", "Vpc.__init__() got multiple values for argument 'id_'"), "unknown-keyword"),
    (
        failed(
            "TypeError", "S3BucketVersioningA.__init__() missing 1 required keyword-only argument: 'bucket'"
        ),
        "missing-required-argument",
    ),
    # ... or anything else the answer's code does wrong.
    (failed("TypeError", 'can only concatenate str (not "int") to str'), "runtime-error"),
    (failed("TypeError", "'NoneType' object is not subscriptable"), "runtime-error"),
    (failed("NameError", "name 'BackupPlanRuleCopyActionLifecycle' is not defined"), "name-attribute-error"),
    (failed("AttributeError", "'EksCluster' object has no attribute 'identity_fqn'"), "name-attribute-error"),
    (
        failed(
            "UnboundLocalError",
            "cannot access local variable 'subnet' where it is not associated with a value",
        ),
        "name-attribute-error",
    ),
    # The jsii kernel refuses the app.
    (
        failed(
            "RuntimeError",
            "Passed to parameter config of new @cdktf/provider-aws.provider.AwsProvider: "
            "Unable to deserialize value as @cdktf/provider-aws.provider.AwsProviderConfig | undefined",
        ),
        "jsii-runtime-error",
    ),
    (failed("jsii.errors.JSIIError", "Cannot find module 'constructs'"), "jsii-runtime-error"),
    (
        failed("jsii.errors.JavaScriptError", "@jsii/kernel.RuntimeError: Error: Validation failed"),
        "jsii-runtime-error",
    ),
    (failed("ValueError", "invalid literal for int() with base 10: 'abc'"), "runtime-error"),
    (failed("KeyError", "'VPC_ID'"), "runtime-error"),
    (failed("json.decoder.JSONDecodeError", "Expecting value: line 1 column 1 (char 0)"), "runtime-error"),
]


@pytest.mark.parametrize(("synth", "kind"), CASES, ids=[f"{s.error_type or s.status}-{k}" for s, k in CASES])
def test_cause_of_a_failed_synth(synth: SynthResult, kind: str) -> None:
    assert classify(synth, ANSWER).kind == kind


def test_every_cause_is_reached() -> None:
    assert {kind for _, kind in CASES} == set(CAUSES)


def test_a_call_is_the_answers_own_only_when_the_answer_defines_the_callee() -> None:
    message = "TapStack.__init__() got an unexpected keyword argument 'environment_suffix'"
    assert classify(failed("TypeError", message), {"TapStack"}).kind == "signature-mismatch"
    # The same message about a class the answer does not define is the provider's signature.
    assert classify(failed("TypeError", message), set()).kind == "unknown-keyword"
    missing = "TapStack.__init__() missing 1 required positional argument: 'region'"
    assert classify(failed("TypeError", missing), set()).kind == "missing-required-argument"


def test_causes_carry_their_own_kind_and_say_something() -> None:
    for kind, cause in CAUSES.items():
        assert cause.kind == kind
        assert cause.title and cause.explanation.endswith(".")
        assert isinstance(cause.category, Category)


@pytest.mark.parametrize(
    ("message", "name"),
    [
        ("TapStack.__init__() got an unexpected keyword argument 'environment_suffix'", "TapStack.__init__"),
        ("TapStack.__init__() missing 1 required positional argument: 'region'", "TapStack.__init__"),
        ("create_bucket() got multiple values for argument 'name'", "create_bucket"),
        ("NetworkStack.__init__() takes 3 positional arguments but 4 were given", "NetworkStack.__init__"),
        # Python names a method by its class, and a nested class by the class around it.
        ("TapStack._create_vpc() got an unexpected keyword argument 'cidr'", "TapStack._create_vpc"),
        (
            "TapStack.Network.__init__() takes 1 positional argument but 2 were given",
            "TapStack.Network.__init__",
        ),
        (
            "type of argument provider must be one of (cdktf.TerraformProvider, NoneType); got str instead",
            None,
        ),
        ("'NoneType' object is not subscriptable", None),
    ],
)
def test_called_name(message: str, name: str | None) -> None:
    assert called_name(message) == name
