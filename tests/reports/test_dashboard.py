"""The batch CSVs and the HTML dashboard: charts, task rows, links, several runs, a real browser.

Run directories are built in tmp_path from hand-made results with the same writers a batch run
uses. The browser test renders the page in Debian's headless Chromium (installed by
`scripts/ensure-chromium.sh`), keeps screenshots in `tests/artifacts/`, and reads the DOM back to
check that the page's script ran and sorted the table.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd
import pytest

from iacgrade.graders.registry import load_rules
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.results import Failure, Score, SideResult, TaskResult, TaskStatus
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.reports.dashboard import DashboardError, render_dashboard, run_labels, write_dashboard
from iacgrade.reports.writers import (
    BASE_COLUMNS,
    CATEGORY_COLUMNS,
    FINDINGS_COLUMNS,
    findings_rows,
    results_row,
    write_findings_csv,
    write_results_csv,
    write_task_outputs,
)
from tests.paths import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
BAR_CHART_IDS = {
    "score-histogram",
    "synth-pass-rate",
    "failures-by-severity",
    "failures-by-category",
    "failures-by-rule",
}
CHART_IDS = {*BAR_CHART_IDS, "score-vs-training-quality"}

# --- building results and run directories -----------------------------------------------------


# The chart names a rule by its registered title, not by one hit's title.
RULE_LABEL = {rule_id: f"{rule_id} {r.meta.title}" for rule_id, r in load_rules().items()}


def make_failure(
    rule_id: str,
    severity: Severity,
    category: Category,
    *,
    path: str | None = "lib/tap_stack.py",
    line: int | None = 10,
    end_line: int | None = None,
    address: str | None = None,
    stack: str | None = None,
    anchor: str = "",
    title: str = "",
    merged: tuple[str, ...] = (),
) -> Failure:
    return Failure(
        rule_id=rule_id,
        title=title or f"{rule_id} title",
        severity=severity,
        category=category,
        message=f"{rule_id} message",
        location=Location(path=path, line=line, end_line=end_line, address=address, stack=stack),
        anchor=anchor,
        merged=list(merged),
        fix_minutes=4,
    )


def _side(name: str, status: SynthStatus | None, error_type: str = "", json: str = "") -> SideResult | None:
    if status is None:
        return None
    if status is SynthStatus.SKIPPED:
        return SideResult(side=name, has_code=False)
    # An answer that synthesizes has the JSON of its entry point; T1's model gets it by repair.
    strategy = json or ("entry" if status is SynthStatus.OK else "")
    stacks = {"tap": {"resource": {}}} if strategy else {}
    synth = SynthResult(status=status, error_type=error_type, stacks=stacks, stacks_strategy=strategy)
    return SideResult(side=name, synth=synth)


def make_result(
    task_id: str,
    score: float | None,
    failures: Sequence[Failure] = (),
    *,
    model: SynthStatus | None = SynthStatus.ERROR,
    ideal: SynthStatus | None = SynthStatus.OK,
    status: TaskStatus = TaskStatus.GRADED,
    reason: str = "",
    metadata: dict[str, Any] | None = None,
    model_json: str = "",
) -> TaskResult:
    return TaskResult(
        task_id=task_id,
        status=status,
        reason=reason,
        metadata=metadata if metadata is not None else {"platform": "cdktf", "complexity": "hard"},
        score=Score(value=score) if score is not None else None,
        model=_side("model", model, "TypeError" if model is SynthStatus.ERROR else "", model_json),
        ideal=_side("ideal", ideal),
        failures=list(failures),
        timings={"synth_model": 0.5, "synth_ideal": 0.25, "grade": 0.125, "total": 1.0},
    )


SYN = ("SYN001", Severity.CRITICAL, Category.API_CONSISTENCY)
TF = ("TF001", Severity.CRITICAL, Category.PRODUCTION_READINESS)
PY = ("PY001", Severity.MEDIUM, Category.PYTHON_PRACTICE)
AWS = ("AWS003", Severity.HIGH, Category.AWS_SERVICE_LIMITS)


def run_a() -> list[TaskResult]:
    """Five tasks: four graded (scores 6.5, 2, 9, 10: not in order), one invalid; SYN001 fails thrice."""
    return [
        make_result(
            "T1", 6.5, [make_failure(*SYN, line=20), make_failure(*PY, line=30)], model_json="repaired:entry"
        ),
        make_result("T2", 2.0, [make_failure(*SYN), make_failure(*TF, path=None, line=None, stack="tap")]),
        make_result("T3", 9.0, [make_failure(*SYN, line=5)], model=SynthStatus.OK),
        make_result("T4", 10.0, [], model=SynthStatus.OK, ideal=SynthStatus.SKIPPED),
        make_result(
            "T5",
            None,
            status=TaskStatus.INVALID,
            reason="no MODEL_RESPONSE.md <script>alert(1)</script>",
            model=None,
            ideal=None,
            metadata={},
        ),
    ]


def run_b() -> list[TaskResult]:
    """The same tasks by another model, plus one of its own (T6); T5 is missing."""
    return [
        make_result("T1", 4.0, [make_failure(*SYN)]),
        make_result("T2", 6.5, [make_failure(*AWS, address="aws_rds_cluster.primary")], model=SynthStatus.OK),
        make_result("T3", 7.0, [make_failure(*PY)], model=SynthStatus.OK),
        make_result("T4", 10.0, [], model=SynthStatus.OK),
        make_result("T6", 3.0, [make_failure(*SYN), make_failure(*TF)]),
    ]


def write_run(
    run_dir: Path, results: list[TaskResult], *, findings_csv: bool = True, results_csv: bool = True
) -> Path:
    """A run directory as a batch leaves it."""
    for r in results:
        write_task_outputs(r, run_dir / r.task_id)
    if results_csv:
        write_results_csv(results, run_dir / "results.csv")
    if findings_csv:
        write_findings_csv(results, run_dir / "findings.csv")
    return run_dir


# --- reading the page back --------------------------------------------------------------------


class PageParser(HTMLParser):
    """The parts of the page the tests look at: charts, bars, table rows and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: list[str] = []
        self.bars: list[dict[str, str]] = []  # with "chart": the chart the bar is in
        self.rows: dict[str, list[dict[str, str]]] = {}  # table id -> its body rows' attributes
        self.links: list[str] = []
        self.body: dict[str, str] = {}
        self.tables: dict[str, dict[str, str]] = {}
        self.external: list[str] = []
        self.kpis: list[tuple[str, str]] = []  # (data-kpi, its text), run by run
        self.ids: set[str] = set()
        self.templates: dict[str, dict[str, str]] = {}  # drill-down id -> its attributes
        self._kpi = ""
        self._chart = ""
        self._table = ""
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "link", "iframe") and (a.get("src") or a.get("href")):
            self.external.append(a.get("src") or a.get("href") or "")
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "template":
            self.templates[a["id"]] = a
        if tag == "body":
            self.body = a
        elif tag == "svg" and "data-chart" in a:
            self._chart = a["data-chart"]
            self.charts.append(self._chart)
        elif tag == "rect" and a.get("class") == "bar":
            self.bars.append({**a, "chart": self._chart})
        elif tag == "table" and "id" in a:
            self._table = a["id"]
            self.tables[self._table] = a
            self.rows[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.rows[self._table].append(a)
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "dd" and "data-kpi" in a:
            self._kpi = a["data-kpi"]

    def handle_data(self, data: str) -> None:
        if self._kpi:
            self.kpis.append((self._kpi, data.strip()))
            self._kpi = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = ""
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = ""


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def bar_values(page: PageParser, chart: str, series: str | None = None) -> dict[str, float]:
    return {
        b["data-category"]: float(b["data-value"])
        for b in page.bars
        if b["chart"] == chart and (series is None or b["data-series"] == series)
    }


# --- the CSVs ---------------------------------------------------------------------------------


def test_results_row_counts_categories_and_timings() -> None:
    row = results_row(run_a()[0])
    assert row["cat_api_consistency"] == 1 and row["cat_python_practice"] == 1
    assert row["cat_aws_service_limits"] == 0
    assert set(CATEGORY_COLUMNS.values()) <= set(row)
    assert (row["synth_model_s"], row["synth_ideal_s"], row["grade_s"], row["total_s"]) == (
        0.5,
        0.25,
        0.125,
        1.0,
    )
    # A stage that never ran is empty, not zero.
    assert results_row(make_result("X", None, status=TaskStatus.INVALID))["grade_s"] == 0.125
    assert results_row(TaskResult(task_id="Y", status=TaskStatus.INVALID))["synth_ideal_s"] is None


def test_findings_rows_one_per_failure() -> None:
    failure = make_failure(
        *AWS, address="aws_rds_cluster.primary", anchor="aws_rds_cluster.primary", merged=("PY004", "TF009")
    )
    rows = findings_rows(make_result("T9", 5.0, [failure, make_failure(*PY, line=3)]))
    assert [tuple(r) for r in rows] == [FINDINGS_COLUMNS, FINDINGS_COLUMNS]
    assert rows[0] == {
        "task_id": "T9",
        "rule_id": "AWS003",
        "severity": "High",
        "category": "AWS Service Limitations",
        "title": "AWS003 title",
        "location": "lib/tap_stack.py:10",
        "anchor": "aws_rds_cluster.primary",
        "merged": "PY004 TF009",
        "fix_minutes": 4,
        "error_kind": "",
        "occurrences": 1,
    }
    assert rows[1]["location"] == "lib/tap_stack.py:3"
    seen = failure.model_copy(
        update={"error": "TypeError: x", "error_kind": ErrorKind.OBSERVED, "occurrences": 3}
    )
    row = findings_rows(make_result("T9", 5.0, [seen]))[0]
    assert (row["error_kind"], row["occurrences"]) == ("observed", 3)


def test_write_findings_and_results_csv(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", run_a())
    findings = pd.read_csv(run / "findings.csv")
    assert list(findings.columns) == list(FINDINGS_COLUMNS)
    assert findings["task_id"].tolist() == ["T1", "T1", "T2", "T2", "T3"]
    assert findings["rule_id"].value_counts()["SYN001"] == 3
    results = pd.read_csv(run / "results.csv")
    assert list(results.columns)[: len(BASE_COLUMNS)] == list(BASE_COLUMNS)
    assert results["cat_api_consistency"].tolist() == [1, 1, 1, 0, 0]
    assert results["total_s"].tolist() == [1.0] * 5
    write_findings_csv([], tmp_path / "empty.csv")
    assert list(pd.read_csv(tmp_path / "empty.csv").columns) == list(FINDINGS_COLUMNS)
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]


# --- one run ----------------------------------------------------------------------------------


@pytest.fixture
def one_run(tmp_path: Path) -> tuple[Path, Path, PageParser, str]:
    run = write_run(tmp_path / "runs" / "model-a", run_a())
    out = tmp_path / "site" / "dashboard.html"
    write_dashboard([run], out)
    html = out.read_text(encoding="utf-8")
    return run, out, parse(html), html


def test_every_chart_is_there(one_run: tuple[Path, Path, PageParser, str]) -> None:
    _, _, page, _ = one_run
    assert set(page.charts) == CHART_IDS
    assert {b["chart"] for b in page.bars} == BAR_CHART_IDS


def test_chart_values(one_run: tuple[Path, Path, PageParser, str]) -> None:
    _, _, page, _ = one_run
    histogram = bar_values(page, "score-histogram")
    assert histogram["2–3"] == 1 and histogram["6–7"] == 1 and histogram["9–10"] == 2  # 10 is in the last bin
    assert sum(histogram.values()) == 4  # the invalid task has no score
    assert bar_values(page, "failures-by-severity") == {"Critical": 4, "High": 0, "Medium": 1, "Low": 0}
    assert bar_values(page, "failures-by-category") == {
        "API Consistency": 3,
        "Production Readiness": 1,
        "Python Best Practices": 1,
    }
    rules = bar_values(page, "failures-by-rule")
    assert list(rules) == [RULE_LABEL["SYN001"], RULE_LABEL["PY001"], RULE_LABEL["TF001"]]
    assert list(rules.values()) == [3, 1, 1]
    # Model: 2 of 4 looked at synthesize (T5 was never looked at); ideal: 3 of 4 (T4's has no code).
    assert bar_values(page, "synth-pass-rate") == {"Model": 50, "Ideal": 75}
    # JSON the rules read: T1 (repaired), T3 and T4 of the 4 models synthesized; the 3 ideals with code.
    kpis = dict(page.kpis)
    assert (kpis["model-json"], kpis["ideal-json"]) == ("3/4 (75%)", "3/3 (100%)")


def test_task_rows_and_links(one_run: tuple[Path, Path, PageParser, str]) -> None:
    _, out, page, _ = one_run
    rows = page.rows["task-table"]
    assert [r["data-task"] for r in rows] == ["T1", "T2", "T3", "T4", "T5"]
    # Each task opens its analysis, embedded in the page: nothing links out of the folder.
    drills = [link for link in page.links if link.startswith("#drill-")]
    assert drills[:5] == [f"#drill-r0-T{i}" for i in range(1, 6)]
    assert not [link for link in page.links if not link.startswith("#")]
    assert_links_resolve(out)
    assert "comparison-table" not in page.rows


def test_page_is_self_contained_and_escaped(one_run: tuple[Path, Path, PageParser, str]) -> None:
    _, _, page, html = one_run
    assert page.external == []
    # The only http(s) URIs are XML namespaces, which nothing fetches.
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "@import" not in html and "url(" not in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert page.body["data-ready"] == "0"  # the script sets 1; see the browser test


def test_links_follow_the_output_path(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", run_a()[:1])
    # In or above the run directory, a task's raw files are linked: the folder holds both.
    beside = parse(render_dashboard([run], tmp_path / "run" / "index.html"))
    assert {"T1/analysis.md", "T1/result.json", "#drill-r0-T1"} <= set(beside.links)
    above = parse(render_dashboard([run], tmp_path / "dashboard.html"))
    assert {"run/T1/analysis.md", "run/T1/result.json"} <= set(above.links)
    # Elsewhere such a link would break when the page moves: only the embedded analysis is linked.
    aside = parse(render_dashboard([run], tmp_path / "site" / "dashboard.html"))
    assert aside.links and all(link.startswith("#drill-") for link in aside.links)


def assert_links_resolve(page: Path) -> None:
    """Every link and resource of `page` resolves: an element of the page, or a file beside it."""
    parsed = parse(page.read_text(encoding="utf-8"))
    assert parsed.links
    for link in [*parsed.links, *parsed.external]:
        assert "://" not in link and not link.startswith("/"), link
        if link.startswith("#"):
            assert link[1:] in parsed.ids, link
        else:
            assert (page.parent / unquote(link)).is_file(), link


@pytest.mark.parametrize("where", ["inside", "aside"])
def test_links_survive_moving_the_folder(tmp_path: Path, where: str) -> None:
    run = write_run(tmp_path / "old" / "runs" / "model-a", run_a())
    page = run / "index.html" if where == "inside" else tmp_path / "old" / "site" / "dashboard.html"
    write_dashboard([run], page)
    # The folder the page is in moves (with the run, when the page is inside it); the rest is gone.
    moved = tmp_path / "new" / "place"
    moved.parent.mkdir(parents=True)
    page.parent.rename(moved)
    shutil.rmtree(tmp_path / "old")
    assert_links_resolve(moved / page.name)
    links = parse((moved / page.name).read_text(encoding="utf-8")).links
    assert ("T1/analysis.md" in links) == (where == "inside")


def test_fallback_to_result_json(tmp_path: Path) -> None:
    with_csv = write_run(tmp_path / "a" / "run", run_a())
    without = write_run(tmp_path / "b" / "run", run_a(), findings_csv=False, results_csv=False)
    expected = parse(render_dashboard([with_csv], tmp_path / "x.html"))
    page = parse(render_dashboard([without], tmp_path / "x.html"))
    for chart in CHART_IDS:
        assert bar_values(page, chart) == bar_values(expected, chart), chart
    assert [r["data-task"] for r in page.rows["task-table"]] == ["T1", "T2", "T3", "T4", "T5"]
    assert "failures from result.json" in render_dashboard([without], tmp_path / "x.html")


def test_task_ids_stay_text(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [make_result("0042", 5.0, [make_failure(*PY)])])
    page = parse(render_dashboard([run], tmp_path / "x.html"))
    assert [r["data-task"] for r in page.rows["task-table"]] == ["0042"]


def test_empty_run_and_missing_run(tmp_path: Path) -> None:
    empty = write_run(tmp_path / "empty", [])
    page = parse(render_dashboard([empty], tmp_path / "x.html"))
    assert set(page.charts) == CHART_IDS and page.rows["task-table"] == []
    with pytest.raises(DashboardError, match="no such run directory"):
        render_dashboard([tmp_path / "nope"])
    (tmp_path / "bare").mkdir()
    with pytest.raises(DashboardError, match=r"neither results\.csv"):
        render_dashboard([tmp_path / "bare"])
    (tmp_path / "bare" / "results.csv").write_text("", encoding="utf-8")
    with pytest.raises(DashboardError, match="not a readable CSV"):
        render_dashboard([tmp_path / "bare"])


def test_run_labels_tell_equal_names_apart(tmp_path: Path) -> None:
    assert run_labels([tmp_path / "a" / "out", tmp_path / "b" / "out", tmp_path / "c"]) == [
        "a/out",
        "b/out",
        "c",
    ]
    assert run_labels([tmp_path / "x", tmp_path / "x"]) == ["x", "x (2)"]


# --- several runs -----------------------------------------------------------------------------


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, PageParser]:
    a = write_run(tmp_path / "runs" / "model-a", run_a())
    b = write_run(tmp_path / "runs" / "model-b", run_b())
    out = tmp_path / "compare.html"
    write_dashboard([a, b], out)
    return out, parse(out.read_text(encoding="utf-8"))


def test_several_runs_side_by_side(two_runs: tuple[Path, PageParser]) -> None:
    _, page = two_runs
    for chart in BAR_CHART_IDS:
        assert {b["data-series"] for b in page.bars if b["chart"] == chart} == {"model-a", "model-b"}, chart
    assert bar_values(page, "synth-pass-rate", "model-b") == {"Model": 60, "Ideal": 100}
    assert bar_values(page, "failures-by-severity", "model-b")["High"] == 1
    rules_b = bar_values(page, "failures-by-rule", "model-b")
    assert rules_b[RULE_LABEL["SYN001"]] == 2 and rules_b[RULE_LABEL["AWS003"]] == 1
    rows = page.rows["task-table"]
    assert len(rows) == 10
    assert [(r["data-run"], r["data-task"]) for r in rows][4:6] == [("model-a", "T5"), ("model-b", "T1")]


def test_comparison_table(two_runs: tuple[Path, PageParser]) -> None:
    out, page = two_runs
    assert [r["data-task"] for r in page.rows["comparison-table"]] == ["T1", "T2", "T3", "T4", "T5", "T6"]
    html = out.read_text(encoding="utf-8")
    body = html.split('id="comparison-table"')[1]
    assert "Δ score model-b − model-a" in body
    # T2 went from 2 to 6.5, T3 from 9 to 7: the signs are shown and coloured.
    assert re.search(r'class="num delta-up" data-sort-value="4\.5">\+4\.5<', body)
    assert re.search(r'class="num delta-down" data-sort-value="-2\.0">−2<', body)
    assert 'href="#drill-r1-T6"' in body
    assert 'title="not in this run">absent' in body


# --- a real browser ---------------------------------------------------------------------------


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/ensure-chromium.sh` (make test does)")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _screenshot(page: Path, png: Path, profile: Path) -> None:
    png.unlink(missing_ok=True)
    done = _chromium([f"--screenshot={png}", "--window-size=1400,1800", page.as_uri()], profile)
    assert done.returncode == 0, done.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1400, 1800)
    # A blank page compresses to a few kilobytes; charts, text and a table do not.
    assert len(data) > 40_000, f"screenshot looks empty ({len(data)} bytes)"


@pytest.mark.browser
def test_dashboard_in_headless_chromium(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    a = write_run(tmp_path / "runs" / "model-a", run_a())
    b = write_run(tmp_path / "runs" / "model-b", run_b())
    single = write_dashboard([a], tmp_path / "dashboard.html")
    compare = write_dashboard([a, b], tmp_path / "compare.html")
    profile = tmp_path / "chromium-profile"

    _screenshot(single, ARTIFACTS / "dashboard.png", profile)
    _screenshot(compare, ARTIFACTS / "dashboard-compare.png", profile)

    # The DOM after the script ran, opened with ?sort=score: ascending, the unscored task last.
    done = _chromium(["--dump-dom", single.as_uri() + "?sort=score"], profile)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse(done.stdout)
    assert dom.body.get("data-ready") == "1", "the page's script did not run"
    assert set(dom.charts) == CHART_IDS and len(dom.bars) > 20
    assert dom.tables["task-table"]["data-sort-key"] == "score"
    assert [r["data-task"] for r in dom.rows["task-table"]] == ["T2", "T1", "T3", "T4", "T5"]

    # Two runs, ?sort=-score: descending, ties keep the page's order (run A first), unscored last.
    done = _chromium(["--dump-dom", compare.as_uri() + "?sort=-score"], profile)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse(done.stdout)
    assert dom.body.get("data-ready") == "1"
    assert dom.tables["task-table"]["data-sort-dir"] == "desc"
    assert [(r["data-run"][-1], r["data-task"]) for r in dom.rows["task-table"]] == [
        ("a", "T4"),
        ("b", "T4"),
        ("a", "T3"),
        ("b", "T3"),
        ("a", "T1"),
        ("b", "T2"),
        ("b", "T1"),
        ("b", "T6"),
        ("a", "T2"),
        ("a", "T5"),
    ]
