"""CloudFormation templates out of an answer's prose.

A template is a fenced block (`yaml`, `yml`, `json` or untagged) holding a top-level `Resources`
section, or, as many answers write it, the template pasted as bare text in the Markdown from its
`AWSTemplateFormatVersion:` line on. Other YAML and JSON blocks (parameter files, snippets of a
template, policy documents) are left out with the reason. The text is kept as written: short-form
intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`) are YAML tags, which only the template loader reads.

A template's file name comes from the heading, bold line or backticked name just above it
(`## lib/TapStack.yml`); without one it is `lib/TapStack.yml` (`.json` for JSON), the name the task
layout gives it, and a later unnamed template replaces an earlier one (an answer that writes its
template again writes its final version last).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from iacgrade.harness.core.extraction import ExtractedFile, Extraction, SkippedBlock
from iacgrade.harness.core.mdblocks import scan_blocks

MAIN_NAME = "lib/TapStack"
_TEMPLATE_LANGUAGES = frozenset({"yaml", "yml", "json", "", "cloudformation", "cfn"})
_YAML_RESOURCES = re.compile(r"^Resources\s*:", re.MULTILINE)
_JSON_RESOURCES = re.compile(r'^\s{0,4}"Resources"\s*:', re.MULTILINE)
# The top-level sections of a template (the CloudFormation template anatomy).
_SECTIONS = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
)
# Code in other languages is kept beside the templates (`other/block-<line>.<ext>`): a Lambda's
# source, or an answer written on another framework, which the training score must see.
_OTHER_LANGUAGES = {
    "typescript": ".ts",
    "ts": ".ts",
    "javascript": ".js",
    "js": ".js",
    "python": ".py",
    "py": ".py",
    "hcl": ".tf",
    "terraform": ".tf",
    "tf": ".tf",
    "go": ".go",
    "java": ".java",
}
_SECTION_LINE = re.compile(rf"^(?:{'|'.join(_SECTIONS)})\s*:")
_START_LINE = re.compile(r"^(?:AWSTemplateFormatVersion|Resources)\s*:")
_FILE_NAME = re.compile(r"[\w./-]+\.(?:ya?ml|json|template)\b", re.IGNORECASE)
_NAMING_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s|\*\*|__|`|File\s*:)", re.IGNORECASE)


@dataclass(frozen=True)
class _Found:
    text: str
    language: str
    line: int  # 1-based line of the opening fence (or of the first bare line)
    name: str | None
    how: str


def is_template(text: str) -> bool:
    """Whether `text` holds a template: a top-level `Resources` section (YAML or JSON)."""
    if text.lstrip().startswith("{"):
        return bool(_JSON_RESOURCES.search(text))
    return bool(_YAML_RESOURCES.search(text))


def template_suffix(text: str) -> str:
    return ".json" if text.lstrip().startswith("{") else ".yml"


def extract_templates(markdown: str) -> Extraction:
    """The templates an answer writes, named; every other block skipped with its reason."""
    lines = markdown.splitlines()
    blocks = scan_blocks(lines)
    found: list[_Found] = []
    skipped: list[SkippedBlock] = []
    other: list[ExtractedFile] = []
    for block in blocks:
        line = block.start + 1
        if block.language in _OTHER_LANGUAGES:
            path = f"other/block-{line}{_OTHER_LANGUAGES[block.language]}"
            other.append(
                ExtractedFile(
                    path, _ensure_newline(block.content), block.language, "other-language", line, False
                )
            )
            continue
        if block.language not in _TEMPLATE_LANGUAGES:
            skipped.append(SkippedBlock(line, block.language, f"a {block.language} block, not a template"))
            continue
        if not is_template(block.content):
            skipped.append(
                SkippedBlock(line, block.language, "no top-level Resources section: not a template")
            )
            continue
        name = _name_above(lines, block.start)
        found.append(_Found(_ensure_newline(block.content), block.language, line, name, "fence"))
    found.extend(_bare_templates(lines, [(b.start, b.end) for b in blocks]))
    files = [*_named(sorted(found, key=lambda f: f.line), skipped), *other]
    return Extraction(
        files=tuple(files), skipped=tuple(sorted(skipped, key=lambda s: s.line)), blocks=len(blocks)
    )


def _bare_templates(lines: list[str], fenced: list[tuple[int, int]]) -> list[_Found]:
    """Templates written as bare Markdown text: from a line that starts one, the lines a template
    can hold (its top-level sections, comments, blank or indented lines) up to the first that is
    prose or a fence."""
    inside = {i for start, end in fenced for i in range(start, min(end, len(lines) - 1) + 1)}
    found: list[_Found] = []
    i = 0
    while i < len(lines):
        if i in inside or not _START_LINE.match(lines[i]):
            i += 1
            continue
        start = i
        end = i + 1
        while end < len(lines) and end not in inside and _continues(lines[end]):
            end += 1
        body = lines[start:end]
        while body and (not body[-1].strip() or body[-1].startswith("#")):
            body.pop()
        text = "\n".join(body) + "\n"
        if is_template(text):
            found.append(_Found(text, "yaml", start + 1, _name_above(lines, start), "bare"))
        i = end
    return found


def _continues(line: str) -> bool:
    # A Markdown heading inside is a YAML comment; the prose after the template is not.
    return not line.strip() or line[0] in " \t#" or bool(_SECTION_LINE.match(line))


def _name_above(lines: list[str], at: int) -> str | None:
    """A template file name on one of the three non-blank lines above line index `at`."""
    seen = 0
    for i in range(at - 1, -1, -1):
        text = lines[i].strip()
        if not text:
            continue
        seen += 1
        if seen > 3:
            break
        if _NAMING_LINE.match(lines[i]) or text.endswith(":"):
            match = _FILE_NAME.search(text)
            if match:
                return match.group(0)
    return None


def _named(found: list[_Found], skipped: list[SkippedBlock]) -> list[ExtractedFile]:
    """Paths for the templates found; a later template of the same path replaces the earlier."""
    by_path: dict[str, ExtractedFile] = {}
    for f in found:
        path = _path_for(f)
        if path in by_path:
            old = by_path[path]
            skipped.append(SkippedBlock(old.line, old.language, f"replaced by a later template of {path}"))
        by_path[path] = ExtractedFile(
            path=path, content=f.text, language=f.language, how=f.how, line=f.line, fragment=False
        )
    return list(by_path.values())


def _path_for(found: _Found) -> str:
    suffix = template_suffix(found.text)
    if found.name:
        name = posixpath.normpath(found.name.lstrip("./"))
        if not name.startswith("..") and not posixpath.isabs(name):
            return name if "/" in name else f"lib/{name}"
    # Unnamed templates are the answer's one template, rewritten as it goes: the last one stands.
    return MAIN_NAME + suffix


def _ensure_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
