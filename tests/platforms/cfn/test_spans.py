"""The locator's fast reading of resource lines must be cfn-lint's wherever it answers."""

from __future__ import annotations

from typing import Any

import pytest

from iacgrade.harness.platforms.cfn import lint
from iacgrade.harness.platforms.cfn.spans import resource_spans
from tests.paths import SHARED

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  EnvironmentSuffix:
    Type: String
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub 'orders-${EnvironmentSuffix}'
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  QueueUrl:
    Value: !Ref Queue
"""


def _cfn_lint_spans(text: str) -> dict[str, tuple[int, int]] | None:
    template, errors = lint.decode(text)
    if errors or not isinstance(template, dict):
        return None
    body: Any = template.get("Resources", {})
    spans: dict[str, tuple[int, int]] = {}
    for key, value in body.items() if isinstance(body, dict) else ():
        start, end = getattr(key, "start_mark", None), getattr(value, "end_mark", None)
        if start is not None and end is not None:
            spans.setdefault(str(key), (start.line + 1, max(start.line + 1, end.line)))
    return spans


def test_resource_lines_are_cfn_lints() -> None:
    assert resource_spans(TEMPLATE) == _cfn_lint_spans(TEMPLATE) == {"Queue": (6, 9), "Topic": (10, 11)}


@pytest.mark.parametrize(
    "text",
    [
        # A repeated resource id, a repeated property: cfn-lint refuses both.
        TEMPLATE.replace("  Topic:\n", "  Queue:\n    Type: AWS::SQS::Queue\n  Topic:\n"),
        TEMPLATE.replace("    Type: AWS::SNS::Topic\n", "    Type: AWS::SNS::Topic\n    Type: x\n"),
        "Resources:\n  Queue: [unclosed\n",
        "- a list\n- not a template\n",
    ],
)
def test_what_only_cfn_lint_can_read_is_left_to_it(text: str) -> None:
    assert resource_spans(text) is None


@pytest.mark.corpus
def test_every_corpus_template_reads_as_cfn_lint_reads_it() -> None:
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((SHARED / "corpus" / "dev-cfn-yaml").rglob("*"))
        if p.is_file()
        and p.suffix in (".yml", ".yaml", ".json")
        and "Resources" in p.read_text(errors="replace")
    ]
    assert len(texts) >= 40
    for text in texts:
        fast = resource_spans(text)
        if fast is not None:
            assert fast == _cfn_lint_spans(text)
