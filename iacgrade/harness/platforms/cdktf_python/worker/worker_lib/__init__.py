"""Run-time repairs: how the synth worker gets an answer past one blocker after another.

A reviewer who meets a synth error fixes it, runs again and finds the next failure. The worker
does the same, mechanically, when an answer yields no stacks as written: in repair rounds it
adapts every call of a toolchain class to the class's signature and type hints (an unknown
keyword dropped, a value of the wrong shape coerced, a dict turned into its struct, a missing
required argument given a typed placeholder), and from the error that still stops a round it
learns one more repair for the next (an undefined name, a missing attribute, a module or name
that cannot be imported). The answer's files are never changed, so every line number stays
true; each repair records where the answer would have failed and why, in the order met.

Placeholders carry the marker `iacgrade_placeholder` into the Terraform JSON, so rules can tell
a value the answer never gave from one it did.

`packages` lists what the deployment packages a synthesized app names really contain.

`unit_tests` and `pytest_report` (the plugin that records the session) run an answer's unit
tests with pytest after its synth; this package never imports pytest itself.

`determinism` gives each app seeded randomness and a fixed clock; `scrub` takes the worker's
temporary folders out of what it reports. Both make one answer synthesize the same way on
every run and every machine.

Like `worker.py`, this module imports only the standard library at import time and the cdktf
toolchain (jsii, typeguard, cdktf) when repairs are installed: it runs inside the sandbox.
"""

from . import determinism, pytest_report, scrub, unit_tests
from .install import imported_toolchain_modules, installed
from .learn import learn
from .packages import list_packages
from .plan import MARKER, MAX_ROUNDS, Placeholder, Repair, RepairPlan, is_placeholder

__all__ = [
    "MARKER",
    "MAX_ROUNDS",
    "Placeholder",
    "Repair",
    "RepairPlan",
    "determinism",
    "imported_toolchain_modules",
    "installed",
    "is_placeholder",
    "learn",
    "list_packages",
    "pytest_report",
    "scrub",
    "unit_tests",
]
