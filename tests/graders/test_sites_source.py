"""Resources a platform placed itself (HCL, a template) are located from their `//` source block."""

from __future__ import annotations

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import family_platforms, load_rules
from iacgrade.graders.sites import site
from iacgrade.graders.terraform_model import Resource
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.names import CDKTF_PYTHON, CFN, TF_HCL

MAIN_TF = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n  force_destroy = true\n}\n'


def _ctx() -> GradeContext:
    ws = Workspace(
        task_id="t",
        side="model",
        files={"lib/main.tf": MAIN_TF},
        origins={"lib/main.tf": "answer"},
        entry="lib",
        entry_source="answer",
        stack_module=None,
        stack_class="root",
        has_code=True,
        platform=TF_HCL,
    )
    return GradeContext(ws, None)


def _bucket() -> Resource:
    source = {"file": "lib/main.tf", "line": 1, "end_line": 4, "attrs": {"force_destroy": 3}}
    config = {"bucket": "logs", "//": {"metadata": {"path": "aws_s3_bucket.logs"}, "source": source}}
    return Resource("root", "aws_s3_bucket", "logs", config)


def test_a_placed_resource_points_at_its_block_and_quotes_it() -> None:
    found = site(_ctx(), _bucket())
    assert (found.location.path, found.location.line, found.location.end_line) == ("lib/main.tf", 1, 4)
    assert found.evidence.startswith('resource "aws_s3_bucket" "logs"')
    assert found.anchor == "resource:aws_s3_bucket.logs"


def test_an_attribute_the_platform_placed_is_pointed_at_alone() -> None:
    found = site(_ctx(), _bucket(), "force_destroy")
    assert (found.location.line, found.location.end_line) == (3, None)
    assert found.evidence == "force_destroy = true"
    # An attribute it did not place falls back to the whole block.
    assert site(_ctx(), _bucket(), "tags").location.line == 1


def test_the_nth_of_a_block_written_several_times_is_pointed_at() -> None:
    bucket = _bucket()
    bucket.config["//"]["source"]["items"] = {"force_destroy": [[2, 2], [3, 4]]}
    found = site(_ctx(), bucket, "force_destroy", 1)
    assert (found.location.line, found.location.end_line) == (3, 4)
    assert site(_ctx(), bucket, "force_destroy", 0).location.line == 2
    # An index past what was written falls back to the attribute's first line.
    assert site(_ctx(), bucket, "force_destroy", 5).location.line == 3


def test_a_value_over_several_lines_is_quoted_whole() -> None:
    bucket = _bucket()
    bucket.config["//"]["source"]["attrs"]["bucket"] = 2
    bucket.config["//"]["source"]["ends"] = {"bucket": 3}
    found = site(_ctx(), bucket, "bucket")
    assert (found.location.line, found.location.end_line) == (2, 3)
    assert found.evidence.splitlines()[-1].strip() == "force_destroy = true"


def test_rules_run_on_the_platforms_their_family_reads() -> None:
    rules = load_rules()
    assert rules["PY002"].meta.platforms == (CDKTF_PYTHON,)
    assert rules["TF005"].meta.applies_to(TF_HCL) and not rules["TF005"].meta.applies_to(CFN)
    assert family_platforms("graders.some_pack.rules") == ()
    # Every shipped rule names its platforms, by itself or through its family: none reads a
    # platform's answers by accident.
    assert all(r.meta.platforms for r in rules.values())
