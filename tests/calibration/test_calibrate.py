"""Calibration against written analyses: matching, aggregation and the report, on tasks built by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from iacgrade.harness.calibration.calibrate import (
    TaskCalibration,
    Vocabulary,
    cite_lines,
    correlate,
    errors_agree,
    failure_span,
    failure_spans,
    match_items,
)
from iacgrade.harness.calibration.report import CSV_COLUMNS, calibrate
from iacgrade.harness.calibration.written import WrittenItem, parse_written
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.results import CodeQuote, Failure, Score, TaskResult, TaskStatus
from tests.paths import DEV_CORPUS

STACK = """from cdktf import TerraformStack
from constructs import Construct
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        S3BucketVersioning(self, "versioning", bucket="my-data-bucket-name")
"""
MODEL_RESPONSE = f"""Here is the stack.

## File: lib/tap_stack.py

```python
{STACK}```
"""
WRITTEN = """# Model Response Failures Analysis

## Critical Failures

### 1. Incorrect Provider Class Name

**Impact Level**: Critical

**MODEL_RESPONSE Issue**:
```python
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning
```

The provider names the class `S3BucketVersioningA`.

### 2. Parameter Shadowing Python Built-in

**Impact Level**: Medium

**MODEL_RESPONSE Issue**:
```python
    def __init__(self, scope: Construct, id: str):
```

The parameter `id` shadows the built-in.

## High Failures

### 3. Missing NAT Gateway for Private Subnets

**Impact Level**: High

**MODEL_RESPONSE Issue**: the private subnets have no route to the internet.

### 4. Hardcoded Database Password

**Impact Level**: High

