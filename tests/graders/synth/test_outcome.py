"""SYN001 on a signature mismatch: the definition it quotes is the one the error names."""

from __future__ import annotations

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.findings import Finding
from iacgrade.harness.core.synth import Frame, SynthResult, SynthStatus
from tests.rule_fixtures import workspace_of

STACK = """\
from cdktf import TerraformStack
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, stack_id: str) -> None:
        super().__init__(scope, stack_id)
        self._create_vpc(cidr="10.0.0.0/16")

    def _create_vpc(self, cidr_block: str) -> None:
        self.cidr_block = cidr_block
"""


def synth_001(files: dict[str, str], message: str, frame: Frame) -> Finding:
    synth = SynthResult(status=SynthStatus.ERROR, error_type="TypeError", message=message, frame=frame)
    [found] = run_rules(GradeContext(workspace_of(files), synth), only=["SYN001"]).findings
    return found


def test_a_method_called_with_what_it_does_not_take_quotes_that_method() -> None:
    found = synth_001(
        {"lib/tap_stack.py": STACK},
        "TapStack._create_vpc() got an unexpected keyword argument 'cidr'",
        Frame(file="lib/tap_stack.py", line=8, code='self._create_vpc(cidr="10.0.0.0/16")'),
    )
    assert found.fix_anchor == "def:TapStack._create_vpc"
    assert found.message.startswith("`TapStack._create_vpc` is defined at lib/tap_stack.py:10 ")
    assert "def _create_vpc(self, cidr_block: str)" in found.evidence
    assert "def __init__" not in found.evidence


def test_a_constructor_called_with_what_it_does_not_take_quotes_the_constructor() -> None:
    entry = (
        "from cdktf import App\n"
        "from lib.tap_stack import TapStack\n"
        "\n"
        "app = App()\n"
        "TapStack(app, 'tap', region='x')\n"
        "app.synth()\n"
    )
    found = synth_001(
        {"lib/tap_stack.py": STACK, "tap.py": entry},
        "TapStack.__init__() got an unexpected keyword argument 'region'",
        Frame(file="tap.py", line=5, code="TapStack(app, 'tap', region='x')"),
    )
    assert found.fix_anchor == "def:TapStack.__init__"
    assert found.message.startswith("`TapStack` is defined at lib/tap_stack.py:6 ")
    assert "def __init__(self, scope: Construct, stack_id: str)" in found.evidence
    assert "TapStack(app, 'tap', region='x')" in found.evidence
