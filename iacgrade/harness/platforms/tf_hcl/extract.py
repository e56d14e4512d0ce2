"""Terraform files out of a Markdown answer.

A block is named by the conventions the CDKTF extraction reads (fence info, the nearest heading,
bold or backticked path above it, a first-line comment such as `# main.tf`); see
iacgrade/harness/platforms/cdktf_python/extract.py. A block fenced ```hcl, ```terraform or ```tf that no
convention names is placed by content only when the answer names no `.tf` file at all: the last
such block holding a top-level block becomes `main.tf` (earlier ones are drafts the answer
revised). When two blocks name one path the later one wins, unless it is a fragment.
"""

from __future__ import annotations

import re

from iacgrade.harness.core.extraction import ExtractedFile, Extraction, SkippedBlock
from iacgrade.harness.core.mdblocks import CodeBlock, scan_blocks
from iacgrade.harness.platforms.cdktf_python.extract import _name_block, normalise_path

HCL_LANGUAGES = frozenset({"hcl", "terraform", "tf", "hcl2"})
TF_SUFFIXES = (".tf", ".tfvars")
MAIN_PATH = "main.tf"
LIB = "lib/"
_TOP_BLOCK = re.compile(r'^\s*(resource|data|variable|output|provider|module|terraform|locals)\b[\s"{]', re.M)
_NOT_FILES = (".md", ".markdown")


def is_terraform(path: str) -> bool:
    return path.endswith(TF_SUFFIXES)


def extract_files(markdown: str) -> Extraction:
    """The files a Markdown answer defines, and the reason for every block that is not one."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = scan_blocks(lines)
    chosen: dict[str, ExtractedFile] = {}
    unnamed: list[CodeBlock] = []
    skipped: list[SkippedBlock] = []
    previous_end = -1
    for block in blocks:
        naming = _name_block(block, lines[previous_end + 1 : block.start])
        previous_end = block.end
        if naming is None:
            unnamed.append(block)
            continue
        path, problem = normalise_path(naming.path)
        # `lib/main.tf` beside `provider.tf`: answers mean one folder, as the reference's lib/ is.
        path = path[len(LIB) :] if path and path.startswith(LIB) else path
        if path is None:
            skipped.append(SkippedBlock(block.start + 1, block.language, problem))
            continue
        if path.endswith(_NOT_FILES):
            skipped.append(SkippedBlock(block.start + 1, block.language, f"{path}: documentation, not code"))
            continue
        file = _file(block, path, naming.how, naming.fragment)
        known = chosen.get(path)
        if known is not None and (file.fragment and not known.fragment):
            skipped.append(
                SkippedBlock(block.start + 1, block.language, f"fragment of {path}, kept the whole one")
            )
            continue
        if known is not None:
            skipped.append(
                SkippedBlock(known.line, known.language, f"{path} is written again at line {file.line}")
            )
        chosen[path] = file
    named_tf = any(is_terraform(p) for p in chosen)
    drafts = [b for b in unnamed if b.language in HCL_LANGUAGES and _TOP_BLOCK.search(b.content)]
    for block in unnamed:
        if not named_tf and drafts and block is drafts[-1]:
            chosen.setdefault(MAIN_PATH, _file(block, MAIN_PATH, "content-main", False))
            continue
        reason = "unnamed HCL block beside named .tf files" if block in drafts else "not a named file"
        if block in drafts and not named_tf:
            reason = "unnamed HCL block revised by a later one"
        skipped.append(SkippedBlock(block.start + 1, block.language, reason))
    if (not blocks and _TOP_BLOCK.match(markdown.lstrip("\ufeff"))) or (
        not blocks and markdown.startswith("#") and _whole(markdown)
    ):
        chosen[MAIN_PATH] = ExtractedFile(MAIN_PATH, markdown, "", "whole-document", 1, False)
    files = sorted(chosen.values(), key=lambda f: f.line)
    return Extraction(tuple(files), tuple(sorted(skipped, key=lambda s: s.line)), len(blocks))


def _whole(markdown: str) -> bool:
    """Whether an answer with no fences is itself HCL (its top-level blocks start its first lines)."""
    head = [row for row in markdown.splitlines()[:20] if row.strip() and not row.lstrip().startswith("#")]
    return bool(head) and bool(_TOP_BLOCK.match(head[0]))


def _file(block: CodeBlock, path: str, how: str, fragment: bool) -> ExtractedFile:
    content = block.content if block.content.endswith("\n") or not block.content else block.content + "\n"
    return ExtractedFile(
        path=path, content=content, language=block.language, how=how, line=block.start + 1, fragment=fragment
    )
