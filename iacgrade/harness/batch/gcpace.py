"""The garbage collector's pace while a batch grades.

One grading allocates hundreds of thousands of objects that live until its task ends (the answers'
syntax trees, decoded synth output, findings), and the parse caches keep the last few hundred
trees. At CPython's default first-generation threshold (700 allocations) the collector ran some
thirteen times a task, each time tracing objects nothing had freed: a quarter of a cached
re-grade (345 cached gradings: 17.1 s at 700, 13.3 s at 50,000, the same peak memory). Gradings
make few reference cycles, so collecting them later costs no memory to speak of.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

GEN0_THRESHOLD = 50_000


@contextmanager
def batch_pace() -> Iterator[None]:
    """The batch's pace inside the block; the caller's thresholds again after it, however it ends
    (a notebook that runs a batch keeps its own)."""
    before = gc.get_threshold()
    set_batch_pace()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def set_batch_pace() -> None:
    """For a process that does nothing but grade (a Ray actor)."""
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(GEN0_THRESHOLD, gen0), gen1, gen2)
