"""Import repairs: planned from the provider index, applied by the worker for one app only, and
findings on the JSON they make possible say so; a reference whose rules could not run is judged
by its code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iacgrade.harness.core.results import TaskResult
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.pipeline.cache import synth_key
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.platforms.cdktf_python.provider_api import load_index
from iacgrade.harness.platforms.cdktf_python.repair import plan_import_repairs
from iacgrade.harness.sandbox.base import SynthRequest
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.markdown import render_analysis
from tests.paths import REPO

ROOT = REPO
TASK = ROOT / "tasks" / "wrong-import-names"
VERSIONING = "cdktf_cdktf_provider_aws.s3_bucket_versioning"

STACK = """\
from constructs import Construct
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from {module} import S3BucketVersioning{suffix}


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
        bucket = S3Bucket(self, "bucket", bucket="data")
        S3BucketVersioning{suffix}(
            self, "versioning", bucket=bucket.id, versioning_configuration={{"status": "Enabled"}}
        )
"""

TAP = """\
from cdktf import App
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev")
app.synth()
"""


def files(module: str = VERSIONING, suffix: str = "") -> dict[str, str]:
    return {
        "tap.py": TAP,
        "lib/__init__.py": "",
        "lib/tap_stack.py": STACK.format(module=module, suffix=suffix),
    }


def request(name: str, source: dict[str, str], repairs: bool) -> SynthRequest:
    plan = plan_import_repairs(source, load_index()) if repairs else None
    return SynthRequest(
        id=name,
        files=source,
        entry="tap.py",
        timeout=60,
        options={"repairs": plan.to_message()} if plan else {},
    )


# -- planning (no synth)


def test_a_missing_name_maps_to_the_providers_closest_class() -> None:
    plan = plan_import_repairs(files(), load_index())
    assert plan.names == {VERSIONING: {"S3BucketVersioning": (VERSIONING, "S3BucketVersioningA")}}
    assert plan.modules == {}
    assert plan.describe() == ["`S3BucketVersioning` as `S3BucketVersioningA`"]
    assert json.loads(json.dumps(plan.to_message()))["names"][VERSIONING]["S3BucketVersioning"] == [
        VERSIONING,
        "S3BucketVersioningA",
    ]


def test_a_missing_module_maps_to_the_closest_module_and_its_names_are_checked_there() -> None:
    plan = plan_import_repairs(files(module=VERSIONING + "s"), load_index())
    assert plan.modules == {VERSIONING + "s": VERSIONING}
    assert plan.names == {VERSIONING: {"S3BucketVersioning": (VERSIONING, "S3BucketVersioningA")}}


def test_nothing_is_planned_for_good_imports_other_packages_or_names_with_no_match() -> None:
    index = load_index()
    good = files(suffix="A")
    assert not plan_import_repairs(good, index)
    other = {"lib/x.py": "from os.path import nothing_like_this\nfrom lib.helpers import Missing\n"}
    assert not plan_import_repairs(other, index)
    hopeless = {"lib/x.py": f"from {VERSIONING} import Qzxwvut\n"}
    assert not plan_import_repairs(hopeless, index)
    assert not plan_import_repairs({"lib/x.py": "def broken(:\n"}, index)


def test_repairs_change_the_synth_cache_key_and_their_absence_does_not() -> None:
    source = files()
    plain = SynthRequest(id="a", files=source, entry="tap.py")
    assert synth_key(plain, "t") == synth_key(SynthRequest(id="b", files=source, entry="tap.py"), "t")
    assert synth_key(request("a", source, repairs=True), "t") != synth_key(plain, "t")


# -- the worker applies them, for one app only


@pytest.mark.synth
def test_worker_synthesizes_with_repaired_imports_after_the_entry_fails(local_sandbox: LocalSandbox) -> None:
    result = local_sandbox.synth(request("repaired", files(), repairs=True))
    assert result.status is SynthStatus.ERROR and result.error_type == "ImportError"
    assert result.frame is not None and result.frame.file == "lib/tap_stack.py" and result.frame.line == 5
    assert result.stacks_strategy == "repaired:entry" and result.from_repair and result.from_fallback
    assert [a.strategy for a in result.attempts][-1] == "repaired:entry"
    versioning = result.stacks["TapStackdev"]["resource"]["aws_s3_bucket_versioning"]
    assert versioning["versioning"]["versioning_configuration"]["status"] == "Enabled"


@pytest.mark.synth
def test_repairs_do_not_outlive_their_app(local_sandbox: LocalSandbox) -> None:
    for source in (files(), files(module=VERSIONING + "s")):
        assert local_sandbox.synth(request("with", source, repairs=True)).stacks
        after = local_sandbox.synth(request("without", source, repairs=False))
        assert after.error_type in ("ImportError", "ModuleNotFoundError") and not after.stacks
    # An answer that needs no repair is not retried and is unchanged.
    good = local_sandbox.synth(request("good", files(suffix="A"), repairs=True))
    assert good.status is SynthStatus.OK and [a.strategy for a in good.attempts] == ["entry"]


# -- end to end: what the report says


@pytest.fixture(scope="module")
def graded(local_sandbox: LocalSandbox) -> TaskResult:
    return grade_path(TASK, local_sandbox, GradeOptions())


def _rules(result: TaskResult) -> list[str]:
    return sorted(f.rule_id for f in result.failures)


@pytest.mark.synth
def test_json_failures_behind_a_wrong_import_are_found_and_say_how(graded: TaskResult) -> None:
    assert _rules(graded) == ["AWS004", "AWS009", "PY002", "PY002"]
    zone = next(f for f in graded.failures if f.rule_id == "AWS004")
    assert str(zone.location) == "lib/tap_stack.py:83"
    assert "`S3BucketVersioning` as `S3BucketVersioningA`" in zone.note
    assert zone.ideal_code and "acme-platform.io" in zone.ideal_code.code
    assert graded.model and graded.model.synth
    assert graded.model.synth.repairs == [
        "`S3BucketServerSideEncryptionConfiguration` as `S3BucketServerSideEncryptionConfigurationA`",
        "`S3BucketVersioning` as `S3BucketVersioningA`",
    ]
    # The synth error is one failure with the import it stopped at, not a failure of its own.
    assert not [f for f in graded.failures if f.rule_id == "SYN001"]
    text = render_analysis(graded)
    assert "from the fallback strategy `repaired:entry` after repairing what stops it" in text
    assert "site-packages" not in text


@pytest.mark.synth
def test_without_repairs_the_json_failures_stay_hidden(local_sandbox: LocalSandbox) -> None:
    result = grade_path(TASK, local_sandbox, GradeOptions(repair=False))
    assert _rules(result) == ["PY002", "PY002"]
    assert result.model and result.model.synth and not result.model.synth.stacks


@pytest.mark.synth
def test_a_reference_rules_could_not_check_is_judged_by_its_code(
    local_sandbox: LocalSandbox, tmp_path: Path
) -> None:
    task = tmp_path / "unchecked-reference"
    shutil.copytree(TASK, task)
    ideal = (task / "IDEAL_RESPONSE.md").read_text()
    # The same reserved domain as the model, and an error that stops every synth strategy.
    ideal = ideal.replace(".acme-platform.io", ".example.com").replace(
        '        TerraformOutput(self, "log_bucket_name"',
        '        raise RuntimeError("unfinished")\n        TerraformOutput(self, "log_bucket_name"',
    )
    (task / "IDEAL_RESPONSE.md").write_text(ideal)
    result = grade_path(task, local_sandbox, GradeOptions())
    assert result.ideal and result.ideal.synth and not result.ideal.synth.stacks
    shared = next(f for f in result.shared if f.rule_id == "AWS004")
    assert "repeats every line quoted above" in shared.ideal_note
    bucket = next(f for f in result.failures if f.rule_id == "AWS009")
    assert "differs from the lines quoted above" in bucket.ideal_note
    assert "AWS004" not in _rules(result)
    text = render_analysis(result)
    assert "differs from the lines quoted above" in text
