"""Stack classes and entry points found in an answer's Python files, without running them."""

from __future__ import annotations

import ast
from pathlib import Path
from textwrap import dedent

import pytest

from iacgrade.harness.platforms.cdktf_python.extract import extract_files
from iacgrade.harness.platforms.cdktf_python.foreign import foreign_code
from iacgrade.harness.platforms.cdktf_python.pysource import (
    StackClass,
    find_entry_points,
    find_stack_classes,
    module_name,
    parse_python,
    parse_source,
)
from tests.paths import DEV_CORPUS

CORPUS = DEV_CORPUS


def src(text: str) -> str:
    return dedent(text).lstrip("\n")


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("lib/tap_stack.py", "lib.tap_stack"),
        ("lib/main.py", "lib.main"),
        ("tap.py", "tap"),
        ("lib/__init__.py", "lib"),
        ("lib/stacks/network_stack.py", "lib.stacks.network_stack"),
    ],
)
def test_module_name(path: str, module: str) -> None:
    assert module_name(path) == module


def test_parse_python_reports_syntax_errors_and_ignores_other_files() -> None:
    parsed = parse_python({"a.py": "x = 1\n", "b.py": "def f(:\n", "c.py": "x = '\0'\n", "README.md": "# hi"})
    assert set(parsed) == {"a.py", "b.py", "c.py"}
    assert isinstance(parsed["a.py"], ast.Module)
    assert isinstance(parsed["b.py"], SyntaxError)
    assert isinstance(parsed["c.py"], SyntaxError)  # a NUL byte is the answer's problem, not a crash


# --- stack classes -----------------------------------------------------------------------------


def test_a_direct_subclass_with_its_init_signature() -> None:
    code = src(
        """
        from cdktf import TerraformStack
        from constructs import Construct

        class TapStack(TerraformStack):
            def __init__(self, scope: Construct, construct_id: str, *, environment_suffix: str, **kwargs):
                super().__init__(scope, construct_id)

        class Helper(Construct):
            pass
        """
    )
    assert find_stack_classes({"lib/tap_stack.py": code}) == [
        StackClass(
            module="lib.tap_stack",
            name="TapStack",
            path="lib/tap_stack.py",
            line=4,
            params=("scope", "construct_id", "environment_suffix"),
            accepts_kwargs=True,
        )
    ]


@pytest.mark.parametrize(
    "code",
    [
        "import cdktf\nclass S(cdktf.TerraformStack):\n    pass\n",
        "from cdktf import TerraformStack as TS\nclass S(TS):\n    pass\n",
        "from cdktf import TerraformStack\nif True:\n    class S(TerraformStack):\n        pass\n",
    ],
    ids=["attribute", "alias", "under-if"],
)
def test_other_spellings_of_the_base(code: str) -> None:
    found = find_stack_classes({"lib/x.py": code})
    assert [(s.name, s.params, s.accepts_kwargs) for s in found] == [("S", (), False)]


def test_a_subclass_of_an_answer_stack_is_a_stack_across_files() -> None:
    files = {
        "lib/base.py": "from cdktf import TerraformStack\nclass BaseStack(TerraformStack):\n    pass\n",
        "lib/tap_stack.py": "from lib.base import BaseStack\nclass TapStack(BaseStack):\n    pass\n",
        "lib/deep.py": "from lib.tap_stack import TapStack\nclass Deeper(TapStack):\n    pass\n",
    }
    assert [s.name for s in find_stack_classes(files)] == ["TapStack", "BaseStack", "Deeper"]


def test_stack_order_prefers_tapstack_then_the_stack_module_then_path() -> None:
    stack = "from cdktf import TerraformStack\nclass {}(TerraformStack):\n    pass\n"
    files = {
        "a/first.py": stack.format("Alpha"),
        "lib/tap_stack.py": stack.format("Primary") + stack.format("Secondary").split("\n", 1)[1],
        "z/last.py": stack.format("TapStack"),
    }
    assert [(s.name, s.path) for s in find_stack_classes(files)] == [
        ("TapStack", "z/last.py"),
        ("Primary", "lib/tap_stack.py"),
        ("Secondary", "lib/tap_stack.py"),
        ("Alpha", "a/first.py"),
    ]


def test_classes_in_functions_and_files_that_do_not_parse_are_not_stacks() -> None:
    head = "from cdktf import TerraformStack\n"
    files = {
        "lib/f.py": head + "def make():\n    class S(TerraformStack):\n        pass\n",
        "lib/broken.py": head + "class B(TerraformStack):\n    def __init__(self\n",
    }
    assert find_stack_classes(files) == []


