"""The rule cases' saved synth.json is what the real synth gives for their files today.

A case's `files/` and its `synth.json` must not drift apart: a rule tested on Terraform JSON that
its source cannot produce tests nothing. Each case is synthesized again in the local sandbox (one
warm worker for the module) and compared on what the rules read; `python -m tests.rule_synth`
(`make fixtures-synth`) rewrites the files after a deliberate change.
"""

from __future__ import annotations

import pytest

from iacgrade.harness.sandbox.local import LocalSandbox
from tests.rule_fixtures import Case
from tests.rule_synth import drift, hand_made, synth_case, synth_cases

pytestmark = pytest.mark.synth

CASES = synth_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_saved_synth_is_what_the_files_synthesize_to(case: Case, local_sandbox: LocalSandbox) -> None:
    if reason := hand_made(case):
        pytest.skip(f"{case.id}: synth.json is {reason}")
    diff = drift(case, synth_case(case, local_sandbox))
    if diff:
        pytest.fail(
            f"{case.id}: synth.json drifted; `python -m tests.rule_synth {case.id}` rewrites it\n{diff}"
        )
