"""Fixtures for the command-line tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _root_log_level() -> Iterator[None]:
    # -q and -v set the root logger's level; other tests in this process must not inherit it.
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)
