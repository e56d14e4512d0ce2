"""The Terraform HCL platform: extraction, the Terraform JSON it maps answers into, its synth."""

from __future__ import annotations

import json

import pytest

from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.platforms.names import TF_HCL
from iacgrade.harness.platforms.registry import platform_for
from iacgrade.harness.platforms.tf_hcl.extract import extract_files
from iacgrade.harness.platforms.tf_hcl.model import decoded_json
from iacgrade.harness.platforms.tf_hcl.platform import PARSE_ERROR, TerraformHcl, synthesize
from tests.paths import SHARED

HCL_CORPUS = SHARED / "corpus" / "dev-tf-hcl"

MAIN = """\
variable "env" {
  type    = string
  default = "dev"
}

locals {
  name = "app-${var.env}"
}

resource "aws_s3_bucket" "data" {
  bucket = local.name
  tags = {
    Env = var.env
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port = 443
    to_port   = 443
    protocol  = "tcp"
  }
}
"""


def test_claims_tf_hcl_tasks_only() -> None:
    assert platform_for({"platform": "tf", "language": "hcl"}).name == TF_HCL  # type: ignore[union-attr]
    assert platform_for({"platform": "terraform", "language": "HCL"}).name == TF_HCL  # type: ignore[union-attr]
    assert platform_for({"platform": "cdktf", "language": "py"}).name != TF_HCL  # type: ignore[union-attr]
    assert platform_for({"platform": "tf", "language": "ts"}) is None


def test_extracts_named_blocks_and_drops_the_lib_prefix() -> None:
    markdown = (
        '## File: lib/main.tf\n```hcl\nresource "aws_s3_bucket" "b" {}\n```\n\n'
        '### `variables.tf`\n```hcl\nvariable "x" {}\n```\n\n'
        "```bash\nterraform init\n```\n\n"
        '```hcl\nresource "aws_s3_bucket" "draft" {}\n```\n'
    )
    extraction = extract_files(markdown)
    assert sorted(f.path for f in extraction.files) == ["main.tf", "variables.tf"]
    assert any("unnamed HCL block" in s.reason for s in extraction.skipped)


def test_an_answer_of_unnamed_hcl_keeps_its_last_draft_as_main_tf() -> None:
    markdown = (
        '```hcl\nresource "aws_s3_bucket" "a" {}\n```\n\n```hcl\nresource "aws_s3_bucket" "b" {}\n```\n'
    )
    files = extract_files(markdown).files
    assert [(f.path, f.how) for f in files] == [("main.tf", "content-main")]
    assert '"b"' in files[0].content


def test_maps_the_module_into_terraform_json_with_source_lines() -> None:
    result = synthesize({"main.tf": MAIN, "terraform.tfvars": 'env = "prod"\n'})
    assert result.status is SynthStatus.OK, result.message
    doc = result.stacks["."]
    assert doc["variable"]["env"]["default"] == "prod"  # the tfvars value over the default
    assert doc["locals"]["name"] == "app-${var.env}"
    bucket = doc["resource"]["aws_s3_bucket"]["data"]
    assert bucket["bucket"] == "${local.name}"
    assert bucket["//"]["source"] == {
        "file": "main.tf",
        "line": 10,
        "end_line": 15,
        "attrs": {"bucket": 11, "tags": 12},
        "ends": {"tags": 14},  # a value written over several lines, as far as it goes
    }
    # A block the schema allows once is a dict, as cdktf writes it; a repeatable one a list.
    versioning = doc["resource"]["aws_s3_bucket_versioning"]["data"]
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    assert isinstance(doc["resource"]["aws_security_group"]["web"]["ingress"], list)
    assert result.diagnostics == []


def test_a_block_written_twice_keeps_the_line_of_each() -> None:
    text = MAIN.replace("  ingress {", "  egress {\n  }\n  ingress {\n  }\n  ingress {", 1)
    group = synthesize({"main.tf": text}).stacks["."]["resource"]["aws_security_group"]["web"]
    source = group["//"]["source"]
    # The list's elements in order: a finding on the second block points at the second block.
    assert source["items"] == {"ingress": [[28, 29], [30, 34]]}
    assert source["attrs"]["ingress"] == 28


