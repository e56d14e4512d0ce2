"""What CDKTF-Python's worker is asked for one workspace, and what its answer then needs.

The worker's options (see iacgrade/harness/sandbox/base.py): the main stack the scaffold strategy builds,
the import repairs tried when nothing yields stacks, the repair rounds, and the entry contract: when
the model ships its own entry point, the task's standard entry (the reference's `tap.py`) is run
once more on the model's stack, as the archive's pipeline deploys through it. When the run asks
for tests and the answer has unit test files, `tests` names them: the worker runs them with
pytest after synth, within time the request adds to its own
(iacgrade/harness/platforms/cdktf_python/unit_tests.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from iacgrade.harness.core.synth import SynthRequest, SynthResult
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.base import Reference, SynthSettings
from iacgrade.harness.platforms.cdktf_python.provider_api import load_index
from iacgrade.harness.platforms.cdktf_python.repair import ImportRepairs, plan_import_repairs
from iacgrade.harness.platforms.cdktf_python.unit_tests import time_for_tests, unit_test_files

# The model's entry contract is not checked: the reference deploys through an entry of its own.
NO_CONTRACT = ""


@dataclass(frozen=True)
class CdktfSynth:
    request: SynthRequest
    repairs: ImportRepairs | None

    @property
    def runs_tests(self) -> bool:
        return "tests" in self.request.options

    def finish(self, result: SynthResult) -> SynthResult:
        """Say on the result that its entry contract applies, and which repairs its stacks needed."""
        if self.request.options.get("entry_contract"):
            result = result.model_copy(update={"contract_checked": True})
        if result.from_repair:
            described = (self.repairs.describe() if self.repairs else []) + [
                b.describe() for b in result.blockers
            ]
            result = result.model_copy(update={"repairs": described})
        return result

    def in_process(self) -> SynthResult | None:
        # The answer is Python: it only ever runs in the sandbox.
        return None


def plan_synth(ws: Workspace, settings: SynthSettings, reference: Reference | None) -> CdktfSynth:
    repairs = (
        plan_import_repairs(ws.python_files(answer_only=True), load_index()) if settings.repair else None
    )
    contract: str | None = None
    if reference is not None:
        contract = NO_CONTRACT if reference.failed else standard_entry(reference.workspace)
    options: dict[str, object] = {
        "stack": {"module": ws.stack_module, "class": ws.stack_class}
        if ws.stack_module and ws.stack_class
        else None
    }
    if repairs:
        options["repairs"] = repairs.to_message()
    if settings.repair:
        options["repair_rounds"] = True
    # Only the model's side: the reference's own entry is the task's standard one.
    if reference is not None and _own_entry(ws, contract):
        options["entry_contract"] = True
        if contract:
            options["contract_entry"] = contract
    timeout = settings.timeout
    tests = unit_test_files(ws) if settings.run_tests else []
    if tests:
        seconds = time_for_tests(settings.timeout)
        options["tests"] = {"paths": tests, "seconds": seconds}
        timeout += seconds
    request = SynthRequest(
        id=f"{ws.task_id}:{ws.side}",
        files=ws.files,
        entry=ws.entry,
        env=settings.env,
        timeout=timeout,
        archives=ws.archives,
        clock=settings.clock,
        options=options,
    )
    return CdktfSynth(request, repairs)


def standard_entry(ideal: Workspace | None) -> str | None:
    """The task's standard entry point: the reference's own `tap.py` when the reference runs
    through it; None for the project's standard call (no reference code); NO_CONTRACT when the
    reference runs through another entry (`lib/main.py`), so no standard one is known."""
    if ideal is None or not ideal.has_code:
        return None
    if ideal.entry != "tap.py":
        return NO_CONTRACT
    text = ideal.files.get("tap.py", "")
    return text if ideal.origins.get("tap.py") != "scaffold" and "Stack(" in text else None


def _own_entry(ws: Workspace, standard: str | None) -> bool:
    """The answer runs through an entry point of its own, not the task's standard one."""
    if ws.entry_source != "answer" or not ws.stack_class or standard == NO_CONTRACT:
        return False
    return standard is None or ws.files.get(ws.entry, "") != standard