**MODEL_RESPONSE Issue**: the password is a literal.
"""


def _failure(rule_id: str, severity: Severity, line: int, *, error: str = "", message: str = "") -> Failure:
    return Failure(
        rule_id=rule_id,
        title=f"{rule_id} title",
        severity=severity,
        category=Category.CDKTF_SYNTAX,
        message=message or f"{rule_id} message",
        location=Location(path="lib/tap_stack.py", line=line),
        model_code=CodeQuote(path="lib/tap_stack.py", line=line, code=STACK.splitlines()[line - 1]),
        error=error,
    )


IMPORT_ERROR = (
    "ImportError: cannot import name 'S3BucketVersioning' "
    "from 'cdktf_cdktf_provider_aws.s3_bucket_versioning'"
)
FAILURES = [
    _failure(
        "SYN001", Severity.CRITICAL, 3, error=IMPORT_ERROR, message="`S3BucketVersioning` does not exist"
    ),
    _failure("PY001", Severity.MEDIUM, 7, message="parameter `id` shadows the built-in `id`"),
    _failure("TF001", Severity.CRITICAL, 6, message="the stack configures no remote backend"),
]


@pytest.fixture
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def _item(**kwargs: object) -> WrittenItem:
    return WrittenItem(
        number=int(kwargs.pop("number", 1)), title=str(kwargs.pop("title", "t")), line=1, **kwargs
    )  # type: ignore[arg-type]


# --- matching pieces -----------------------------------------------------------------------------


def test_cite_lines_finds_quoted_lines_and_skips_generic_and_ambiguous_ones() -> None:
    files = {"lib/tap_stack.py": STACK, "lib/other.py": "x = 1\n" + "        super().__init__(scope, id)\n"}
    item = _item(
        model_code=(
            # Reformatted (spaces, trailing comment) but the same line.
            "from cdktf_cdktf_provider_aws.s3_bucket_versioning import  S3BucketVersioning  # wrong\n"
            "super().__init__(scope, id)\n"  # generic: in every stack
            ")\n",
        ),
        inline_code=('bucket="my-data-bucket-name"', "id"),
    )
    assert cite_lines(item, files) == [("lib/tap_stack.py", 3), ("lib/tap_stack.py", 9)]


def test_cite_lines_finds_a_rewrapped_line() -> None:
    files = {"lib/tap_stack.py": "from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl, WafRule\n"}
    item = _item(
        model_code=(
            "from cdktf_cdktf_provider_aws.wafv2_web_acl import (\n    Wafv2WebAcl,\n    WafRule,\n)",
        )
    )
    assert cite_lines(item, files) == [("lib/tap_stack.py", 1)]


def test_failure_span_covers_location_and_quoted_code() -> None:
    f = Failure(
        rule_id="SYN001",
        title="t",
        severity=Severity.CRITICAL,
        category=Category.API_CONSISTENCY,
        message="m",
        location=Location(path="tap.py", line=29),
        model_code=CodeQuote(path="tap.py", line=27, code="a\nb\nc\nd\ne"),
    )
    assert failure_span(f) == ("tap.py", 27, 31)
    address_only = f.model_copy(update={"location": Location(address="aws_s3_bucket.x"), "model_code": None})
    assert failure_span(address_only) is None


def test_a_merged_failure_points_at_each_of_its_places() -> None:
    places = [Location(path="lib/vpc.py", line=90), Location(path="lib/vpc.py", line=145, end_line=150)]
    f = Failure(
        rule_id="PY005",
        title="t",
        severity=Severity.CRITICAL,
        category=Category.CDKTF_SYNTAX,
        message="m",
        location=places[0],
        places=places,
    )
    assert failure_spans(f) == [("lib/vpc.py", 90, 90), ("lib/vpc.py", 145, 150)]


@pytest.mark.parametrize(
    ("quoted", "agree"),
    [
        (["ImportError: cannot import name 'S3BucketVersioning'"], True),
        (["ImportError - These class names don't exist"], False),  # no name in common
        (["ImportError: cannot import name 'CloudfrontDistributionA'"], False),  # another name
        (["`S3BucketVersioning` and `s3_bucket_versioning` are wrong"], True),  # two shared names
        ([], False),
    ],
)
def test_errors_agree(quoted: list[str], agree: bool) -> None:
    assert errors_agree(quoted, IMPORT_ERROR) is agree


def test_match_items_by_code_error_and_keyword(vocabulary: Vocabulary) -> None:
    files = {"lib/tap_stack.py": STACK}
    items = parse_written(WRITTEN).items
    matches, cited = match_items(items, FAILURES, files, vocabulary)
    got = {(m.item, FAILURES[m.failure].rule_id, m.method) for m in matches}
    # Item 2 quotes the `def` line, which TF001 (class at line 6) also spans: only PY001 is named.
    assert got == {(1, "SYN001", "code"), (2, "PY001", "code")}
    assert cited[1] == [("lib/tap_stack.py", 3)]
    assert cited[3] == [] and cited[4] == []


def test_error_match_when_no_line_is_quoted(vocabulary: Vocabulary) -> None:
    item = _item(
        title="Invalid import", errors=("ImportError: cannot import name 'S3BucketVersioning' from x",)
    )
    matches, _ = match_items([item], FAILURES, {}, vocabulary)
    assert [(FAILURES[m.failure].rule_id, m.method) for m in matches] == [("SYN001", "error")]


def test_keywords_only_for_items_that_quote_nothing_found(vocabulary: Vocabulary) -> None:
    backend = _item(title="Missing S3 Backend Configuration", text="No remote state.")
    matches, _ = match_items([backend], FAILURES, {"lib/tap_stack.py": STACK}, vocabulary)
    assert [(FAILURES[m.failure].rule_id, m.method) for m in matches] == [("TF001", "keyword")]
    # The same title, quoting a line of the answer that no failure points at: about something else.
    elsewhere = _item(
        title="Missing S3 Backend Configuration",
        model_code=('S3BucketVersioning(self, "versioning", bucket="my-data-bucket-name")',),
    )
    matches, _ = match_items([elsewhere], FAILURES, {"lib/tap_stack.py": STACK}, vocabulary)
    assert matches == []


def test_topic_from_title_then_prose(vocabulary: Vocabulary) -> None:
    assert (
        vocabulary.topic_of(_item(title="Invalid Terraform S3 Backend Configuration")).name == "state-backend"
    )
    prose = _item(
        title="Something vague", text="Something vague\nThe NAT gateway and the subnet route are absent."
    )
    assert vocabulary.topic_of(prose).name == "networking"
    assert vocabulary.topic_of(_item(title="Something vague", text="")).name == "other"


def test_vocabulary_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text('[rules]\nsec042 = ["bucket"]\n[topics.buckets]\nphrases = ["bucket"]\nhint = "h"\n')
    vocabulary = Vocabulary.load(path)
    # A plug-in's rule gets phrases from the file; the built-in rules keep their declared keywords.
    assert vocabulary.rules["SEC042"] == ("bucket",)
    assert "cannot import" in vocabulary.rules["PY002"]
    assert vocabulary.topic_of(_item(title="Public bucket")).hint == "h"


# --- correlation ----------------------------------------------------------------------------------


def _scored(task_id: str, score: float, quality: float | None) -> TaskCalibration:
    result = TaskResult(task_id=task_id, status=TaskStatus.GRADED, score=Score(value=score))
    return TaskCalibration(task_id=task_id, result=result, training_quality=quality)


def test_correlate_is_spearman_with_ties() -> None:
    scores = [10, 8.5, 7, 7, 3, 9]
    qualities = [9, 9, 8, 7, 6, 10]
    tasks = [_scored(f"t{i}", s, q) for i, (s, q) in enumerate(zip(scores, qualities, strict=True))]
    tasks.append(_scored("no-quality", 5, None))
    got = correlate(tasks, permutations=500)
    frame = pd.DataFrame({"s": scores, "q": qualities}).rank()
    assert got.n == 6
    assert got.rho == pytest.approx(frame["s"].corr(frame["q"]))
    assert got.rho > 0.7 and got.p_value is not None and 0 < got.p_value <= 1
    assert "Spearman's rho = +0." in got.statement and "over 6 tasks" in got.statement


def test_correlate_says_so_when_it_cannot() -> None:
    got = correlate([_scored("a", 5, 9), _scored("b", 6, 9)])
    assert got.rho is None and "No rank correlation can be computed" in got.statement


# --- the whole command on a tiny run --------------------------------------------------------------


def _corpus_task(corpus: Path, task_id: str, written: str | None, quality: float = 8) -> None:
    lib = corpus / task_id / "lib"
    lib.mkdir(parents=True)
    (lib / "MODEL_RESPONSE.md").write_text(MODEL_RESPONSE)
    if written is not None:
        (lib / "MODEL_FAILURES.md").write_text(written)
    meta = {"platform": "cdktf", "language": "py", "training_quality": quality}
    (corpus / task_id / "metadata.json").write_text(json.dumps(meta))


def _run_task(run: Path, result: TaskResult) -> None:
    (run / result.task_id).mkdir(parents=True)
    (run / result.task_id / "result.json").write_text(result.model_dump_json())


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    corpus, run = tmp_path / "corpus", tmp_path / "run"
    _corpus_task(corpus, "t1", WRITTEN)
    _corpus_task(corpus, "t2", WRITTEN)  # its run broke: not compared
    _corpus_task(corpus, "t3", None)  # no written analysis
    _run_task(
        run, TaskResult(task_id="t1", status=TaskStatus.GRADED, score=Score(value=6), failures=FAILURES)
    )
    _run_task(run, TaskResult(task_id="t2", status=TaskStatus.INFRA_ERROR, reason="worker died"))
    _run_task(
        run, TaskResult(task_id="t3", status=TaskStatus.GRADED, score=Score(value=9), failures=FAILURES)
    )
    _run_task(run, TaskResult(task_id="t4", status=TaskStatus.GRADED, score=Score(value=9)))  # not in corpus
    return run, corpus


def test_calibrate_writes_report_and_csv(tiny: tuple[Path, Path]) -> None:
    run, corpus = tiny
    summary = calibrate(run, corpus)
    assert summary.out_dir == run
    assert [t.task_id for t in summary.compared] == ["t1"]
    assert summary.recall_of("Critical") == (1, 1)
    assert summary.recall_of("Critical", "High") == (1, 3)
    assert summary.methods == {"code": 2}
    rows = {r.rule_id: r for r in summary.rules}
    assert (rows["SYN001"].failures, rows["SYN001"].matched_failures, rows["SYN001"].items_matched) == (
        1,
        1,
        1,
    )
    assert rows["TF001"].unwritten == 1 and rows["TF001"].precision == 0
    assert [(m.task_id, m.rule_id) for m in summary.misses] == [("t1", "TF001")]
    assert summary.misses[0].analysis_link == "t1/analysis.md"
    groups = {row.topic: [i.number for i in items] for row, items in summary.unmatched_groups}
    assert groups == {"networking": [3], "secrets-and-credentials": [4]}
    assert summary.confusion.loc["Critical", "Critical"] == 1
    assert summary.confusion.loc["Medium", "Medium"] == 1
    assert summary.confusion.loc["High", "not matched"] == 2
    assert summary.shapes == {"numbered/seed-labels": 2}

    markdown = (run / "calibration.md").read_text()
    assert "**Recall of written Critical items**: 1/1 (100%)" in markdown
    assert "| `TF001` |" in markdown and "[iacgrade](t1/analysis.md)" in markdown
    assert "### networking: 1 undetected of 1" in markdown
    assert "`t2` infra_error" in markdown
    assert "No rank correlation can be computed" in markdown

    frame = pd.read_csv(run / "calibration.csv")
    assert tuple(frame.columns) == CSV_COLUMNS
    assert sorted(frame["record"].value_counts().items()) == [("iacgrade", 3), ("written", 4)]
    written = frame[frame["record"] == "written"].set_index("ref")
    assert written.loc[1, "rule_id"] == "SYN001" and written.loc[1, "method"] == "code"
    assert written.loc[3, "matched"] == False  # noqa: E712 - a pandas cell, not a Python bool
    assert written.loc[3, "evidence"].endswith("../corpus/t1/lib/MODEL_FAILURES.md#L29")


def test_calibrate_into_another_directory(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    run, corpus = tiny
    out = tmp_path / "reports" / "cal"
    summary = calibrate(run, corpus, out)
    assert (out / "calibration.md").is_file() and (out / "calibration.csv").is_file()
    assert not (run / "calibration.md").exists()
    assert summary.misses[0].analysis_link == "../../run/t1/analysis.md"


def test_calibrate_on_an_empty_run(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "corpus").mkdir()
    summary = calibrate(tmp_path / "run", tmp_path / "corpus")
    assert summary.compared == [] and summary.recall_of("Critical") == (0, 0)
    assert "0/0 (n/a)" in (tmp_path / "run" / "calibration.md").read_text()


# --- match paths added for reviewers who do not quote literally -----------------------------------

ROUTE = """from constructs import Construct


