"""The collector's pace during a batch (iacgrade/harness/batch/gcpace.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from iacgrade.harness.batch.gcpace import GEN0_THRESHOLD, batch_pace, set_batch_pace


@pytest.fixture(autouse=True)
def _thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_a_batch_collects_less_often_and_gives_the_thresholds_back() -> None:
    with batch_pace():
        assert gc.get_threshold() == (GEN0_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_thresholds_come_back_when_the_batch_fails() -> None:
    with pytest.raises(RuntimeError), batch_pace():
        raise RuntimeError("a task broke the executor")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_grading_process_never_lowers_a_higher_threshold() -> None:
    gc.set_threshold(200_000, 5, 5)
    set_batch_pace()
    assert gc.get_threshold() == (200_000, 5, 5)
    gc.set_threshold(700, 5, 5)
    set_batch_pace()
    assert gc.get_threshold() == (GEN0_THRESHOLD, 5, 5)
