"""How the static TST rules divide a module between them."""

from __future__ import annotations

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import load_rules, run_rule
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from tests.rule_fixtures import workspace_of

STACK = "class TapStack:\n    pass\n"


def test_an_integration_module_whose_tests_are_all_placeholders_is_tst003s_not_tst004s() -> None:
    placeholder = "from moto import mock_dynamodb\n\n@mock_dynamodb\ndef test_table():\n    assert True\n"
    checking = placeholder.replace("assert True", "assert table_exists('payments')")
    path = "tests/integration/test_stack.py"

    def rules(text: str) -> set[str]:
        ws = workspace_of({"lib/__init__.py": "", "lib/tap_stack.py": STACK, path: text})
        ctx = GradeContext(ws, SynthResult(status=SynthStatus.OK))
        return {r for r in ("TST003", "TST004") if run_rule(load_rules()[r], ctx)[0]}

    assert rules(placeholder) == {"TST003"}
    assert rules(checking) == {"TST004"}