class Net(Construct):
    def __init__(self, scope: Construct, name: str):
        super().__init__(scope, name)
        Route(
            self,
            "nat-route",
            instance_id=nat.id,
        )
"""


def _route_failure(rule_id: str = "PY003", path: str = "lib/vpc.py") -> Failure:
    return Failure(
        rule_id=rule_id,
        title="Unknown keyword argument to a provider class",
        severity=Severity.CRITICAL,
        category=Category.API_CONSISTENCY,
        message="`Route` takes no keyword `instance_id` in provider-aws 21.22.1: synth stops.",
        location=Location(path=path, line=7, end_line=11),
    )


def test_match_by_location_field(vocabulary: Vocabulary) -> None:
    failures = [_route_failure()]
    files = {"lib/vpc.py": ROUTE}
    located = _item(
        title="Route for NAT", locations=(("lib/vpc.py", 9, 10),), text="Used `instance_id` on the route."
    )
    matches, _ = match_items([located], failures, files, vocabulary)
    assert [(m.failure, m.method) for m in matches] == [(0, "code")]
    # Only the file named: the failure in it matches when the item names what the failure is about.
    whole_file = _item(
        title="Route for NAT", locations=(("vpc.py", None, None),), text="`instance_id` is wrong"
    )
    assert [m.method for m in match_items([whole_file], failures, files, vocabulary)[0]] == ["code"]
    unrelated = _item(title="Tags", locations=(("vpc.py", None, None),), text="Tags are duplicated.")
    assert match_items([unrelated], failures, files, vocabulary)[0] == []
    # Lines past the end of the file count the reviewer's markdown: the file alone is kept.
    far = _item(title="Route", locations=(("lib/vpc.py", 900, 905),), text="`instance_id` again")
    assert [m.method for m in match_items([far], failures, files, vocabulary)[0]] == ["code"]


def test_match_by_names_in_a_shortened_quote(vocabulary: Vocabulary) -> None:
    failures = [_route_failure()]
    shortened = _item(
        title="Deprecated route argument",
        model_code=("Route(self, 'nat-route', instance_id=nat.id, ...)  # old API",),
        text="Used `instance_id` for the NAT route.",
    )
    matches, cited = match_items([shortened], failures, {"lib/vpc.py": ROUTE}, vocabulary)
    assert cited[1] == [] and [(m.failure, m.method) for m in matches] == [(0, "code")]
    # The same names quoted by an item whose prose is about something else: no match.
    tests = _item(
        title="No integration tests",
        model_code=("def test_route():\n    Route(stack, 'r', instance_id='i-1')",),
        text="The tests only synthesize.",
    )
    assert match_items([tests], failures, {"lib/vpc.py": ROUTE}, vocabulary)[0] == []


def test_keyword_match_picks_the_failure_the_item_is_about(vocabulary: Vocabulary) -> None:
    def checkov(message: str) -> Failure:
        # A checkov finding carries its check's id; the keywords are those of SEC001, which ran it.
        return Failure(
            rule_id="SEC:" + message.split()[1],
            title="Security Check Failed (checkov)",
            severity=Severity.HIGH,
            category=Category.PRODUCTION_READINESS,
            message=message,
            location=Location(),  # checkov names a resource address, not a line here
        )

    failures = [
        checkov("checkov CKV_AWS_17 fails on `aws_db_instance.db`: Ensure RDS is not publicly accessible."),
        checkov("checkov CKV_AWS_7 fails on `aws_kms_key.k`: Ensure rotation for customer CMKs is enabled."),
    ]
    item = _item(title="Missing KMS Key Rotation", text="KMS key created without enable_key_rotation=True")
    matches, _ = match_items([item], failures, {}, vocabulary)
    assert [(m.failure, m.method) for m in matches] == [(1, "keyword")]


def test_rule_keywords_come_from_the_rule_metadata() -> None:
    from iacgrade.graders.registry import load_rules

    rules = load_rules()
    assert all(r.meta.keywords for r in rules.values())
    assert Vocabulary.load().rules["TF001"] == rules["TF001"].meta.keywords


def test_items_seen_only_as_shared_findings(tiny: tuple[Path, Path]) -> None:
    run, corpus = tiny
    shared = _failure("PY001", Severity.MEDIUM, 7, message="parameter `id` shadows the built-in `id`")
    result = TaskResult(
        task_id="t1", status=TaskStatus.GRADED, score=Score(value=6), failures=FAILURES[:1], shared=[shared]
    )
    (run / "t1" / "result.json").write_text(result.model_dump_json())
    summary = calibrate(run, corpus)
    refs = {i.number: i for _, items in summary.unmatched_groups for i in items}
    assert refs[2].shared_rules == ("PY001",)
    assert "seen as `PY001`, uncounted: the reference has it too" in (run / "calibration.md").read_text()


# --- the real corpus -------------------------------------------------------------------------------

CORPUS = DEV_CORPUS


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_real_corpus_items_match_findings_on_their_cited_lines(vocabulary: Vocabulary) -> None:
    """Pr4773's reviewer quotes the provider imports and the Kinesis call iacgrade flags; the CloudTrail
    bucket policy it also writes about is nothing iacgrade checks."""
    from iacgrade.harness.calibration.calibrate import model_files

    task = CORPUS / "Pr4773"
    items = parse_written((task / "lib" / "MODEL_FAILURES.md").read_text()).items
    files = model_files(task)
    lines = files["lib/tap_stack.py"].splitlines()
    imports = [n for n, line in enumerate(lines, 1) if "import S3BucketVersioning" in line]
    kinesis = [n for n, line in enumerate(lines, 1) if "stream_mode_details" in line]
    failures = [
        Failure(
            rule_id="PY002",
            title="Import of a name the AWS provider does not have",
            severity=Severity.CRITICAL,
            category=Category.API_CONSISTENCY,
            message="`cdktf_cdktf_provider_aws.s3_bucket_versioning` has no `S3BucketVersioning`",
            location=Location(path="lib/tap_stack.py", line=imports[0]),
        ),
        Failure(
            rule_id="PY004",
            title="Value of the wrong shape for a provider parameter",
            severity=Severity.CRITICAL,
            category=Category.API_CONSISTENCY,
            message="In `KinesisStream`, `stream_mode_details` is a dict turned into a struct",
            location=Location(path="lib/tap_stack.py", line=kinesis[0]),
        ),
    ]
    matches, _ = match_items(items, failures, files, vocabulary)
    by_item = {m.item: (failures[m.failure].rule_id, m.method) for m in matches}
    titles = {i.number: i.title for i in items}
    assert by_item[1] == ("PY002", "code") and "Import" in titles[1]
    assert by_item[2] == ("PY004", "code") and "Kinesis" in titles[2]
    assert 4 not in by_item and "CloudTrail" in titles[4]


# --- the archive rubric's training score -----------------------------------------------------------


def test_calibrate_measures_the_training_score_against_training_quality_and_a_constant(
    tmp_path: Path,
) -> None:
    corpus, run = tmp_path / "corpus", tmp_path / "run"
    # (training score, training_quality): 2 equal, 3 within one; the mode of quality is 10 (3 of 5),
    # which is equal on 3 and within one on 4.
    pairs = {"a": (10, 10), "b": (10, 10), "c": (9, 10), "d": (7, 9), "e": (5, 8)}
    for task_id, (ours, quality) in pairs.items():
        _corpus_task(corpus, task_id, WRITTEN, quality=quality)
        training = Score(value=ours, rubric="archive-training@1")
        _run_task(
            run,
            TaskResult(task_id=task_id, status=TaskStatus.GRADED, score=Score(value=5), training=training),
        )
    _run_task(
        run, TaskResult(task_id="f", status=TaskStatus.GRADED, score=Score(value=5))
    )  # no training score
    _corpus_task(corpus, "f", WRITTEN, quality=1)
    summary = calibrate(run, corpus)
    t = summary.training
    assert t is not None
    assert (t.n, t.exact, t.within_one) == (5, 2, 3)
    assert (t.constant, t.constant_exact, t.constant_within_one) == (10, 3, 4)
    ranks = pd.DataFrame([v for v in pairs.values()], columns=["ours", "q"]).rank()
    assert t.correlation.rho == pytest.approx(ranks["ours"].corr(ranks["q"]))
    assert "the archive rubric's training score" in t.correlation.statement
    markdown = (run / "calibration.md").read_text()
    assert (
        "**Archive rubric vs training_quality**: equal on 2/5 (40%) tasks, within one point on 3/5 (60%); "
        "the best constant (10, the most common training_quality) is equal on 3/5 (60%) and within one "
        "on 4/5 (80%)."
    ) in markdown
