"""Imports of test modules into the answer's own packages, resolved against the answer's files."""

from __future__ import annotations

import ast
import sys

import pytest

from iacgrade.graders.tests.imports import (
    Project,
    judged_syntax_error,
    keyword_in_path,
    module_names,
    unresolved,
)

FILES = {
    "lib/__init__.py": "",
    "lib/tap_stack.py": (
        "from cdktf import TerraformStack\nclass TapStack(TerraformStack):\n    pass\nNAME = 'x'\n"
    ),
    "lib/stacks/network.py": "class Network:\n    pass\n",
    "lib/lambda/orders/index.py": "def handler(e, c):\n    return e\n",
    "lib/star.py": "from os.path import *\n",
    "tests/unit/test_x.py": "",
}


def _problems(source: str, path: str = "tests/unit/test_x.py") -> list[tuple[int, str, bool]]:
    return [(u.line, u.what, u.module_level) for u in unresolved(path, ast.parse(source), Project(FILES))]


@pytest.mark.parametrize(
    "source",
    [
        "from lib.tap_stack import TapStack, NAME",
        "from lib import tap_stack",
        "import lib.tap_stack",
        "from lib.stacks.network import Network",  # a folder without __init__.py is a package too
        "from lib.stacks import network",
        "from lib.star import anything",  # a star import: its names cannot be listed
        "import boto3\nfrom cdktf import Testing",  # third-party: not judged
        "importlib.import_module('lib.lambda.orders.index')",
        "from ..unit import test_x",
    ],
)
def test_imports_that_resolve(source: str) -> None:
    assert _problems(source) == []


def test_imports_that_do_not() -> None:
    assert _problems(
        "from lib.tap_stack import TapStack, MissingStack\n"
        "import lib.monitoring\n"
        "from lib.stacks import database\n"
        "def test_x():\n"
        "    importlib.import_module('lib.lambda.payments.index')\n"
    ) == [
        (1, "`MissingStack` from `lib.tap_stack`, which does not define it", True),
        (2, "`lib.monitoring`, which the answer does not have", True),
        (3, "`database` from `lib.stacks`, which does not define it", True),
        (5, "`lib.lambda.payments.index` (`importlib.import_module`), which the answer does not have", False),
    ]


def test_module_names_through_blocks_and_unknowable_modules() -> None:
    names = module_names(
        ast.parse("try:\n    import json\nexcept ImportError:\n    json = None\nif X:\n    A = 1\n")
    )
    assert names == frozenset({"json", "A"})
    assert module_names(ast.parse("def __getattr__(name):\n    return name\n")) is None
    assert module_names(ast.parse("globals()['A'] = 1\n")) is None


def test_keyword_in_a_module_path() -> None:
    assert keyword_in_path("from lib.lambda.orders.index import handler") == "lambda"
    assert keyword_in_path("from lib.lambda_functions import handler") == ""


def test_f_string_errors_wait_for_the_ci_python() -> None:
    error = SyntaxError("f-string: unmatched '('")
    assert judged_syntax_error(error) is (sys.version_info >= (3, 12))
    assert judged_syntax_error(SyntaxError("invalid syntax"))