# --- entry points ------------------------------------------------------------------------------

MODULE_LEVEL = "from cdktf import App\napp = App()\napp.synth()\n"
IMPORTED_APP = "from lib.tap_stack import TapStack, app\nTapStack(app, 'tap')\napp.synth()\n"
UNDER_MAIN = 'import cdktf\nif __name__ == "__main__":\n    app = cdktf.App()\n    app.synth()\n'
VIA_MAIN = src(
    """
    from cdktf import App

    def main():
        app = App()
        app.synth()

    if __name__ == "__main__":
        main()
    """
)


@pytest.mark.parametrize(
    "code", [MODULE_LEVEL, UNDER_MAIN, VIA_MAIN], ids=["module-level", "under-main", "via-main"]
)
def test_entry_points(code: str) -> None:
    assert find_entry_points({"run.py": code}) == ["run.py"]


@pytest.mark.parametrize(
    "code",
    [
        "from cdktf import App\napp = App()\n",  # never synthesizes
        "from cdktf import App\ndef main():\n    App().synth()\n",  # never called
        "from cdktf import App\nclass T:\n    def test(self):\n        App().synth()\n",  # a test method
        "from cdktf import App\napp = App(\n",  # does not parse
        "import lib\nlib.app.synth()\n",  # synth of something that is not known to be an app
    ],
    ids=["no-synth", "uncalled-function", "method", "syntax-error", "unknown-receiver"],
)
def test_not_entry_points(code: str) -> None:
    assert find_entry_points({"run.py": code}) == []


def test_entry_point_order() -> None:
    files = {
        p: MODULE_LEVEL for p in ("x/run.py", "lib/main.py", "bin/tap.py", "main.py", "tap.py", "a/go.py")
    }
    assert find_entry_points(files) == [
        "tap.py",
        "main.py",
        "bin/tap.py",
        "lib/main.py",
        "a/go.py",
        "x/run.py",
    ]


# --- the corpus --------------------------------------------------------------------------------

MODELS = sorted(CORPUS.glob("*/lib/MODEL_RESPONSE.md")) if CORPUS.is_dir() else []
# Read by hand: Pr6845 narrates the model's first attempt in excerpts (its only Python is an import
# fragment), Pr7169 lists before/after snippets without paths, Pr7438 is prose without a single
# fence and Pr7826 is empty. The design notes count the same four model answers without code.
MODELS_WITHOUT_CODE = {"Pr6845", "Pr7169", "Pr7438", "Pr7826"}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.corpus
@pytest.mark.parametrize("path", MODELS, ids=[p.parts[-3] for p in MODELS])
def test_corpus_models_with_code_have_a_stack_class(path: Path) -> None:
    task = path.parts[-3]
    extraction = extract_files(path.read_text(encoding="utf-8"))
    assert extraction.has_code == (task not in MODELS_WITHOUT_CODE)
    if extraction.has_code:
        files = {f.path: f.content for f in extraction.files}
        assert find_stack_classes(files), f"{task}: no TerraformStack subclass"


def test_one_text_is_parsed_once_whatever_path_its_callers_name() -> None:
    text = "from cdktf import App\napp = App()\n"
    assert parse_source(text, "lib/a.py") is parse_source(text, "lib/b.py") is parse_source(text)


def test_a_syntax_error_names_the_path_its_caller_read() -> None:
    text = "def broken(:\n    pass\n"
    first, second = parse_source(text, "lib/a.py"), parse_source(text, "lib/b.py")
    assert isinstance(first, SyntaxError) and isinstance(second, SyntaxError)
    assert (first.filename, second.filename) == ("lib/a.py", "lib/b.py")
    assert (first.lineno, first.msg) == (second.lineno, second.msg)
    indented = parse_source("if True:\npass\n", "lib/c.py")
    assert isinstance(indented, IndentationError) and indented.filename == "lib/c.py"


def test_the_platform_check_reads_an_answer_with_a_nul_byte_by_its_import_lines() -> None:
    files = {"lib/tap_stack.py": "from aws_cdk import Stack\nx = '\0'\n"}
    policy = {"imports": ["cdktf"], "others": {"aws_cdk": "AWS CDK"}, "languages": {}}
    wrong = ("Wrong platform", "the model's Python builds on AWS CDK, not CDKTF")
    assert foreign_code(files, policy) == wrong
