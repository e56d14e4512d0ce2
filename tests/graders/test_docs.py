"""docs/rules.md is the registry as it is now."""

from __future__ import annotations

from iacgrade.graders.docs import DOC_PATH, builtin_rules, first_sentence, render


def test_rules_doc_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run `python -m iacgrade.graders.docs`"


def test_rules_doc_lists_every_builtin_rule_with_its_file() -> None:
    text = render()
    for m in builtin_rules():
        assert f"| {m.id} | " in text and f"`{m.source.rpartition(':')[0]}`" in text


def test_first_sentence_stops_at_the_first_full_stop() -> None:
    assert first_sentence("Local state. It is lost.") == "Local state."
    assert first_sentence("no stop at all") == "no stop at all"
