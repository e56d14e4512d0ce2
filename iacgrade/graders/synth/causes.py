"""Why a synth failed, in words a reviewer uses: the cause classes of SYN001."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from iacgrade.harness.core.findings import Category
from iacgrade.harness.core.synth import SynthResult, SynthStatus


@dataclass(frozen=True)
class Cause:
    kind: str
    title: str
    category: Category
    explanation: str


# Python names the callable by its qualified name: `TapStack.__init__`, `TapStack._create_vpc`.
_CALLABLE = re.compile(
    r"(?P<name>[A-Za-z_][\w.]*?)\(\) "
    r"(?P<what>got an unexpected keyword|missing \d+ required|takes \d+ positional|got multiple values)"
)
_IMPORT_NAME = re.compile(r"cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'")
_AWS_PROVIDER = "cdktf_cdktf_provider_aws"
_NO_MODULE = re.compile(r"No module named '(?P<module>[\w.]+)'")

CAUSES = {
    c.kind: c
    for c in (
        Cause(
            "provider-missing-name",
            "Import of a name the AWS provider does not have",
            Category.CDKTF_SYNTAX,
            "The answer imports a class or struct that the pinned AWS provider does not define "
            "(often a name from another provider version, e.g. without the `A` suffix).",
        ),
        Cause(
            "provider-missing-module",
            "Import of a provider module that does not exist",
            Category.CDKTF_SYNTAX,
            "The answer imports a submodule of the AWS provider that the pinned version does not ship.",
        ),
        Cause(
            "missing-module",
            "Import of a module that does not exist",
            Category.API_CONSISTENCY,
            "The answer imports a module that is neither in the answer nor in the toolchain.",
        ),
        Cause(
            "missing-name",
            "Import of a name its module does not define",
            Category.API_CONSISTENCY,
            "The answer imports a name that its module (one of the answer's files, or a library of the "
            "toolchain such as cdktf) does not define.",
        ),
        Cause(
            "unknown-keyword",
            "Unknown keyword argument to a provider class",
            Category.CDKTF_SYNTAX,
            "The answer passes a keyword the provider class does not take.",
        ),
        Cause(
            "missing-required-argument",
            "Required argument of a provider class left out",
            Category.CDKTF_SYNTAX,
            "The answer leaves out an argument the provider class requires.",
        ),
        Cause(
            "signature-mismatch",
            "Constructor called with arguments it does not accept",
            Category.API_CONSISTENCY,
            "A class or function defined in the answer is called with arguments its definition does not "
            "accept: the files of the answer do not agree with each other.",
        ),
        Cause(
            "jsii-type-error",
            "Value of the wrong type for a provider parameter",
            Category.CDKTF_SYNTAX,
            "The answer passes a value whose type the provider's type checks reject.",
        ),
        Cause(
            "jsii-runtime-error",
            "The CDKTF runtime rejects the app",
            Category.CDKTF_SYNTAX,
            "The jsii kernel raised while building or synthesizing the construct tree.",
        ),
        Cause(
            "syntax-error",
            "Python syntax error",
            Category.PYTHON_PRACTICE,
            "A file of the answer is not valid Python.",
        ),
        Cause(
            "name-attribute-error",
            "Name or attribute that does not exist",
            Category.API_CONSISTENCY,
            "The answer uses a name or an attribute that is never defined.",
        ),
        Cause(
            "aws-sdk-misuse",
            "AWS SDK call the SDK itself refuses",
            Category.API_CONSISTENCY,
            "The answer calls AWS while synthesizing and the SDK refuses the call before sending it "
            "(an unknown or missing parameter, a value of the wrong type). A call that fails only for "
            "want of credentials or network is ENV001's.",
        ),
        Cause(
            "no-stacks",
            "The app synthesizes no stack",
            Category.CDKTF_SYNTAX,
            "The entry point ran but no stack was synthesized (`app.synth()` never called, or no "
            "TerraformStack created).",
        ),
        Cause(
            "no-entry",
            "No entry point and no stack class",
            Category.CDKTF_SYNTAX,
            "The answer has neither an entry point that builds an App nor a TerraformStack subclass.",
        ),
        Cause(
            "timeout",
            "Synthesis does not finish",
            Category.PYTHON_PRACTICE,
            "The app ran past its time limit.",
        ),
        Cause(
            "crashed",
            "Synthesis kills its own process",
            Category.PYTHON_PRACTICE,
            "The app ended the process that synthesized it (os._exit, memory exhaustion or a signal).",
        ),
        Cause(
            "unsafe-path",
            "The answer writes outside its project",
            Category.PRODUCTION_READINESS,
            "A file of the answer names a path outside the project.",
        ),
        Cause(
            "runtime-error",
            "The app raises during synthesis",
            Category.PYTHON_PRACTICE,
            "The answer's code raised an exception while the app was built.",
        ),
    )
}


def classify(synth: SynthResult, answer_names: Collection[str]) -> Cause:
    """The cause of a failed synth; `answer_names` are classes and functions the answer defines."""
    if synth.status is SynthStatus.TIMEOUT:
        return CAUSES["timeout"]
    if synth.status is SynthStatus.CRASHED:
        return CAUSES["crashed"]
    etype, msg = synth.error_type, synth.message
    short = etype.rsplit(".", 1)[-1]
    if etype.startswith(("botocore", "boto3")):
        # Credential, profile and connection errors never reach here
        # (iacgrade/graders/synth/environment_causes.py).
        return CAUSES["aws-sdk-misuse"]
    if short in ("SyntaxError", "IndentationError", "TabError"):
        return CAUSES["syntax-error"]
    if short == "UnsafePath":
        return CAUSES["unsafe-path"]
    if short in ("NoStacks", "NoEntry"):
        return CAUSES["no-stacks" if short == "NoStacks" else "no-entry"]
    if short == "ModuleNotFoundError":
        m = _NO_MODULE.search(msg)
        # A submodule of the AWS provider, not another package whose name starts the same
        # (`cdktf_cdktf_provider_awscc`, never prebuilt for CDKTF).
        if m and m.group("module").startswith(f"{_AWS_PROVIDER}."):
            return CAUSES["provider-missing-module"]
        return CAUSES["missing-module"]
    if short == "ImportError":
        m = _IMPORT_NAME.search(msg)
        if m and m.group("module").startswith("cdktf_cdktf_provider_"):
            return CAUSES["provider-missing-name"]
        # The module was found (Python read it to look for the name); only the name is missing.
        return CAUSES["missing-name" if m else "missing-module"]
    if short == "TypeError":
        return _type_error(msg, answer_names)
    if short in ("NameError", "AttributeError", "UnboundLocalError"):
        return CAUSES["name-attribute-error"]
    if short in ("JSIIError", "RuntimeError") or "jsii" in etype.lower():
        return CAUSES["jsii-runtime-error"]
    return CAUSES["runtime-error"]


def _type_error(msg: str, answer_names: Collection[str]) -> Cause:
    if msg.startswith("type of argument") or "must be one of" in msg or ("must be " in msg and "got " in msg):
        return CAUSES["jsii-type-error"]
    m = _CALLABLE.search(msg)
    if m:
        owner = m.group("name").split(".")[0]
        if owner in answer_names:
            return CAUSES["signature-mismatch"]
        if "required" in m.group("what"):
            return CAUSES["missing-required-argument"]
        return CAUSES["unknown-keyword"]
    return CAUSES["runtime-error"]


def called_name(message: str) -> str | None:
    """The callable a TypeError's message names, qualified as Python names it: `TapStack.__init__`
    in `TapStack.__init__() ...`, `TapStack._create_vpc` for a method, `create_bucket` for a function."""
    m = _CALLABLE.search(message)
    return m.group("name") if m else None
