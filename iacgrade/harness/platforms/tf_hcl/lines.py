"""Where blocks and attributes sit in a `.tf` file: python-hcl2 keeps no line numbers, so the
text is scanned for them (strings, comments and heredocs skipped, braces counted)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLOCK_HEAD = re.compile(r'^\s*(?P<kind>[A-Za-z_][\w-]*)(?P<labels>(?:\s+"[^"]*"|\s+[A-Za-z_][\w-]*)*)\s*\{')
_ATTR = re.compile(r"^\s*(?P<name>[A-Za-z_][\w-]*)\s*(?P<op>=(?!=)|\{|\")")
_LABEL = re.compile(r'"([^"]*)"|([A-Za-z_][\w-]*)')
_HEREDOC = re.compile(r"<<-?([A-Za-z_][\w-]*)\s*$")


@dataclass
class BlockLines:
    """One top-level block: its kind and labels, first and last line, its direct attributes' lines
    and its nested blocks' lines (first occurrence of each name), and the first and last line of
    every occurrence (`ingress { }` twice: the list's elements, in order)."""

    kind: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    attrs: dict[str, int] = field(default_factory=dict)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def ends(self) -> dict[str, int]:
        """The last line of each name's first occurrence, where it is not its first line."""
        return {k: v[0][1] for k, v in self.spans.items() if v[0][1] != v[0][0]}

    @property
    def repeats(self) -> dict[str, list[tuple[int, int]]]:
        """The spans of each nested block written more than once."""
        return {k: list(v) for k, v in self.spans.items() if len(v) > 1}


def _depth_changes(text: str) -> list[tuple[int, int, int]]:
    """(line, depth at the line's start, depth at its end) for each line, outside strings,
    comments and heredocs."""
    out: list[tuple[int, int, int]] = []
    depth = 0
    heredoc: str | None = None
    in_comment = False
    for number, line in enumerate(text.splitlines(), 1):
        start = depth
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            out.append((number, start, depth))
            continue
        i, in_str = 0, 0  # in_str counts ${ nesting inside a string (1 = in the string itself)
        while i < len(line):
            c = line[i]
            two = line[i : i + 2]
            if in_comment:
                if two == "*/":
                    in_comment, i = False, i + 2
                    continue
                i += 1
                continue
            if in_str:
                if c == "\\":
                    i += 2
                    continue
                if c == '"':
                    in_str = 0
                i += 1
                continue
            if two == "/*":
                in_comment, i = True, i + 2
                continue
            if c == "#" or two == "//":
                break
            if c == '"':
                in_str = 1
            elif c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
            elif c == "<" and _HEREDOC.search(line[i:]):
                heredoc = _HEREDOC.search(line[i:]).group(1)  # type: ignore[union-attr]
                break
            i += 1
        out.append((number, start, depth))
    return out


def scan_blocks(text: str) -> list[BlockLines]:
    """Every top-level block of a `.tf` file with its lines."""
    lines = text.splitlines()
    blocks: list[BlockLines] = []
    current: BlockLines | None = None
    open_attr: str | None = None  # an attribute or nested block whose value goes on past its line
    for number, start, end in _depth_changes(text):
        line = lines[number - 1]
        if start == 0:
            head = _BLOCK_HEAD.match(line)
            if head is not None:
                labels = tuple(a or b for a, b in _LABEL.findall(head["labels"]))
                current = BlockLines(head["kind"], labels, number, number)
                blocks.append(current)
        elif start == 1 and current is not None:
            attr = _ATTR.match(line)
            if attr is not None:
                name = attr["name"]
                current.attrs.setdefault(name, number)
                current.spans.setdefault(name, []).append((number, number))
                open_attr = name if end > 1 else None
        elif current is not None and open_attr is not None and end <= 1:
            first, _ = current.spans[open_attr][-1]
            current.spans[open_attr][-1] = (first, number)
            open_attr = None
        if current is not None and end <= 0:
            open_attr = None
            current.end_line = number
            current = None
    return blocks
