"""Turning a Markdown answer into files: which fenced block is which file, and why.

A block's path comes from the first convention that names one, in this order:

- ``fence-info``: the fence itself, as in ```` ```python title="lib/x.py" ````, ```` ```python:lib/x.py ````
  or ```` ```python lib/x.py ````;
- the nearest line above the fence that names a path, looking no further up than the nearest
  heading or the previous block: ``heading-file`` (``## File: lib/x.py``), ``heading-path``
  (``## lib/x.py``), ``heading-text-path`` (``### Entry Point: tap.py``), ``heading-paren-path``
  (``### Complete Stack (tap_stack.py)``), ``bold-path`` (``**File: lib/x.py**``)
  and, on the line right above the fence only, ``backtick-above`` (`` `lib/x.py`: `` or
  ``In `lib/x.py`:``);
- ``first-line-comment``: the block's first line is a comment holding only the path (``# lib/x.py``).

A path in parentheses is a mention, not a title: the block is the whole file only when it is Python
that reads as a whole module (it parses, defines a class or function or runs an app, and holds no
lines lifted out of a method), otherwise it is a fragment (``### Initial Imports (lib/x.py)``). A
bare name it mentions goes where the project keeps it: ``tap_stack.py``, a module the answer
imports as ``lib.<name>`` and a stack module go under ``lib/``.

A Python block no convention names is placed by content when its target is not named by another
block: a self-contained app goes to ``tap.py`` (``content-app-entry``), a block defining a
``TerraformStack`` subclass to ``lib/tap_stack.py`` (``content-stack-class``). Shell snippets,
directory trees and every other unnamed block are not files.

When two blocks name the same path the later one wins, except that a fragment never replaces a
complete block and a Python block that does not parse never replaces one that does. Every block
that does not become a file is listed in ``Extraction.skipped`` with the reason.

An answer cut off mid-statement (its last block is Python that parses once the strings and brackets
it leaves open are closed) keeps its file: the content is the whole statements before the cut, so
every kept line keeps its number, and ``Extraction.truncated`` records where the text stops.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from iacgrade.harness.core.extraction import ExtractedFile, Extraction, SkippedBlock
from iacgrade.harness.core.mdblocks import CodeBlock, scan_blocks
from iacgrade.harness.platforms.cdktf_python.pysource import (
    Truncation,
    find_truncation,
    is_entry_module,
    is_whole_module,
    parse_source,
    stack_class_names,
)

APP_ENTRY_PATH = "tap.py"
STACK_MODULE_PATH = "lib/tap_stack.py"
MAX_PATH_LENGTH = 240


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SUFFIXES = _words(
    "py pyi json txt md markdown js mjs cjs ts tsx jsx yaml yml toml cfg ini sh bash zsh tf hcl lock "
    "env csv sql html htm css xml conf j2 jinja tpl properties"
)
_NAMES = frozenset({"dockerfile", "pipfile", "makefile", "procfile", ".gitignore", ".dockerignore", ".env"})
_NOT_PATHS = frozenset({"node.js"})  # a product, not a file, in headings like "## Install Node.js"
_PATH_CHARS = re.compile(r"[\w.\-/\\~+@]+")
_FRAGMENT_CUE = re.compile(r"\b(excerpts?|snippets?|partial|fragments?|abridged|truncated)\b", re.I)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_FILE_PREFIX = re.compile(r"^(?:\d+[.)]\s+)?File\s*:\s*", re.I)
_BOLD = re.compile(r"^\s*\*\*(?P<inner>.+?)\*\*(?P<tail>.*)$")  # not __bold__: paths hold dunders
_BACKTICK_LINE = re.compile(
    r"^\s*(?:(?:in|file|path)\s*:?\s*)?`(?P<path>[^`]+)`\s*(?P<note>\([^)]*\))?\s*:?\s*$", re.I
)
_INFO_KEY = re.compile(r"\b(?:title|file|filename|path)\s*=\s*[\"']?(?P<path>[^\"'\s}]+)", re.I)
_COMMENT_LINE = re.compile(
    r"^\s*(?:#|//|--|/\*|<!--)\s*(?P<file>File\s*:\s*)?(?P<path>\S+?)\s*(?:\*/|-->)?\s*$", re.I
)
_PARENS = re.compile(r"\(([^)]*)\)")
_LIB_IMPORT = re.compile(r"^\s*(?:from|import)\s+lib\.(\w+)", re.M)

_PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3", ""})
_SHELL_LANGUAGES = frozenset(
    {"bash", "sh", "shell", "console", "zsh", "shell-session", "terminal", "powershell"}
)
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh")
_COMMANDS = _words(
    "cdktf pip pip3 pipenv poetry uv npm npx yarn node python python3 pytest aws export cd zip unzip "
    "curl wget terraform git mkdir chmod docker make kubectl helm source cat ls echo rm cp mv sudo tar jq set"
)
# Conventions that can name a block by accident (a heading above a shell snippet, say); a shell
# block they name is still a shell snippet unless the path is a shell script.
_WEAK = frozenset({"heading-path", "heading-text-path", "heading-paren-path", "backtick-above"})


@dataclass(frozen=True)
class _Naming:
    path: str  # as written
    how: str
    fragment: bool = False


# --- paths -------------------------------------------------------------------------------------


def _clean(token: str) -> str:
    return token.strip().strip("`*'\"").rstrip(":;,.").strip("`*'\"")


def _looks_like_path(token: str) -> bool:
    """Whether a bare word names a file: a known extension or file name, never a URL."""
    if not _PATH_CHARS.fullmatch(token) or token.lower() in _NOT_PATHS:
        return False
    name = token.replace("\\", "/").rsplit("/", 1)[-1].lower()
    stem, dot, suffix = name.rpartition(".")
    return name in _NAMES or name.startswith("dockerfile") or bool(stem and dot and suffix in _SUFFIXES)


def _printable(raw: str) -> str:
    shown = raw if raw.isprintable() else raw.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 80 else shown[:77] + "..."


def normalise_path(raw: str) -> tuple[str | None, str]:
    """A safe relative POSIX path, or None and the reason it is refused."""
    path = _clean(raw).replace("\\", "/")
    if not path or len(path) > MAX_PATH_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return None, f"unsafe path: {_printable(raw)}"
    while path.startswith("./"):
        path = path[2:]
    if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        return None, f"unsafe path: {_printable(raw)}"
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None, f"unsafe path: {_printable(raw)}"
    if path.endswith("/"):
        return None, f"not a file path: {_printable(raw)}"
    return "/".join(parts), ""


# --- conventions -------------------------------------------------------------------------------


def _from_fence_info(info: str) -> _Naming | None:
    keyed = _INFO_KEY.search(info)
    if keyed:
        return _Naming(keyed["path"], "fence-info")
    words = info.split()
    if words and ":" in words[0]:
        return _Naming(words[0].split(":", 1)[1], "fence-info")
    if len(words) > 1 and _looks_like_path(_clean(words[1])):
        return _Naming(_clean(words[1]), "fence-info")
    return None


def _from_heading(text: str) -> _Naming | None:
    text = text.replace("**", "").strip()
    cue = bool(_FRAGMENT_CUE.search(text))
    prefix = _FILE_PREFIX.match(text)
    if prefix:
        rest = text[prefix.end() :].split(maxsplit=1)
        return _Naming(_clean(rest[0]), "heading-file", cue) if rest else None
    outside = _PARENS.sub(" ", text)
    paths = [_clean(w) for w in outside.split() if _looks_like_path(_clean(w))]
    if paths:
        how = "heading-path" if _clean(outside) == paths[-1] else "heading-text-path"
        return _Naming(paths[-1], how, cue)
    inside = [_clean(w) for group in _PARENS.findall(text) for w in group.split()]
    paths = [w for w in inside if _looks_like_path(w)]
    return _Naming(paths[-1], "heading-paren-path", cue) if paths else None


def _from_bold(line: str) -> _Naming | None:
    match = _BOLD.match(line)
    if match is None:
        return None
    inner, tail = match["inner"].strip(), match["tail"].strip()
    if inner.lower().rstrip(": ") == "file":  # **File:** lib/x.py
        inner, _, tail = tail.partition(" ")
        explicit = True
    else:
        prefix = _FILE_PREFIX.match(inner)
        explicit = prefix is not None
        inner = inner[prefix.end() :] if prefix else inner
    path = _clean(inner)
    if not path or not (explicit or (len(inner.split()) == 1 and _looks_like_path(path))):
        return None
    return _Naming(path, "bold-path", bool(_FRAGMENT_CUE.search(tail)))


def _from_backtick(line: str) -> _Naming | None:
    match = _BACKTICK_LINE.match(line)
    if match is None or not _looks_like_path(_clean(match["path"])):
        return None
    return _Naming(_clean(match["path"]), "backtick-above", bool(_FRAGMENT_CUE.search(match["note"] or "")))


def _from_first_line(content: str) -> _Naming | None:
    for line in content.splitlines():
        if not line.strip() or line.startswith("#!"):
            continue
        match = _COMMENT_LINE.match(line)
        if match and (match["file"] or _looks_like_path(_clean(match["path"]))):
            return _Naming(_clean(match["path"]), "first-line-comment")
        return None
    return None


def _from_context(above: list[str]) -> _Naming | None:
    """The naming line nearest above a fence, up to the nearest heading."""
    nearest = True
    for line in reversed(above):
        if not line.strip():
            continue
        heading = _HEADING.match(line)
        if heading:
            return _from_heading(heading["text"])
        naming = _from_bold(line) or (_from_backtick(line) if nearest else None)
        if naming:
            return naming
        nearest = False
    return None


def _name_block(block: CodeBlock, above: list[str]) -> _Naming | None:
    return _from_fence_info(block.info) or _from_context(above) or _from_first_line(block.content)


# --- what an unnamed block is ------------------------------------------------------------------


def _is_tree(content: str) -> bool:
    if any(mark in content for mark in ("├", "└", "│")):
        return True
    rows = [r.strip() for r in content.splitlines() if r.strip()]
    listing = re.compile(r"[\w.\-/~]+/?(\s+#.*)?")
    return len(rows) > 1 and rows[0].endswith("/") and all(listing.fullmatch(r) for r in rows)


def _is_shell(block: CodeBlock) -> bool:
    if block.language in _SHELL_LANGUAGES:
        return True
    if block.language not in ("", "text", "txt"):
        return False
    rows = [r.strip() for r in block.content.splitlines() if r.strip() and not r.lstrip().startswith("#")]
    return bool(rows) and all(r.startswith("$ ") or r.split()[0] in _COMMANDS for r in rows)


def _placement(block: CodeBlock, text: str) -> tuple[str, ...]:
    """Where an unnamed block goes by content (`text`: what of it parses), most fitting first; ()
    when it is not a file."""
    if block.language not in _PYTHON_LANGUAGES:
        return ()
    tree = parse_source(text)
    if not isinstance(tree, ast.Module):
        return ()
    stack, entry = bool(stack_class_names(tree)), is_entry_module(tree)
    if entry:
        # A block that builds and synthesizes its own app runs as the entry point, stack or not.
        return (APP_ENTRY_PATH, STACK_MODULE_PATH) if stack else (APP_ENTRY_PATH,)
    return (STACK_MODULE_PATH,) if stack else ()


def _reason_unnamed(block: CodeBlock) -> str:
    if _is_tree(block.content):
        return "directory tree"
    if _is_shell(block):
        return "shell snippet"
    return "no path"


# --- choosing among blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    file: ExtractedFile
    parses: bool

    @property
    def line(self) -> int:
        return self.file.line


def _candidate(
    block: CodeBlock, path: str, how: str, fragment: bool, cut: Truncation | None = None
) -> _Candidate:
    text = block.content.rstrip("\n")
    written = text + "\n" if text.strip() else ""
    content, parses = written, True
    if path.endswith(".py"):
        content = cut.kept if cut else written
        tree = parse_source(content, path)
        parses = isinstance(tree, ast.Module)
        first = next((row for row in content.splitlines() if row.strip()), "")
        fragment = fragment or first[:1].isspace()  # an indented first line cannot start a module
        if how == "heading-paren-path":
            fragment = fragment or not (isinstance(tree, ast.Module) and is_whole_module(tree))
    elif how == "heading-paren-path":
        fragment = True  # only Python can be told whole from excerpt
    if fragment or cut is None:  # a fragment is kept as written: it is never built
        file = ExtractedFile(path, written, block.language, how, block.start + 1, fragment)
    else:
        file = ExtractedFile(path, content, block.language, how, block.start + 1, False, cut.line, written)
    return _Candidate(file, parses)


def _lib_modules(markdown: str) -> frozenset[str]:
    """Modules the answer imports from the `lib` package (`from lib.network import ...`)."""
    return frozenset(_LIB_IMPORT.findall(markdown))


def _resolve_mention(path: str, text: str, lib_modules: frozenset[str]) -> str:
    """Where a file a heading mentions by bare name lives: `tap_stack.py` -> `lib/tap_stack.py`."""
    if "/" in path or not path.endswith(".py"):
        return path
    if path == STACK_MODULE_PATH.rsplit("/", 1)[1] or path.removesuffix(".py") in lib_modules:
        return f"lib/{path}"
    tree = parse_source(text)
    return f"lib/{path}" if isinstance(tree, ast.Module) and stack_class_names(tree) else path


def _cut(block: CodeBlock, is_last: bool, path: str | None) -> Truncation | None:
    """Where the answer's last block, when Python, stops mid-statement: only output that ran out
    stops inside a statement; a block followed by more of the answer was shortened on purpose."""
    python = path.endswith(".py") if path is not None else block.language in _PYTHON_LANGUAGES
    return find_truncation(block.content) if is_last and python else None


def _keep_earlier(old: _Candidate, new: _Candidate) -> str:
    """Why `new` must not replace `old` for the same path; "" when it should."""
    if new.file.fragment and not old.file.fragment:
        return f"fragment of {old.file.path}; block at line {old.line} kept"
    if old.parses and not new.parses:
        return f"does not parse; block at line {old.line} of {old.file.path} kept"
    return ""


def _resolve(candidates: list[_Candidate], skipped: list[SkippedBlock]) -> dict[str, _Candidate]:
    chosen: dict[str, _Candidate] = {}
    for new in candidates:
        old = chosen.get(new.file.path)
        keep_old = _keep_earlier(old, new) if old else ""
        if old and keep_old:
            skipped.append(SkippedBlock(new.line, new.file.language, keep_old))
            continue
        if old:
            skipped.append(
                SkippedBlock(old.line, old.file.language, f"superseded by block at line {new.line}")
            )
        chosen[new.file.path] = new
    return chosen


def extract_files(markdown: str) -> Extraction:
    """The files a Markdown answer defines, and the reason for every block that is not one."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = scan_blocks(lines)
    lib_modules = _lib_modules(markdown)
    named: list[_Candidate] = []
    unnamed: list[tuple[CodeBlock, Truncation | None]] = []
    skipped: list[SkippedBlock] = []
    previous_end = -1
    for block in blocks:
        naming = _name_block(block, lines[previous_end + 1 : block.start])
        previous_end = block.end
        is_last = block is blocks[-1]
        if naming is None or (
            naming.how in _WEAK and _is_shell(block) and not naming.path.endswith(_SHELL_SUFFIXES)
        ):
            unnamed.append((block, _cut(block, is_last, None)))
            continue
        path, problem = normalise_path(naming.path)
        if path is None:
            skipped.append(SkippedBlock(block.start + 1, block.language, problem))
            continue
        cut = _cut(block, is_last, path)
        if naming.how == "heading-paren-path":
            path = _resolve_mention(path, cut.kept if cut else block.content, lib_modules)
        named.append(_candidate(block, path, naming.how, naming.fragment, cut))
    chosen = _resolve(named, skipped)
    placed: list[_Candidate] = []
    for block, cut in unnamed:
        targets = _placement(block, cut.kept if cut else block.content)
        free = [t for t in targets if t not in chosen]
        if free:
            how = "content-app-entry" if free[0] == APP_ENTRY_PATH else "content-stack-class"
            placed.append(_candidate(block, free[0], how, fragment=False, cut=cut))
            continue
        reason = _reason_unnamed(block)
        if targets:
            reason += f" ({targets[0]} is named by the block at line {chosen[targets[0]].line})"
        if cut:
            reason += f" (its text stops mid-statement at its line {cut.line})"
        skipped.append(SkippedBlock(block.start + 1, block.language, reason))
    chosen.update(_resolve(placed, skipped))
    files = sorted((c.file for c in chosen.values()), key=lambda f: f.line)
    return Extraction(tuple(files), tuple(sorted(skipped, key=lambda s: s.line)), len(blocks))
