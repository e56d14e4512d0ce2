"""Where a template's resources are, read from libyaml's node tree: what the locator needs of a
template, without cfn-lint building the whole template in Python (a fifth of a cached re-grade).

`resource_spans` answers only where its reading is cfn-lint's: a text libyaml does not compose,
or a mapping with a repeated key (which cfn-lint refuses), gets None, and the locator decodes it
with cfn-lint as before."""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def resource_spans(text: str) -> dict[str, tuple[int, int]] | None:
    """Resource id -> (first line, last line), 1-based, as cfn-lint's marks give them; None when
    only cfn-lint can say."""
    try:
        root = yaml.compose(text, Loader=_Loader)  # composes nodes, constructs nothing
    except (yaml.YAMLError, ValueError):
        return None
    if not isinstance(root, MappingNode) or _has_repeated_key(root):
        return None
    spans: dict[str, tuple[int, int]] = {}
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == "Resources" and isinstance(value, MappingNode):
            for rkey, rvalue in value.value:
                if isinstance(rkey, ScalarNode):
                    start = rkey.start_mark.line + 1
                    spans.setdefault(rkey.value, (start, max(start, rvalue.end_mark.line)))
    return spans


def _has_repeated_key(root: Node) -> bool:
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in seen:
                        return True
                    seen.add(key.value)
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return False
