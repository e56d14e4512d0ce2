"""Extraction of files from Markdown answers: one test per naming convention, then the corpus."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.extraction import ExtractedFile, Extraction
from iacgrade.harness.core.mdblocks import parse_fence, scan_blocks
from iacgrade.harness.core.tasks import Task
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.cdktf_python.extract import extract_files, normalise_path
from iacgrade.harness.platforms.cdktf_python.platform import CdktfPython
from iacgrade.harness.platforms.cdktf_python.pysource import find_truncation
from tests.paths import DEV_CORPUS

CORPUS = DEV_CORPUS
FENCE = "```"


def md(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def block(language: str, *body: str) -> str:
    return "\n".join((FENCE + language, *body, FENCE))


def only_file(extraction: Extraction) -> ExtractedFile:
    assert len(extraction.files) == 1, extraction
    return extraction.files[0]


def accounted(extraction: Extraction) -> bool:
    """Every fenced block is either a file or a skipped block, exactly once."""
    return len(extraction.files) + len(extraction.skipped) == extraction.blocks


# --- one test per convention -------------------------------------------------------------------


@pytest.mark.parametrize("heading", ["## File: lib/tap_stack.py", "### File: lib/tap_stack.py"])
def test_heading_file(heading: str) -> None:
    got = extract_files(md("Intro.", "", heading, "", block("python", "x = 1")))
    f = only_file(got)
    assert (f.path, f.how, f.language, f.line, f.content, f.fragment) == (
        "lib/tap_stack.py",
        "heading-file",
        "python",
        5,
        "x = 1\n",
        False,
    )


@pytest.mark.parametrize(
    ("heading", "path"),
    [
        ("## lib/tap_stack.py", "lib/tap_stack.py"),
        ("### lib/lambda/payment_validator/handler.py", "lib/lambda/payment_validator/handler.py"),
        ("### cdktf.json (Original)", "cdktf.json"),
    ],
)
def test_heading_path(heading: str, path: str) -> None:
    f = only_file(extract_files(md(heading, block("python", "x = 1"))))
    assert (f.path, f.how, f.fragment) == (path, "heading-path", False)


@pytest.mark.parametrize(
    ("heading", "path"),
    [
        ("## Main Stack - lib/tap_stack.py", "lib/tap_stack.py"),
        ("### Main Stack File: lib/tap_stack.py (1,743 lines)", "lib/tap_stack.py"),
        ("### Entry Point: tap.py", "tap.py"),
        ("### 1. lib/__init__.py", "lib/__init__.py"),
        ("### Configuration: cdktf.json", "cdktf.json"),
    ],
)
def test_heading_text_path(heading: str, path: str) -> None:
    f = only_file(extract_files(md(heading, "", block("python", "x = 1"))))
    assert (f.path, f.how) == (path, "heading-text-path")


def test_heading_with_path_in_parentheses_is_a_fragment() -> None:
    f = only_file(extract_files(md("### Initial Imports (lib/tap_stack.py)", block("python", "import os"))))
    assert (f.path, f.how, f.fragment) == ("lib/tap_stack.py", "heading-paren-path", True)


def test_heading_search_skips_a_description_line() -> None:
    text = md(
        "### 2. lib/tap_stack.py", "", "Main stack file that builds everything.", "", block("python", "x = 1")
    )
    assert only_file(extract_files(text)).path == "lib/tap_stack.py"


def test_a_heading_without_path_ends_the_search() -> None:
    text = md("## File: lib/a.py", block("python", "a = 1"), "## Deployment", block("python", "print(1)"))
    got = extract_files(text)
    assert [f.path for f in got.files] == ["lib/a.py"]
    assert [s.reason for s in got.skipped] == ["no path"]


@pytest.mark.parametrize(
    ("line", "path", "fragment"),
    [
        ("**File: lib/stacks/compute_stack.py**", "lib/stacks/compute_stack.py", False),
        ("**File: requirements.txt** (add archive provider)", "requirements.txt", False),
        ("**File: lib/stacks/network_stack.py** (excerpt)", "lib/stacks/network_stack.py", True),
        ("**File:** lib/x.py", "lib/x.py", False),
        ("**lib/x.py**", "lib/x.py", False),
        ("**lib/__init__.py**", "lib/__init__.py", False),
    ],
)
def test_bold_path(line: str, path: str, fragment: bool) -> None:
    f = only_file(extract_files(md("### 1. Packaging", line, block("python", "x = 1"))))
    assert (f.path, f.how, f.fragment) == (path, "bold-path", fragment)


@pytest.mark.parametrize(
    ("language", "first", "path"),
    [
        ("python", "# lib/tap_stack.py", "lib/tap_stack.py"),
        ("javascript", "// lib/lambda/index.js", "lib/lambda/index.js"),
        ("python", "# File: lib/x.py", "lib/x.py"),
    ],
)
def test_first_line_comment(language: str, first: str, path: str) -> None:
    f = only_file(extract_files(md("## Main Stack File", block(language, first, "x = 1"))))
    assert (f.path, f.how, f.language) == (path, "first-line-comment", language)
    assert f.content.startswith(first)  # the comment is part of the file as written


def test_a_comment_that_is_not_a_path_names_nothing() -> None:
    got = extract_files(md("## Tests", block("python", "# Unit tests", "x = 1")))
    assert got.files == () and got.skipped[0].reason == "no path"


@pytest.mark.parametrize(
    "info", ['python title="lib/x.py"', "python:lib/x.py", "python lib/x.py", "{.python file=lib/x.py}"]
)
def test_fence_info(info: str) -> None:
    f = only_file(extract_files(md("## Something else", block(info, "x = 1"))))
    assert (f.path, f.how, f.language) == ("lib/x.py", "fence-info", "python")


@pytest.mark.parametrize("line", ["`lib/x.py`:", "In `lib/x.py`:", "`lib/x.py`"])
def test_backtick_above(line: str) -> None:
    f = only_file(extract_files(md(line, block("python", "x = 1"))))
    assert (f.path, f.how) == ("lib/x.py", "backtick-above")


def test_a_sentence_mentioning_a_path_names_nothing() -> None:
    got = extract_files(
        md("Modify the instance class in `lib/tap_stack.py`:", block("python", 'size = "large"'))
    )
    assert got.files == ()


def test_the_fence_info_wins_over_the_heading() -> None:
    f = only_file(extract_files(md("## File: lib/a.py", block("python title=lib/b.py", "x = 1"))))
    assert f.path == "lib/b.py"


# --- non-Python files, shell snippets, trees ---------------------------------------------------


def test_non_python_blocks_that_name_a_path_are_files() -> None:
    text = md(
        "## File: requirements.txt",
        block("", "cdktf>=0.19.0"),
        "## File: cdktf.json",
        block("json", "{}"),
        "## File: lib/lambda/Dockerfile",
        block("dockerfile", "FROM python:3.11"),
        "### File: scripts/package.sh",
        block("bash", "zip -r f.zip ."),
    )
    got = extract_files(text)
    assert [f.path for f in got.files] == [
        "requirements.txt",
        "cdktf.json",
        "lib/lambda/Dockerfile",
        "scripts/package.sh",
    ]
    assert not got.has_code


@pytest.mark.parametrize(
    ("language", "body", "reason"),
    [
        ("bash", ("cdktf deploy",), "shell snippet"),
        ("console", ("$ pipenv run cdktf synth",), "shell snippet"),
        ("", ("export ENVIRONMENT_SUFFIX=dev", "cdktf deploy"), "shell snippet"),
        ("", ("lib/", "├── tap_stack.py", "└── __init__.py"), "directory tree"),
        ("", ("lib/", "  tap_stack.py", "  lambda/"), "directory tree"),
        ("", ("http://<alb-dns-name>",), "no path"),
        ("json", ('{"vpc_id": "vpc-123"}',), "no path"),
    ],
)
def test_unnamed_blocks_that_are_not_files(language: str, body: tuple[str, ...], reason: str) -> None:
    got = extract_files(md("## Deployment", block(language, *body)))
    assert got.files == ()
    assert [(s.line, s.reason) for s in got.skipped] == [(2, reason)]


def test_a_file_structure_heading_is_not_a_file_heading() -> None:
    got = extract_files(md("## File Structure", block("", "lib/", "├── tap_stack.py")))
    assert got.files == () and got.skipped[0].reason == "directory tree"


def test_a_shell_snippet_under_a_path_heading_stays_a_snippet() -> None:
    got = extract_files(md("## lib/tap_stack.py", block("bash", "pytest tests/")))
    assert got.files == () and got.skipped[0].reason == "shell snippet"


# --- placement by content ----------------------------------------------------------------------

STACK = ("from cdktf import TerraformStack", "class MyStack(TerraformStack):", "    pass")
APP = ("from cdktf import App", "app = App()", "app.synth()")


def test_an_unnamed_stack_class_goes_to_the_stack_module() -> None:
    f = only_file(extract_files(md("Here is the stack:", block("python", *STACK))))
    assert (f.path, f.how) == ("lib/tap_stack.py", "content-stack-class")


def test_an_unnamed_app_goes_to_the_entry_point() -> None:
    f = only_file(extract_files(md("Run it with:", block("python", *APP))))
    assert (f.path, f.how) == ("tap.py", "content-app-entry")


def test_a_self_contained_app_goes_to_the_entry_point() -> None:
    f = only_file(extract_files(md(block("python", *STACK, *APP))))
    assert (f.path, f.how) == ("tap.py", "content-app-entry")


def test_placement_never_takes_a_named_path() -> None:
    text = md(block("python", *APP), "## File: tap.py", block("python", "print('named')"))
    got = extract_files(text)
    assert only_file(got).how == "heading-file"
    assert got.skipped[0].reason == "no path (tap.py is named by the block at line 7)"


def test_unnamed_python_without_stack_or_app_is_not_a_file() -> None:
    got = extract_files(md(block("python", 'TapStack(app, "tap")')))
    assert got.files == () and got.skipped[0].reason == "no path"


# --- nested fences -----------------------------------------------------------------------------


def test_a_markdown_block_keeps_its_inner_fences() -> None:
    readme = ("# Title", "", "Deploy:", block("bash", "cdktf deploy"), "", "## Cleanup", "The end.")
    text = md(
        "## File: lib/README.md",
        block("markdown", *readme),
        "",
        "## File: lib/x.py",
        block("python", "x = 1"),
    )
    got = extract_files(text)
    assert got.blocks == 2 and accounted(got)
    files = got.by_path()
    assert files["lib/README.md"].content == "\n".join(readme) + "\n"
    assert files["lib/x.py"].content == "x = 1\n"


def test_a_bare_inner_block_after_a_colon_is_nested() -> None:
    readme = (
        "Logs go to:",
        block("", "/aws/lambda/x"),
        "",
        "Cleanup:",
        block("bash", "cdktf destroy"),
        "Done.",
    )
    got = extract_files(md("## File: lib/README.md", block("markdown", *readme)))
    assert only_file(got).content.endswith("Done.\n")


def test_a_bare_inner_block_is_nested_when_closing_would_unbalance_the_rest() -> None:
    readme = ("## Diagram", "", block("", "┌───┐", "└───┘"), "", "## More", "Text.")
    got = extract_files(md("## File: lib/README.md", block("markdown", *readme)))
    assert only_file(got).content.endswith("## More\nText.\n")


def test_a_closing_fence_followed_at_once_by_the_next_file_still_closes() -> None:
    text = md(
        "## File: lib/README.md", block("markdown", "# Title"), "## File: lib/x.py", block("python", "x = 1")
    )
    files = extract_files(text).by_path()
    assert files["lib/README.md"].content == "# Title\n"
    assert files["lib/x.py"].content == "x = 1\n"


def test_a_readme_fenced_as_python_still_nests() -> None:
    readme = ("# Title", "1. Install:", "   " + FENCE + "bash", "   pip install x", "   " + FENCE, "Tail.")
    got = extract_files(md("## File: lib/README.md", block("python", *readme)))
    assert only_file(got).content.endswith("Tail.\n")


def test_tilde_and_long_fences() -> None:
    text = md(
        "## File: lib/a.md",
        "~~~markdown",
        block("bash", "ls"),
        "~~~",
        "## File: lib/b.md",
        "````markdown",
        FENCE,
        "plain",
        FENCE,
        "````",
    )
    files = extract_files(text).by_path()
    assert files["lib/a.md"].content == "```bash\nls\n```\n"
    assert files["lib/b.md"].content == "```\nplain\n```\n"


def test_scanner_basics() -> None:
    lines = ["   ```python", "   x = 1", "     y", "   ```", "```", "open"]
    blocks = scan_blocks(lines)
    assert [(b.start, b.end, b.language, b.closed) for b in blocks] == [
        (0, 3, "python", True),
        (4, 6, "", False),
    ]
    assert blocks[0].content == "x = 1\n  y"  # the opening fence's indentation is removed
    assert parse_fence("``` a`b") is None  # a backtick in the info string makes it inline code


def test_many_ambiguous_fences_stay_linear() -> None:
    # Each ambiguous fence may look ahead over the rest of the document; a budget keeps a hostile
    # answer from making that quadratic (this input took minutes before the budget).
    text = "## File: a.md\n```markdown\n" + "```\nx\n" * 20_000
    started = time.monotonic()
    got = extract_files(text)
    assert accounted(got)
    assert time.monotonic() - started < 10


def test_crlf_line_endings() -> None:
    f = only_file(extract_files("## File: lib/x.py\r\n```python\r\nx = 1\r\n```\r\n"))
    assert (f.path, f.content) == ("lib/x.py", "x = 1\n")


# --- the same path twice -----------------------------------------------------------------------


def test_a_later_complete_block_replaces_an_earlier_one() -> None:
    text = md("## File: lib/x.py", block("python", "x = 1"), "## File: lib/x.py", block("python", "x = 2"))
    got = extract_files(text)
    assert only_file(got).content == "x = 2\n"
    assert [(s.line, s.reason) for s in got.skipped] == [(2, "superseded by block at line 6")]


def test_a_fragment_does_not_replace_a_complete_block() -> None:
    text = md(
        "## File: lib/x.py",
        block("python", "x = 1"),
        "## File: lib/x.py (excerpt)",
        block("python", "x = 2"),
        "### Fix (lib/x.py)",
        block("python", "x = 3"),
        "## File: lib/x.py",
        block("python", "    def method(self):", "        pass"),
    )
    got = extract_files(text)
    assert only_file(got).content == "x = 1\n" and accounted(got)
    assert {s.reason for s in got.skipped} == {"fragment of lib/x.py; block at line 2 kept"}


def test_a_complete_block_replaces_a_fragment() -> None:
    text = md(
        "### Imports (lib/x.py)", block("python", "import os"), "## File: lib/x.py", block("python", "x = 1")
    )
    f = only_file(extract_files(text))
    assert (f.content, f.fragment) == ("x = 1\n", False)


def test_a_block_that_does_not_parse_does_not_replace_one_that_does() -> None:
    text = md(
        "## File: lib/x.py", block("python", "x = 1"), "## File: lib/x.py", block("python", "def broken(:")
    )
    got = extract_files(text)
    assert only_file(got).content == "x = 1\n"
    assert got.skipped[0].reason == "does not parse; block at line 2 of lib/x.py kept"


def test_a_lone_fragment_is_kept_but_is_not_code() -> None:
    got = extract_files(md("### Initial Imports (lib/tap_stack.py)", block("python", "import os")))
    assert only_file(got).fragment and not got.has_code


# --- a path in parentheses ---------------------------------------------------------------------

TAP_STACK = (
    "from cdktf import TerraformStack",
    "from constructs import Construct",
    "",
    "",
    "class TapStack(TerraformStack):",
    "    def __init__(self, scope: Construct, stack_id: str):",
    "        super().__init__(scope, stack_id)",
)


def test_a_whole_module_under_a_path_in_parentheses_is_the_file() -> None:
    got = extract_files(md("### Complete CDKTF Stack (tap_stack.py)", block("python", *TAP_STACK)))
    f = only_file(got)
    assert (f.path, f.how, f.fragment, f.line) == ("lib/tap_stack.py", "heading-paren-path", False, 2)
    assert f.content == "\n".join(TAP_STACK) + "\n"
    assert got.has_code and got.left_out() == ()


@pytest.mark.parametrize(
    ("heading", "body"),
    [
        ("### Initial Imports (lib/tap_stack.py)", ("import os", "from cdktf import App")),
        ("### 10. S3 Backend (tap_stack.py)", ('S3Backend(self, bucket="b", key="k")',)),
        (
            "### 3. WAF ARN (tap_stack.py)",
            ("@property", "def waf_arn(self) -> str:", "    return self._acl.arn"),
        ),
        ("### Stack excerpt (tap_stack.py)", TAP_STACK),
        ("### Parameters (tap_stack.py)", ("def __init__(self, scope,", "             tags=None):")),
    ],
    ids=["imports-only", "method-lines", "method-def", "cued-excerpt", "does-not-parse"],
)
def test_an_excerpt_under_a_path_in_parentheses_is_a_fragment(heading: str, body: tuple[str, ...]) -> None:
    got = extract_files(
        md("Text.", "", heading, block("python", *body), "Deploy:", block("bash", "cdktf deploy"))
    )
    f = only_file(got)
    assert (f.path, f.how, f.fragment) == ("lib/tap_stack.py", "heading-paren-path", True)
    assert not got.has_code
    assert [s.reason for s in got.left_out()] == [
        "fragment of lib/tap_stack.py (heading-paren-path), not the whole file",
        "shell snippet",
    ]


@pytest.mark.parametrize(
    ("mention", "body", "path"),
    [
        ("tap_stack.py", ("def helper() -> int:", "    return 1"), "lib/tap_stack.py"),
        ("network.py", ("from lib.other import x", "def helper() -> int:", "    return 1"), "lib/network.py"),
        ("data_stack.py", TAP_STACK, "lib/data_stack.py"),
        ("helpers.py", ("def helper() -> int:", "    return 1"), "helpers.py"),
        ("lib/stacks/x.py", ("def helper() -> int:", "    return 1"), "lib/stacks/x.py"),
        ("tap.py", ("from cdktf import App", "app = App()", "app.synth()"), "tap.py"),
    ],
    ids=["stack-module", "imported-from-lib", "defines-a-stack", "unknown-stays", "with-folder", "entry"],
)
def test_a_bare_name_in_parentheses_goes_where_the_project_keeps_it(
    mention: str, body: tuple[str, ...], path: str
) -> None:
    imports_network = block("python", "from lib.network import helper", "def main() -> None:", "    helper()")
    text = md(f"### Module ({mention})", block("python", *body), "### Main (main.py)", imports_network)
    assert extract_files(text).files[0].path == path


# --- an answer cut off mid-statement -----------------------------------------------------------

CUT_STACK = (
    *TAP_STACK,
    '        S3Bucket(self, "data", bucket_prefix="data-")',
    "        S3Bucket(",
    "            self,",
    '            "logs",',
    "            tags={",
    '                "Purpose": "lo',
)


def test_a_file_cut_off_mid_call_keeps_its_whole_statements() -> None:
    text = md("## File: lib/tap_stack.py", "", FENCE + "python", *CUT_STACK)  # the fence never closes
    got = extract_files(text)
    f = only_file(got)
    assert (f.path, f.fragment, f.truncated_at) == ("lib/tap_stack.py", False, len(CUT_STACK))
    assert got.truncated == {"lib/tap_stack.py": 13} and got.has_code
    # The call that was cut is dropped; every kept line keeps its number.
    assert f.content.splitlines() == list(CUT_STACK[:8])
    assert f.original == "\n".join(CUT_STACK) + "\n"
    assert got.left_out() == ()


def test_a_cut_that_leaves_a_block_open_closes_it_with_pass() -> None:
    body = (*TAP_STACK, "        if True:", "            S3Bucket(self,")
    f = only_file(extract_files(md("## File: lib/tap_stack.py", block("python", *body))))
    rows = f.content.splitlines()
    assert rows[: len(TAP_STACK) + 1] == [*TAP_STACK, "        if True:"]
    assert rows[len(TAP_STACK) + 1].strip().startswith("pass")
    assert f.truncated_at == len(body)


def test_an_unnamed_block_cut_off_is_placed_by_what_it_keeps() -> None:
    got = extract_files(md("Here is the stack:", FENCE + "python", *CUT_STACK))
    f = only_file(got)
    assert (f.path, f.how, f.truncated_at) == ("lib/tap_stack.py", "content-stack-class", 13)


def test_a_cut_block_followed_by_more_of_the_answer_is_not_truncation() -> None:
    # A block shortened on purpose mid-answer stays as written (it does not parse: SYN001's).
    text = md(
        "## File: lib/tap_stack.py", block("python", *CUT_STACK), "## Deploy", block("bash", "cdktf deploy")
    )
    got = extract_files(text)
    assert got.truncated == {}
    assert got.by_path()["lib/tap_stack.py"].content == "\n".join(CUT_STACK) + "\n"


@pytest.mark.parametrize(
    "body",
    [
        ("x = 1", "from lib.lambda.handler import main", "y = 2"),  # a keyword as a module name
        ("x = foo(1,", "y = 2", "def g() -> int:", "    return 1"),  # a bracket left open further up
        ("def broken(:",),
    ],
    ids=["keyword", "open-bracket-further-up", "one-line-error"],
)
def test_a_syntax_error_is_not_a_cut(body: tuple[str, ...]) -> None:
    got = extract_files(md("## File: lib/x.py", FENCE + "python", *body))
    assert got.truncated == {} and only_file(got).content == "\n".join(body) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "kept"),
    [
        ("x = 1\ny = foo(1,\n    a=2,\n", 3, "x = 1\n"),
        ("x = 1\ny = \n", 2, "x = 1\n"),
        ("x = 1\ny = '''abc\nimport json\n", 3, "x = 1\n"),
        ("x = 1\ny = 1 + \\\n", 2, "x = 1\n"),
        ("class A:\n    x = 1\n    @property\n    def f(self,\n", 4, "class A:\n    x = 1\n"),
        (
            "try:\n    a = 1\n    b = foo(\n",
            3,
            "try:\n    a = 1\nfinally:\n    pass  # the answer's text stops here\n",
        ),
        ("x = 1\n\n\n", None, None),
        ("x = = 1\ny = foo(\n", None, None),
    ],
    ids=[
        "open-call",
        "assignment",
        "string",
        "backslash",
        "decorated-header",
        "inside-try",
        "parses",
        "earlier-error",
    ],
)
def test_find_truncation(text: str, line: int | None, kept: str | None) -> None:
    cut = find_truncation(text)
    assert (cut.line, cut.kept) == (line, kept) if cut else (line, kept) == (None, None)


def test_a_cut_answer_is_code_and_syn003_names_the_cut() -> None:
    task = Task(
        id="cut", path=Path("cut"), model_md=md("## File: lib/tap_stack.py", FENCE + "python", *CUT_STACK)
    )
    ws = build_workspace(task, "model", CdktfPython())
    assert ws.has_code and ws.truncated == {"lib/tap_stack.py": 13}
    assert ws.stack_class == "TapStack"  # what was kept still builds
    assert any("stops mid-statement at line 13" in note for note in ws.notes)
    run = run_rules(GradeContext(ws, None), only=["SYN002", "SYN003"])
    assert [(f.rule_id, f.message, str(f.location)) for f in run.findings] == [
        ("SYN003", "the answer's code is truncated at `lib/tap_stack.py:13`", "lib/tap_stack.py:13")
    ]
    evidence = run.findings[0].evidence.splitlines()
    assert len(evidence) == 6 and evidence[-1].strip() == '"Purpose": "lo'


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "lib/../../x",
        "C:\\x.py",
        "~/.ssh/id_rsa",
        "lib/\x01x.py",
        "a" * 300,
    ],
)
def test_unsafe_paths_are_never_files(raw: str) -> None:
    got = extract_files(md(f"## File: {raw}", block("python", "x = 1")))
    assert got.files == ()
    assert got.skipped[0].reason.startswith("unsafe path: ")


def test_unsafe_path_reason_names_the_path() -> None:
    got = extract_files(md("## File: ../../etc/passwd", block("", "root:x:0:0")))
    assert got.skipped[0].reason == "unsafe path: ../../etc/passwd"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("./lib/x.py", "lib/x.py"),
        ("`lib/x.py`", "lib/x.py"),
        ("lib/x.py:", "lib/x.py"),
        ("lib//./x.py", "lib/x.py"),
    ],
)
def test_paths_are_normalised(raw: str, path: str) -> None:
    assert normalise_path(raw) == (path, "")


def test_odd_but_real_paths_are_kept_as_written() -> None:
    assert only_file(extract_files(md("## File: lib/lib/tap_stack.py", block("python", "x = 1")))).path == (
        "lib/lib/tap_stack.py"
    )


def test_empty_answer() -> None:
    got = extract_files("")
    assert (got.files, got.skipped, got.blocks, got.has_code) == ((), (), 0, False)


# --- the corpus --------------------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
ANSWERS = sorted(CORPUS.glob("*/lib/*_RESPONSE.md")) if CORPUS.is_dir() else []
STACK_CLASS = re.compile(r"^class\s+(\w+)\s*\([^)]*\bTerraformStack\b", re.M)


def _answer_id(path: Path) -> str:
    return f"{path.parts[-3]}/{path.stem.split('_')[0]}"


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[str, Extraction]]:
    texts = {_answer_id(p): p.read_text(encoding="utf-8") for p in ANSWERS}
    return {answer: (text, extract_files(text)) for answer, text in texts.items()}


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("answer", [_answer_id(p) for p in ANSWERS])
def test_corpus_answer(corpus: dict[str, tuple[str, Extraction]], answer: str) -> None:
    markdown, got = corpus[answer]
    assert accounted(got)
    for f in got.files:
        assert normalise_path(f.path) == (f.path, "")
    python_files = [f.content for f in got.files if f.path.endswith(".py")]
    for b in scan_blocks(markdown.replace("\r\n", "\n").split("\n")):
        if b.language in ("python", "py"):
            for name in STACK_CLASS.findall(b.content):
                assert any(f"class {name}" in text for text in python_files), (answer, name)
    for f in got.files:
        if f.path.endswith(".md"):
            inner = [line for line in f.content.splitlines() if parse_fence(line)]
            assert len(inner) % 2 == 0, (answer, f.path, "a Markdown file ended inside one of its blocks")


# Where a README nests fences, its last lines prove the whole file was kept. Pr7292 has a bare
# inner block, Pr6616 an inner diagram and no closing fence at all, Pr6463 a README fenced as python.
README_ENDS = {
    "Pr7111/MODEL": (
        "To destroy all resources:",
        "- `sns_topic_arn`: ARN of the SNS topic for success notifications",
    ),
    "Pr7292/MODEL": ("/aws/lambda/config-remediation-{environment_suffix}", "without manual intervention."),
    "Pr6616/MODEL": ("## Architecture Diagram", "- Integrate with AWS Secrets Manager for API keys"),
    "Pr6463/MODEL": ("cdktf deploy", "- Node groups can be scaled via AWS console or CLI"),
}


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("answer", sorted(README_ENDS))
def test_corpus_readmes_are_whole(corpus: dict[str, tuple[str, Extraction]], answer: str) -> None:
    inside, last = README_ENDS[answer]
    readme = corpus[answer][1].by_path()["lib/README.md"].content
    assert inside in readme
    assert readme.rstrip("\n").endswith(last)
