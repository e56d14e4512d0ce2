"""The worker's listing of deployment packages: what the zips and assets hold after synth."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest

from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.pipeline.cache import ResultCache
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.packages import list_packages, top_level_names
from iacgrade.harness.sandbox.base import SynthRequest
from iacgrade.harness.sandbox.local import LocalSandbox


def _app(tmp_path: Path, doc: dict[str, object]) -> tuple[Path, Path]:
    """A workspace and one App output folder holding stack `S` with `doc` as its JSON."""
    workspace, outdir = tmp_path / "workspace", tmp_path / "out" / "app-1"
    (outdir / "stacks" / "S").mkdir(parents=True)
    workspace.mkdir()
    (outdir / "manifest.json").write_text(
        json.dumps({"stacks": {"S": {"synthesizedStackPath": "stacks/S/cdk.tf.json"}}})
    )
    (outdir / "stacks" / "S" / "cdk.tf.json").write_text(json.dumps(doc))
    return workspace, outdir


def _function(filename: str) -> dict[str, object]:
    return {"handler": "index.handler", "runtime": "python3.12", "filename": filename}


def test_zip_built_at_synth_is_listed_by_member_with_its_top_level_names(tmp_path: Path) -> None:
    doc: dict[str, object] = {"resource": {"aws_lambda_function": {}}}
    workspace, outdir = _app(tmp_path, doc)
    with zipfile.ZipFile(workspace / "lambda.zip", "w") as zipf:
        zipf.writestr("index.py", "def lambda_handler(e, c):\n    return e\n\nhandler = lambda_handler\n")
        zipf.writestr("README.txt", "x")
    fns = {
        "relative": _function("../../../lambda.zip"),
        "absolute": _function(str(workspace / "lambda.zip")),
        "absent": _function("missing.zip"),
        "outside": _function("/elsewhere/code.zip"),
    }
    doc["resource"] = {"aws_lambda_function": fns}
    listing = list_packages({"S": doc}, {"S": str(outdir / "stacks" / "S")}, str(workspace))
    assert set(listing) == {"lambda.zip", "cdktf.out/stacks/S/missing.zip"}
    assert listing["lambda.zip"] == {
        "kind": "zip",
        "members": ["README.txt", "index.py"],
        "python": {"index.py": ["handler", "lambda_handler"]},
    }
    assert listing["cdktf.out/stacks/S/missing.zip"]["kind"] == "missing"
    assert str(tmp_path) not in json.dumps(listing)


def test_asset_in_the_stack_folder_and_archive_file_inputs_are_listed(tmp_path: Path) -> None:
    doc = {
        "resource": {"aws_lambda_function": {"fn": _function("assets/code/H/archive.zip")}},
        "data": {"archive_file": {"src": {"source_dir": "${path.module}/../../../lib/lambda"}}},
    }
    workspace, outdir = _app(tmp_path, doc)
    asset = outdir / "stacks" / "S" / "assets" / "code" / "H"
    asset.mkdir(parents=True)
    with zipfile.ZipFile(asset / "archive.zip", "w") as zipf:
        zipf.writestr("pkg/__init__.py", "from .core import run\n")
    (workspace / "lib" / "lambda" / "sub").mkdir(parents=True)
    (workspace / "lib" / "lambda" / "app.py").write_text("def run(:\n")
    (workspace / "lib" / "lambda" / "sub" / "x.json").write_text("{}")
    listing = list_packages({"S": doc}, {"S": str(outdir / "stacks" / "S")}, str(workspace))
    assert listing["cdktf.out/stacks/S/assets/code/H/archive.zip"]["python"] == {"pkg/__init__.py": ["run"]}
    assert listing["lib/lambda"] == {
        "kind": "dir",
        "members": ["app.py", "sub/x.json"],
        "python": {"app.py": None},
    }


def test_top_level_names_count_definitions_assignments_and_imports_only() -> None:
    text = (
        "import json as j\nfrom handlers import main\nclass C: pass\n"
        "def f():\n    inner = 1\nx: int = 2\na, b = 1, 2\n"
    )
    assert top_level_names(text) == ["C", "a", "b", "f", "j", "main", "x"]
    assert top_level_names("def (") is None


def test_listing_survives_the_cache(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    listing = {"lambda.zip": {"kind": "zip", "members": ["index.py"], "python": {"index.py": ["handler"]}}}
    result = SynthResult.from_reply({"status": "ok", "packages": listing})
    cache.put_synth("k", result)
    stored = cache.get_synth("k")
    assert stored is not None and stored.packages is not None
    assert stored.packages["lambda.zip"].members == ["index.py"]
    assert stored.packages["lambda.zip"].python == {"index.py": ["handler"]}
    assert SynthResult.from_reply({"status": "ok"}).packages is None


STACK = """\
import os
import zipfile

