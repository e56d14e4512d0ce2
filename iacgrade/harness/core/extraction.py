"""What extraction made of one answer: the fenced blocks that are files, and those that are not.

Plain data a workspace carries and graders read (SYN rules report what was left out); how a block
becomes a file is a platform's business (iacgrade/harness/platforms/cdktf_python/extract.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractedFile:
    """A fenced block that is a file of the answer."""

    path: str  # normalised relative POSIX path
    content: str  # without the fences; ends with a newline unless empty
    language: str  # fence language, lowercased ("" if none)
    how: str  # the convention that decided the path (see the module docstring)
    line: int  # 1-based line of the opening fence
    fragment: bool  # a partial snippet rather than a whole file
    truncated_at: int = 0  # 1-based line where the text as written stops mid-statement; 0 if whole
    original: str = ""  # the text as written, when `content` keeps only its whole statements


@dataclass(frozen=True)
class SkippedBlock:
    """A fenced block that is not a file, and why."""

    line: int
    language: str
    reason: str


@dataclass(frozen=True)
class Extraction:
    """Everything extraction decided about one answer."""

    files: tuple[ExtractedFile, ...]
    skipped: tuple[SkippedBlock, ...]
    blocks: int  # fenced blocks seen at the top level

    def by_path(self) -> dict[str, ExtractedFile]:
        """The files keyed by path."""
        return {f.path: f for f in self.files}

    @property
    def has_code(self) -> bool:
        """Whether any whole (not fragment) Python file was extracted."""
        return any(f.path.endswith(".py") and not f.fragment for f in self.files)

    @property
    def truncated(self) -> dict[str, int]:
        """Files whose text stops mid-statement: path -> the 1-based line where it stops."""
        return {f.path: f.truncated_at for f in self.files if f.truncated_at}

    def left_out(self) -> tuple[SkippedBlock, ...]:
        """Every block that is not a file of the project, with the reason: skipped and fragments."""
        fragments = (
            SkippedBlock(f.line, f.language, f"fragment of {f.path} ({f.how}), not the whole file")
            for f in self.files
            if f.fragment
        )
        return tuple(sorted((*self.skipped, *fragments), key=lambda s: s.line))