def test_hcl_that_does_not_parse_is_a_synth_error_at_its_line() -> None:
    result = synthesize({"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket =\n}\n'})
    assert result.status is SynthStatus.ERROR
    assert result.error_type == PARSE_ERROR
    assert result.frame is not None and (result.frame.file, result.frame.line) == ("main.tf", 2)


def test_the_reference_arguments_are_never_unknown() -> None:
    """Every deployed reference of the HCL corpus: no unknown type, argument or block."""
    if not HCL_CORPUS.is_dir():
        pytest.fail(f"the HCL corpus is missing at {HCL_CORPUS}")
    seen = 0
    for task in sorted(HCL_CORPUS.iterdir()):
        ideal = task / "ideal"
        files = {
            p.relative_to(ideal).as_posix(): p.read_text(encoding="utf-8")
            for p in ideal.rglob("*")
            if p.suffix in (".tf", ".tfvars")
        }
        result = synthesize(files)
        assert result.status is SynthStatus.OK, f"{task.name}: {result.message}"
        codes = {d.code for d in result.diagnostics}
        assert not codes & {"unknown-type", "unknown-argument", "block-as-attribute", "attribute-as-block"}, (
            task.name,
            [d.message for d in result.diagnostics],
        )
        seen += 1
    assert seen == 40


test_the_reference_arguments_are_never_unknown = pytest.mark.corpus(
    test_the_reference_arguments_are_never_unknown
)


def test_checkov_scans_the_tf_files() -> None:
    from iacgrade.harness.core.workspace import Workspace

    layout = TerraformHcl().layout({"main.tf": MAIN, "lambda/x.py": "pass\n"}, {}, {})
    ws = Workspace.from_layout("t", "model", layout, platform=TF_HCL)
    scan = TerraformHcl().scan_input(ws)
    assert scan is not None and scan.framework == "terraform" and list(scan.files) == ["main.tf"]
    assert ws.entry == "."


def test_arguments_provider_6_removed_are_valid_for_answers_written_for_5() -> None:
    main = 'resource "aws_api_gateway_deployment" "d" {\n  rest_api_id = "x"\n  stage_name = "prod"\n}\n'
    assert synthesize({"main.tf": main}).diagnostics == []
    typo = main.replace("stage_name", "stage_nam")
    assert [d.code for d in synthesize({"main.tf": typo}).diagnostics] == ["unknown-argument"]


def test_an_answer_without_tf_files_on_another_framework_is_foreign() -> None:
    from iacgrade.harness.pipeline.training import TrainingPolicy

    policy = TrainingPolicy.load()
    table = {**policy.platforms.get(TF_HCL, {}), "languages": policy.languages}
    hcl = TerraformHcl()
    cdktf = {"main.py": "from cdktf import App, TerraformStack\n"}
    assert hcl.foreign_code(cdktf, table) == (
        "Wrong platform",
        "the model's code builds on CDKTF, not Terraform HCL",
    )
    assert hcl.foreign_code({"main.tf": "", "handler.py": "import boto3\n"}, table) is None
    title, _ = hcl.foreign_code({"index.ts": "const x = 1;\n"}, table) or ("", "")
    assert title == "Wrong language"


@pytest.mark.corpus
def test_threads_parsing_at_once_get_their_own_results() -> None:
    """A batch grades answers on several threads; python-hcl2's shared parser must not mix them
    (without the platform's lock, 4 threads parsed about 1 in 10 of these files wrong)."""
    from concurrent.futures import ThreadPoolExecutor

    from iacgrade.harness.platforms.tf_hcl.model import parse_text

    texts = [p.read_text(encoding="utf-8") for p in sorted(HCL_CORPUS.glob("*/ideal/lib/*.tf"))[:60]]
    assert len(texts) == 60
    alone = [parse_text(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(parse_text, texts)) == alone


def test_a_jsonencoded_literal_is_the_json_it_evaluates_to() -> None:
    text = (
        'resource "aws_iam_policy" "p" {\n'
        "  policy = jsonencode({\n"
        '    Version   = "2012-10-17"\n'
        '    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = aws_s3_bucket.b.arn }]\n'
        "  })\n"
        "}\n"
        'resource "aws_iam_policy" "q" {\n'
        '  policy = jsonencode({ Statement = [for a in var.actions : { Effect = "Allow", Action = a }] })\n'
        "}\n"
    )
    policies = synthesize({"main.tf": text}).stacks["."]["resource"]["aws_iam_policy"]
    # The Terraform JSON keeps the expression; a rule decodes it, as cdktf writes json.dumps:
    # a reference stays a `${...}` string inside the document.
    assert policies["p"]["policy"].startswith("${jsonencode(")
    assert json.loads(decoded_json(policies["p"]["policy"])) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "${aws_s3_bucket.b.arn}"}],
    }
    # Statements only apply computes: left as written, for rules to leave alone.
    assert decoded_json(policies["q"]["policy"]) == policies["q"]["policy"]


def test_a_provider_block_keeps_its_lines() -> None:
    text = 'provider "aws" {\n  alias  = "west"\n  region = "us-west-2"\n}\n'
    (provider,) = synthesize({"main.tf": text}).stacks["."]["provider"]["aws"]
    assert provider["region"] == "us-west-2"
    assert provider["//"]["source"]["attrs"]["region"] == 3


def test_packages_are_listed_from_the_answers_files_where_terraform_runs() -> None:
    text = (
        'data "archive_file" "code" {\n  type = "zip"\n  source_dir = "${path.module}/src"\n'
        '  output_path = "code.zip"\n}\n'
        'resource "aws_lambda_function" "f" {\n  filename = "build/f.zip"\n}\n'
    )
    files = {"infra/main.tf": text, "infra/src/app.py": "def handler(e, c):\n    return e\n"}
    result = synthesize(files)
    assert list(result.stacks) == ["infra"]
    packages = result.packages or {}
    assert packages["infra/src"].kind == "dir"
    assert packages["infra/src"].python == {"app.py": ["handler"]}
    # An archive the answer does not ship is missing, not empty; one it does cannot be read as text.
    assert packages["infra/build/f.zip"].kind == "missing"
    files["infra/build/f.zip"] = "PK\x03\x04"
    assert (synthesize(files).packages or {})["infra/build/f.zip"].kind == "unreadable"
