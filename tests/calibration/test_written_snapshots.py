"""The written-analysis parser reads each corpus as its snapshot says (tests/calibration/snapshots).

The dev snapshot was taken before the parser learned the shapes of the Terraform HCL and
CloudFormation corpora; it holding proves those shapes changed nothing on dev.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.calibration.written_snapshot import CORPORA, load, snapshot


def _counts(items: object) -> Counter[str | None]:
    assert isinstance(items, list)
    return Counter(row[1] for row in items)


@pytest.mark.corpus
@pytest.mark.parametrize("name", list(CORPORA))
def test_parsed_items_match_the_snapshot(name: str) -> None:
    corpus = CORPORA[name]
    if not corpus.is_dir():
        pytest.fail(f"corpus not found at {corpus}")
    expected, actual = load(name), snapshot(corpus)
    assert sorted(actual) == sorted(expected)
    # Counts per severity first: the figure a calibration's recall rests on.
    assert {t: _counts(v["items"]) for t, v in actual.items()} == {
        t: _counts(v["items"]) for t, v in expected.items()
    }
    changed = [t for t in expected if actual[t] != expected[t]]
    assert not changed, {t: (expected[t], actual[t]) for t in changed[:3]}
