"""Extraction loses no file: every block of every corpus answer is a file or has a stated reason.

The facts asserted per task were read by hand in ../shared/corpus/dev. No answer there is cut off
and none keeps a whole stack under a path in parentheses, so those two behaviours are checked on
real answers edited the way such answers look: Pr7289's 1,039-line stack (its only block) once
under `### Complete CDKTF Stack (tap_stack.py)` and once with the answer ending inside a call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.extraction import Extraction
from iacgrade.harness.core.mdblocks import scan_blocks
from iacgrade.harness.core.tasks import Task
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.cdktf_python.extract import extract_files
from iacgrade.harness.platforms.cdktf_python.platform import CdktfPython
from tests.paths import DEV_CORPUS

CORPUS = DEV_CORPUS
ANSWERS = sorted(CORPUS.glob("*/lib/*_RESPONSE.md")) if CORPUS.is_dir() else []

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


def _answer_id(path: Path) -> str:
    return f"{path.parts[-3]}/{path.stem.split('_')[0]}"


def _extract(answer: str) -> Extraction:
    task, doc = answer.split("/")
    return extract_files((CORPUS / task / "lib" / f"{doc}_RESPONSE.md").read_text(encoding="utf-8"))


def _lines(answer: str) -> list[str]:
    task, doc = answer.split("/")
    return (CORPUS / task / "lib" / f"{doc}_RESPONSE.md").read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize("path", ANSWERS, ids=[_answer_id(p) for p in ANSWERS])
def test_every_block_is_a_file_or_has_a_reason(path: Path) -> None:
    markdown = path.read_text(encoding="utf-8")
    got = extract_files(markdown)
    opening = [b.start + 1 for b in scan_blocks(markdown.replace("\r\n", "\n").split("\n"))]
    placed = [f.line for f in got.files if not f.fragment]
    left_out = got.left_out()
    assert all(s.reason.strip() for s in left_out)
    assert sorted(placed + [s.line for s in left_out]) == opening  # each block exactly once


@pytest.mark.parametrize("path", ANSWERS, ids=[_answer_id(p) for p in ANSWERS])
def test_every_placed_file_reaches_the_workspace(path: Path) -> None:
    markdown = path.read_text(encoding="utf-8")
    # The reference's markdown, not its `ideal/` tree: the tree would win over it.
    task = Task(id=path.parts[-3], path=path.parent.parent, model_md=markdown, ideal_md=markdown)
    side = "model" if path.name.startswith("MODEL") else "ideal"
    ws = build_workspace(task, side, CdktfPython())
    assert ws.extraction is not None
    whole = [f for f in ws.extraction.files if not f.fragment]
    assert ws.has_code == any(f.path.endswith(".py") for f in whole)
    for f in whole:
        assert ws.files[f.path] == f.content, (_answer_id(path), f.path)


def test_no_corpus_answer_is_cut_off() -> None:
    # Near misses: Pr7948's test module imports `lib.lambda...` (a keyword) at line 211 of 295;
    # Pr6845's reference elides a method body at line 404 of 500, mid-answer; Pr6463's answer ends
    # in an unclosed README fenced as python; Pr7169's last snippet misses a comma on line 3 of 5.
    assert {_answer_id(p): _extract(_answer_id(p)).truncated for p in ANSWERS} == {
        _answer_id(p): {} for p in ANSWERS
    }


def test_answers_without_code_have_none_to_lose() -> None:
    # Pr6845 narrates its first attempt in excerpts, Pr7169 lists before/after snippets without
    # paths, Pr7438 is prose without one fence, Pr7826 is empty: "no code" is right for all four.
    pr6845 = _extract("Pr6845/MODEL")
    assert not pr6845.has_code
    assert [(s.line, s.reason) for s in pr6845.left_out()] == [
        (52, "fragment of lib/tap_stack.py (heading-paren-path), not the whole file"),
        (64, "no path"),
        (90, "directory tree"),
    ]
    pr7169 = _extract("Pr7169/MODEL")
    assert (pr7169.has_code, pr7169.blocks, len(pr7169.skipped)) == (False, 20, 20)
    assert {s.reason for s in pr7169.skipped} == {"no path"}
    assert (_extract("Pr7438/MODEL").blocks, _extract("Pr7826/MODEL").blocks) == (0, 0)


def test_whole_modules_under_a_path_in_parentheses_are_files() -> None:
    # Pr7101's reference: `### 1. Main Stack (tap_stack.py)` and six more stack modules, each a
    # class (abridged in places); TapStack imports them as lib.<name>. It was "no code" before.
    got = _extract("Pr7101/IDEAL")
    paths = {f.path: f for f in got.files}
    assert sorted(paths) == [
        "lib/backup_stack.py",
        "lib/compute_stack.py",
        "lib/database_stack.py",
        "lib/dns_stack.py",
        "lib/monitoring_stack.py",
        "lib/networking_stack.py",
        "lib/tap_stack.py",
    ]
    assert not any(f.fragment for f in got.files) and got.has_code
    stack = paths["lib/tap_stack.py"]
    assert (stack.line, len(stack.content.splitlines())) == (13, 46)
    assert "class TapStack(TerraformStack):" in stack.content


def test_excerpts_under_a_path_in_parentheses_stay_fragments() -> None:
    # Pr6435's reference quotes nine corrections as lines lifted out of methods; they parse but
    # are not modules (`S3Backend(self, ...)`, a bare `@property` method, an import list).
    got = _extract("Pr6435/IDEAL")
    quoted = [f for f in got.files if f.how == "heading-paren-path"]
    assert quoted and all(f.fragment for f in quoted) and not got.has_code
    assert "lib/tap_stack.py" in {f.path for f in quoted}


def test_a_corpus_stack_under_a_path_in_parentheses_is_the_file() -> None:
    lines = _lines("Pr7289/MODEL")
    assert lines[15] == "## File: lib/tap_stack.py"
    lines[15] = "### Complete CDKTF Stack (tap_stack.py)"
    got = extract_files("\n".join(lines))
    f = got.by_path()["lib/tap_stack.py"]
    assert (f.how, f.fragment, f.line) == ("heading-paren-path", False, 18)
    assert len(f.content.splitlines()) == 1039 and got.has_code


def test_a_corpus_stack_cut_off_mid_call_keeps_its_file() -> None:
    lines = _lines("Pr7289/MODEL")
    # Block line 641 sits in the `tags={` of `cloudfront = CloudfrontDistribution(` (line 600);
    # the answer ends there, halfway through the line.
    block = lines[18:1057]
    assert block[599].strip() == "cloudfront = CloudfrontDistribution("
    cut_row = block[640]
    answer = "\n".join([*lines[:18], *block[:640], cut_row[: len(cut_row) // 2]])
    got = extract_files(answer)
    f = got.by_path()["lib/tap_stack.py"]
    assert got.truncated == {"lib/tap_stack.py": 641} and got.has_code
    kept = f.content.splitlines()
    assert kept == block[:599]  # lines 1-599: the cut call (from line 600 on) is dropped
    task = Task(id="Pr7289-cut", path=CORPUS / "Pr7289", model_md=answer)
    ws = build_workspace(task, "model", CdktfPython())
    assert ws.has_code and ws.stack_class and ws.truncated == {"lib/tap_stack.py": 641}
    run = run_rules(GradeContext(ws, None), only=["SYN002", "SYN003"])
    assert [(f.rule_id, f.message) for f in run.findings] == [
        ("SYN003", "the answer's code is truncated at `lib/tap_stack.py:641`")
    ]