from cdktf import AssetType, TerraformAsset, TerraformStack
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
        here = os.path.dirname(__file__)
        zip_path = os.path.join(here, "lambda_function.zip")
        with zipfile.ZipFile(zip_path, "w") as zipf:
            zipf.write(os.path.join(here, "lambda", "processor.py"), "index.py")
        asset = TerraformAsset(self, "code", path="lib/lambda", type=AssetType.ARCHIVE)
        for name, filename in (("built", zip_path), ("asset", asset.path), ("absent", "placeholder.zip")):
            LambdaFunction(
                self, name, function_name=name, role="arn:aws:iam::123456789012:role/r",
                runtime="python3.12", handler="index.handler", filename=filename,
            )
"""

TAP = """\
from cdktf import App
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev")
app.synth()
"""


@pytest.mark.synth
def test_worker_lists_what_each_package_holds_after_synth(local_sandbox: LocalSandbox) -> None:
    files = {
        "tap.py": TAP,
        "lib/__init__.py": "",
        "lib/tap_stack.py": STACK,
        "lib/lambda/processor.py": "def lambda_handler(e, c):\n    return e\n\nhandler = lambda_handler\n",
    }
    result = local_sandbox.synth(SynthRequest(id="packages", files=files, entry="tap.py", timeout=60))
    assert result.status is SynthStatus.OK, result.message
    listing = result.packages
    assert listing is not None
    built = listing["lib/lambda_function.zip"]
    assert (built.kind, built.members, built.python) == (
        "zip",
        ["index.py"],
        {"index.py": ["handler", "lambda_handler"]},
    )
    (asset_key,) = [k for k in listing if k.startswith("cdktf.out/stacks/TapStackdev/assets/")]
    assert listing[asset_key].members == ["processor.py"]
    assert listing["cdktf.out/stacks/TapStackdev/placeholder.zip"].kind == "missing"
    assert "iacgrade-" not in json.dumps(result.model_dump(mode="json")["packages"])


@pytest.mark.synth
def test_a_committed_archive_reaches_the_sandbox_byte_for_byte(local_sandbox: LocalSandbox) -> None:
    # The reference commits lib/lambda/processor.zip beside the code that names it.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipf:
        zipf.writestr("index.py", "def handler(e, c):\n    return e\n")
    stack = STACK.replace('"placeholder.zip"', '"../../../lib/lambda/processor.zip"')
    files = {
        "tap.py": TAP,
        "lib/__init__.py": "",
        "lib/tap_stack.py": stack,
        "lib/lambda/processor.py": "x = 1\n",
    }
    archives = {"lib/lambda/processor.zip": base64.b64encode(buffer.getvalue()).decode()}
    request = SynthRequest(id="archives", files=files, entry="tap.py", timeout=60, archives=archives)
    result = local_sandbox.synth(request)
    assert result.status is SynthStatus.OK, result.message
    assert result.packages is not None
    committed = result.packages["lib/lambda/processor.zip"]
    assert (committed.kind, committed.members) == ("zip", ["index.py"])
