"""Which deployment package a Lambda function or layer names, and what it held after synth.

The synth worker lists every package the Terraform JSON names
(iacgrade/harness/platforms/cdktf_python/worker/worker_lib/packages.py), keyed by its path relative to the
workspace as
Terraform opens it from
`cdktf.out/stacks/<stack>/`. The rules compute the same key from the JSON and read the listing,
never source file names: answers build and rename archives while they synthesize.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from iacgrade.graders.context import GradeContext
from iacgrade.graders.terraform_model import Resource, Stack
from iacgrade.harness.core.synth import Package
from iacgrade.harness.platforms.names import TF_HCL

# `${path.module}` and friends are the folder Terraform runs in for a root module.
PATH_PREFIX = re.compile(r"^\$\{path\.(?:module|root|cwd)\}/")
# The folder name the synth worker gives the project it synthesizes
# (iacgrade/harness/platforms/cdktf_python/worker/worker.py).
SYNTH_PROJECT_DIR = "/workspace/"


def stack_dir(stack: Stack) -> str:
    # Terraform runs in the stack's own output folder, so relative paths start there.
    return f"cdktf.out/stacks/{stack.name}"


def package_key(stack: Stack, path: str, module_dir: str | None = None) -> str:
    """`path` as the workspace-relative file Terraform opens (the worker's listing key), from
    `module_dir` when Terraform runs in the answer's own folder (an HCL root module) rather
    than in the stack's output folder."""
    path = PATH_PREFIX.sub("", path)
    if posixpath.isabs(path):
        # os.path.abspath() at synth time points into the synthesizing machine's project folder;
        # only the part inside the project says anything about the answer.
        return path.split(SYNTH_PROJECT_DIR, 1)[1] if SYNTH_PROJECT_DIR in path else path
    return posixpath.normpath(posixpath.join(stack_dir(stack) if module_dir is None else module_dir, path))


def raw_path(stack: Stack, res: Resource, attr: str) -> str | None:
    """The path text of `res.attr`: its literal, or the raw string when only `${path.*}` is in it."""
    value = stack.literal(res, attr)
    if isinstance(value, str) and value:
        return value
    raw = res.get(attr)
    if isinstance(raw, str) and PATH_PREFIX.match(raw) and "${" not in PATH_PREFIX.sub("", raw):
        return raw
    return None


@dataclass
class PackageUse:
    """The package one function uploads: its listing key, how the answer wrote it, its listing."""

    key: str
    shown: str  # the path as the answer wrote it, workspace folders left out
    package: Package | None


def function_package(ctx: GradeContext, stack: Stack, res: Resource) -> PackageUse | None:
    """The package `res` uploads: its `filename`, an `archive_file` it reads, or the source of the
    S3 object its `s3_key` names. None when the JSON does not say which local file that is."""
    listing = ctx.synth.packages if ctx.synth else None
    # An archive_file's output is built by Terraform at plan time: its input is the package.
    path = _indirect_source(stack, res) or raw_path(stack, res, "filename")
    if path is None:
        return None
    # An HCL answer's stack is its root module, named by its folder: Terraform runs there.
    module_dir = stack.name if ctx.workspace.platform == TF_HCL else None
    key = package_key(stack, path, module_dir)
    shown = key if posixpath.isabs(PATH_PREFIX.sub("", path)) else path
    return PackageUse(key, shown, (listing or {}).get(key))


def archive_data(stack: Stack, res: Resource) -> Resource | None:
    """The `archive_file` data source whose output `res.filename` is, if any."""
    for address in sorted(stack.references(res.get("filename"))):
        data = stack.resource(address)
        if data is not None and data.type == "archive_file":
            return data
    return None


def _indirect_source(stack: Stack, res: Resource) -> str | None:
    """The local file behind `filename = data.archive_file.x.output_path` or an S3 object key."""
    data = archive_data(stack, res)
    if data is not None:
        return raw_path(stack, data, "source_dir") or raw_path(stack, data, "source_file")
    for address in sorted(stack.references(res.get("s3_key"))):
        obj = stack.resource(address)
        if obj is not None and obj.type in ("aws_s3_object", "aws_s3_bucket_object"):
            return raw_path(stack, obj, "source")
    return None


def handler_members(module: str) -> tuple[str, str]:
    """The package members that can hold handler module `module` (a file or a package)."""
    base = module.replace(".", "/")
    return f"{base}.py", f"{base}/__init__.py"
