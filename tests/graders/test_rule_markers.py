"""The fixture cases' contract: `# expect:` markers, how findings are held against them, and what a
saved synth.json keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacgrade.harness.core.findings import Category, Finding, Location, Severity
from iacgrade.harness.core.synth import Frame, SynthResult, SynthStatus
from tests.rule_fixtures import Case, Marker, markers_in, mismatches
from tests.rule_synth import drift, hand_made, stored, write


def _finding(
    rule_id: str, path: str | None, line: int | None, anchor: str = "a", severity: str = "High"
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title="t",
        severity=Severity(severity),
        category=Category.RESOURCE_CONFIGURATION,
        message="m",
        location=Location(path=path, line=line),
        anchor=anchor,
    )


def test_markers_name_ids_severities_and_repeats_on_their_line() -> None:
    text = 'x = 1\nBucket(self, "b")  # expect: AWS005, PY003 (Medium), AWS005\n# expect:SEC:CKV_AWS_24\n'
    assert markers_in("lib/s.py", text) == [
        Marker("AWS005", "lib/s.py", 2),
        Marker("PY003", "lib/s.py", 2, "Medium"),
        Marker("AWS005", "lib/s.py", 2),
        Marker("SEC:CKV_AWS_24", "lib/s.py", 3),
    ]


def test_a_marker_quoted_in_prose_is_none() -> None:
    assert markers_in("lib/s.py", "# mark the line with `# expect: AWS005` (see the README)\n") == []


@pytest.mark.parametrize(
    "marker", ["# expect: aws005", "# expect: AWS005 High", "# expect:", "# expect: AWS05"]
)
def test_a_malformed_marker_is_an_error_not_a_passing_case(marker: str) -> None:
    with pytest.raises(ValueError, match=r"lib/s\.py:1: malformed marker"):
        markers_in("lib/s.py", f"x = 1  {marker}\n")


def test_findings_must_be_exactly_at_the_marked_lines() -> None:
    marked = [Marker("AWS005", "lib/s.py", 3), Marker("AWS005", "lib/s.py", 9)]
    assert (
        mismatches([_finding("AWS005", "lib/s.py", 3), _finding("AWS005", "lib/s.py", 9)], marked, []) == []
    )
    problems = mismatches([_finding("AWS005", "lib/s.py", 3), _finding("AWS005", "lib/s.py", 8)], marked, [])
    assert problems == ["missing: lib/s.py:9 AWS005", "unexpected: lib/s.py:8 AWS005 [a] m"]
    # Two findings on one line need the id twice.
    twice = [_finding("AWS005", "lib/s.py", 3)] * 2
    assert mismatches(twice, marked[:1], []) == ["unexpected: lib/s.py:3 AWS005 [a] m"] * 2


def test_a_marked_severity_must_be_the_findings() -> None:
    marked = [Marker("PY001", "lib/s.py", 3, "Medium")]
    assert mismatches([_finding("PY001", "lib/s.py", 3, severity="Medium")], marked, []) == []
    assert mismatches([_finding("PY001", "lib/s.py", 3, severity="Low")], marked, []) == [
        "severity at lib/s.py:3 PY001: marked ['Medium'], got ['Low']"
    ]


def test_findings_with_no_line_are_held_against_the_unlocated_anchors() -> None:
    loose = _finding("SYN002", None, None, anchor="no-code")
    assert mismatches([loose], [], ["no-code"]) == []
    assert mismatches([loose], [], []) == ["unexpected: unlocated no-code (no location)"]
    assert mismatches([], [], ["no-code"]) == ["missing: unlocated no-code"]


def test_a_case_fails_when_it_marks_its_rule_and_passes_otherwise(tmp_path: Path) -> None:
    (tmp_path / "files" / "lib").mkdir(parents=True)
    stack = tmp_path / "files" / "lib" / "tap_stack.py"
    stack.write_text("x = 1  # expect: PY003\n", encoding="utf-8")
    case = Case("AWS005", "other-rule-only", tmp_path)
    assert not case.fails and case.marked_rules() == {"PY003"}
    stack.write_text("x = 1  # expect: AWS005\n", encoding="utf-8")
    assert case.fails
    (tmp_path / "case.toml").write_text('unlocated = ["no-code"]\n', encoding="utf-8")
    stack.write_text("x = 1\n", encoding="utf-8")
    assert case.fails and case.unlocated() == ["no-code"]


def test_a_finding_at_a_file_the_answer_lacks_is_marked_in_case_toml(tmp_path: Path) -> None:
    (tmp_path / "files" / "lib").mkdir(parents=True)
    (tmp_path / "files" / "lib" / "tap_stack.py").write_text("x = 1\n", encoding="utf-8")
    case = Case("TST001", "no-tests", tmp_path)
    (tmp_path / "case.toml").write_text('absent = ["tests/unit/test_tap_stack.py:1 TST001"]\n')
    assert case.markers() == [Marker("TST001", "tests/unit/test_tap_stack.py", 1)] and case.fails
    for entry in ("tests/unit/test_tap_stack.py TST001", "lib/tap_stack.py:1 TST001"):
        (tmp_path / "case.toml").write_text(f'absent = ["{entry}"]\n')
        with pytest.raises(ValueError, match=r"malformed absent entry|mark the line instead"):
            case.markers()


def test_a_case_carries_the_tasks_prompt_and_metadata_beside_its_files(tmp_path: Path) -> None:
    (tmp_path / "files" / "lib").mkdir(parents=True)
    (tmp_path / "files" / "lib" / "tap_stack.py").write_text("x = 1\n", encoding="utf-8")
    case = Case("TST001", "asked", tmp_path)
    assert (case.context().prompt, dict(case.context().metadata)) == ("", {})
    (tmp_path / "PROMPT.md").write_text("- Unit tests for all components\n", encoding="utf-8")
    (tmp_path / "metadata.json").write_text('{"platform": "cdktf"}', encoding="utf-8")
    ctx = case.context()
    assert ctx.prompt == "- Unit tests for all components\n" and ctx.metadata == {"platform": "cdktf"}


def test_a_hand_made_synth_says_why_in_case_toml(tmp_path: Path) -> None:
    case = Case("SYN001", "timeout", tmp_path)
    assert hand_made(case) == ""
    (tmp_path / "case.toml").write_text('synth = "hand-made: no runnable app times out the same way"\n')
    assert hand_made(case) == "hand-made: no runnable app times out the same way"
    (tmp_path / "case.toml").write_text('synth = "handmade"\n')
    with pytest.raises(ValueError, match="only 'hand-made: <why>' is known"):
        hand_made(case)
    (tmp_path / "case.toml").write_text('unlocatd = ["no-code"]\n')
    with pytest.raises(ValueError, match=r"unknown keys \['unlocatd'\]"):
        case.unlocated()


def test_a_stored_synth_keeps_what_rules_read_and_drops_what_varies_by_run(tmp_path: Path) -> None:
    result = SynthResult(
        status=SynthStatus.ERROR,
        error_type="TypeError",
        message="m",
        traceback='File "tap.py", line 6\n    ^^^^',
        frame=Frame(file="tap.py", line=6, code="TapStack("),
        seconds=1.5,
        worker="w1",
        seed=7,
        clock="1980-01-01",
    )
    assert stored(result) == {
        "status": "error",
        "error_type": "TypeError",
        "message": "m",
        "frame": {"file": "tap.py", "line": 6, "code": "TapStack("},
    }
    case = Case("SYN001", "fails", tmp_path)
    write(case, result)
    assert drift(case, result.model_copy(update={"seconds": 9.0})) == ""
    moved = drift(case, result.model_copy(update={"frame": Frame(file="tap.py", line=7, code="TapStack(")}))
    assert moved.startswith("--- SYN001/fails/synth.json\n+++ synthesized now")
    assert '-  "line": 6' in moved and '+  "line": 7' in moved
