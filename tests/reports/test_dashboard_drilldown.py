"""The dashboard's drill-down views: each task's analysis embedded as HTML (a hostile one inert),
the findings table and its filters, score vs training_quality, numeric sorting, cached or fresh
timings; and the same views in headless Chromium (the page's script filters and opens them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iacgrade.harness.core.results import TaskResult
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.pipeline.cached import from_cache
from iacgrade.reports.dashboard import render_dashboard, write_dashboard
from iacgrade.reports.drilldown import SynthSource, render_markdown, synth_source
from tests.paths import ARTIFACTS
from tests.reports.test_dashboard import (
    PY,
    PageParser,
    _chromium,
    assert_links_resolve,
    make_failure,
    make_result,
    parse,
    run_a,
    write_run,
)

# What an answer could smuggle into its analysis: the report quotes the answers' code as it is.
PAYLOAD = 'document.body.setAttribute("data-pwned", "1")'
HOSTILE = f"""# Hostile analysis

<script>{PAYLOAD}</script>

<img src="x" onerror='{PAYLOAD}'>

[click me](javascript:{PAYLOAD}) and [data](data:text/html,<script>{PAYLOAD}</script>)

</template><script>{PAYLOAD}</script>

```python
print("</article></dialog><script>{PAYLOAD}</script>")
```
"""


def hostile_run(run_dir: Path) -> Path:
    """run_a with one more task whose analysis is hostile."""
    results = [*run_a(), make_result("T9", 5.0, [make_failure(*PY)])]
    write_run(run_dir, results)
    (run_dir / "T9" / "analysis.md").write_text(HOSTILE, encoding="utf-8")
    return run_dir


def scripts_of(html: str) -> int:
    return len(re.findall(r"<script\b", html, flags=re.IGNORECASE))


def test_markdown_is_rendered_and_raw_html_is_not() -> None:
    html = str(render_markdown("# Title\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n`x` <b>bold</b>"))
    assert "<h1>Title</h1>" in html and "<td>1</td>" in html and "<code>x</code>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    hostile = str(render_markdown(HOSTILE))
    assert scripts_of(hostile) == 0 and "<img" not in hostile and "</template>" not in hostile
    assert "javascript:" not in re.findall(r'href="([^"]*)"', hostile) and 'href="' not in hostile


def test_hostile_analysis_is_inert_in_the_page(tmp_path: Path) -> None:
    run = hostile_run(tmp_path / "run")
    html = write_dashboard([run], tmp_path / "dashboard.html").read_text(encoding="utf-8")
    assert scripts_of(html) == 2  # the page's own two
    page = parse(html)
    assert page.external == [] and not [link for link in page.links if ":" in link]
    assert_links_resolve(tmp_path / "dashboard.html")
    drill = html.split('id="drill-r0-T9"')[1].split("</template>")[0]
    assert "&lt;script&gt;" in drill and "&lt;img" in drill and "&lt;/template&gt;" in drill


def test_every_task_has_its_analysis_embedded(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", run_a())
    html = render_dashboard([run], tmp_path / "dashboard.html")
    page = parse(html)
    assert sorted(page.templates) == [f"drill-r0-T{i}" for i in range(1, 6)]
    t1 = page.templates["drill-r0-T1"]
    assert t1["data-facts"] == "graded · score 6.5 · 2 failures · 1 s (fresh)"
    body = html.split('id="drill-r0-T1"')[1].split("</template>")[0]
    assert "<h1>Model Response Failures Analysis</h1>" in body
    assert "<strong>Impact Level</strong>: Critical" in body and "<code>lib/tap_stack.py:20</code>" in body
    # A task without analysis.md (a run still writing it, or a copied table) says so.
    (run / "T2" / "analysis.md").unlink()
    html = render_dashboard([run], tmp_path / "dashboard.html")
    assert "no analysis for this task yet" in html.split('id="drill-r0-T2"')[1].split("</template>")[0]


def test_findings_table_and_its_filters(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", run_a())
    html = render_dashboard([run], tmp_path / "dashboard.html")
    rows = parse(html).rows["finding-table"]
    assert [(r["data-task"], r["data-rule"], r["data-severity"]) for r in rows] == [
        ("T1", "SYN001", "Critical"),
        ("T1", "PY001", "Medium"),
        ("T2", "SYN001", "Critical"),
        ("T2", "TF001", "Critical"),
        ("T3", "SYN001", "Critical"),
    ]
    assert {r["data-category"] for r in rows} == {
        "API Consistency",
        "Python Best Practices",
        "Production Readiness",
    }
    options = {
        key: re.findall(
            r'<option value="([^"]*)"', html.split(f'id="finding-filter-{key}"')[1].split("</select>")[0]
        )
        for key in ("rule", "severity", "category")
    }
    assert options == {
        "rule": ["", "PY001", "SYN001", "TF001"],
        "severity": ["", "Critical", "Medium"],  # by rank, only those present
        "category": ["", "API Consistency", "Production Readiness", "Python Best Practices"],
    }
    # Each finding links to its task's drill-down; severity sorts by rank, not alphabetically.
    body = html.split('id="finding-table"')[1]
    assert 'href="#drill-r0-T2"' in body
    assert re.search(r'data-sort-value="0"><span class="pill">Critical', body)
    assert re.search(r'data-sort-value="2"><span class="pill">Medium', body)


def with_quality(task_id: str, score: float, quality: object) -> TaskResult:
    return make_result(task_id, score, metadata={"complexity": "hard", "training_quality": quality})


def test_score_vs_training_quality(tmp_path: Path) -> None:
    results = [
        with_quality("Q1", 8.0, 10.0),
        with_quality("Q2", 3.0, 2.0),
        with_quality("Q3", 8.0, 10.0),  # the same pair as Q1: one circle of two
        with_quality("Q4", 9.5, 9),
        make_result("Q5", 7.0, metadata={}),  # no training_quality: not plotted
    ]
    run = write_run(tmp_path / "run", results)
    html = render_dashboard([run], tmp_path / "dashboard.html")
    points = re.findall(
        r'<circle class="point" data-series="run" data-x="([^"]+)" data-y="([^"]+)" data-count="(\d+)"', html
    )
    assert sorted(points) == [("10", "8", "2"), ("2", "3", "1"), ("9", "9.5", "1")]
    stats = re.search(r'data-run="run" data-n="(\d+)" data-rho="([^"]+)"', html)
    assert stats is not None and stats.groups() == ("4", "0.33")


def test_numeric_metadata_sorts_as_numbers(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [with_quality("N1", 5.0, 10.0), with_quality("N2", 5.0, 2.0)])
    html = render_dashboard([run], tmp_path / "dashboard.html")
    assert '<th class="num" data-key="training_quality" data-type="number">' in html
    assert '<th data-key="complexity" data-type="text">' in html
    assert 'data-sort-value="10.0">10.0</td>' in html


def test_timings_say_cached_or_fresh(tmp_path: Path) -> None:
    fresh = make_result("F1", 5.0, model=SynthStatus.OK)
    assert fresh.model is not None and fresh.ideal is not None and fresh.model.synth and fresh.ideal.synth
    cached = fresh.model_copy(
        update={
            "task_id": "C1",
            "model": fresh.model.model_copy(update={"synth": from_cache(fresh.model.synth)}),
            "ideal": fresh.ideal.model_copy(update={"synth": from_cache(fresh.ideal.synth)}),
        }
    )
    partly = cached.model_copy(update={"task_id": "P1", "ideal": fresh.ideal})
    invalid = run_a()[4]
    as_json = [r.model_dump(mode="json") for r in (fresh, cached, partly, invalid)]
    assert [synth_source(d) for d in as_json] == [
        SynthSource.FRESH,
        SynthSource.CACHED,
        SynthSource.MIXED,
        SynthSource.NONE,
    ]
    run = write_run(tmp_path / "run", [fresh, cached, partly, invalid])
    html = render_dashboard([run], tmp_path / "dashboard.html")
    labels = dict(re.findall(r'data-task="(\w+)".*?data-synth="([^"]*)"', html, flags=re.DOTALL)[:4])
    assert labels == {"F1": "fresh", "C1": "cached", "P1": "partly cached", "T5": ""}
    kpis = dict(parse(html).kpis)
    assert kpis["synth-sources"] == "1 / 1 (+1 partly)"


# --- a real browser ---------------------------------------------------------------------------


def dom(url: str, profile: Path) -> tuple[str, PageParser]:
    done = _chromium(["--dump-dom", url], profile)
    assert done.returncode == 0, done.stderr[-2000:]
    page = parse(done.stdout)
    assert page.body.get("data-ready") == "1" and page.body.get("data-drill-ready") == "1"
    return done.stdout, page


def shown(page: PageParser, table: str) -> list[str]:
    return [f"{r['data-task']}:{r['data-rule']}" for r in page.rows[table] if "hidden" not in r]


@pytest.mark.browser
def test_drilldown_in_headless_chromium(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    run = hostile_run(tmp_path / "runs" / "model-a")
    write_run(tmp_path / "quality", [with_quality("N1", 5.0, 10.0), with_quality("N2", 6.0, 2.0)])
    page = write_dashboard([run], tmp_path / "site" / "dashboard.html")
    profile = tmp_path / "chromium-profile"

    # The findings filters, set from the URL as a user's choice would set them.
    _, everything = dom(page.as_uri(), profile)
    assert len(shown(everything, "finding-table")) == 6
    _, by_rule = dom(page.as_uri() + "?rule=SYN001", profile)
    assert shown(by_rule, "finding-table") == ["T1:SYN001", "T2:SYN001", "T3:SYN001"]
    assert by_rule.tables["finding-table"]["data-shown"] == "3"
    _, narrowed = dom(page.as_uri() + "?severity=Medium&category=Python+Best+Practices", profile)
    assert shown(narrowed, "finding-table") == ["T1:PY001", "T9:PY001"]

    # A drill-down opened by its link: the dialog is open and holds the rendered analysis.
    html, _ = dom(page.as_uri() + "#drill-r0-T1", profile)
    dialog = html.split('<dialog id="drilldown"')[1].split("</dialog>")[0]
    assert re.match(r"[^>]*\bopen\b", dialog) and 'data-drill="drill-r0-T1"' in dialog
    assert "<h1>Model Response Failures Analysis</h1>" in dialog and "T1" in dialog

    # The hostile analysis, opened: its script did not run, its markup is text.
    html, hostile = dom(page.as_uri() + "#drill-r0-T9", profile)
    assert "data-pwned" not in hostile.body, "an analysis ran a script"
    dialog = html.split('<dialog id="drilldown"')[1].split("</dialog>")[0]
    assert "&lt;script&gt;" in dialog and "<img" not in dialog and "<h1>Hostile analysis</h1>" in dialog

    # A numeric metadata column sorts as numbers: 2.0 before 10.0.
    numbers = write_dashboard([tmp_path / "quality"], tmp_path / "quality.html")
    _, ordered = dom(numbers.as_uri() + "?sort=training_quality", profile)
    assert [r["data-task"] for r in ordered.rows["task-table"]] == ["N2", "N1"]

    # What the drill-down looks like, for a reader of the test run.
    png = ARTIFACTS / "dashboard-drilldown.png"
    png.unlink(missing_ok=True)
    done = _chromium(
        [f"--screenshot={png}", "--window-size=1400,1100", page.as_uri() + "#drill-r0-T1"], profile
    )
    assert done.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png.read_bytes()) > 40_000, "the drill-down screenshot looks empty"
