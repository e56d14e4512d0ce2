"""Loading a task directory, in the project's layout and in the archived one.

Project layout: `PROMPT.md`, `MODEL_RESPONSE.md`, `IDEAL_RESPONSE.md` and/or `ideal/` (the
reference as files; it wins over the markdown), `metadata.json`, and optional scaffold files
shared by both sides (`tap.py`, `cdktf.json`, `lib/lambda/...`). Archived layout: the same
documents under `lib/`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacgrade.harness.core.errors import TaskLoadError

DOC_NAMES = ("PROMPT.md", "MODEL_RESPONSE.md", "IDEAL_RESPONSE.md", "MODEL_FAILURES.md")
# Files at a task's root that describe the task rather than belong to either answer.
NOT_SCAFFOLD = {*DOC_NAMES, "metadata.json", "README.md", ".DS_Store", "iacgrade.toml"}
MAX_TEXT_BYTES = 2_000_000
MAX_SHARED_FILES = 200
# Deployment packages the reference keeps beside its code (a Lambda zip it built once and
# committed): its code names them, so synthesis needs them. Other binaries are not part of it.
ARCHIVE_SUFFIXES = (".zip", ".jar")
MAX_ARCHIVE_BYTES = 10_000_000
MAX_ARCHIVES_BYTES = 40_000_000
# An answer shorter than this with no code fence is a dataset placeholder, not an answer.
PLACEHOLDER_CHARS = 100


@dataclass(frozen=True)
class Task:
    """One task: a prompt and two answers (the reference may be markdown, files, or absent)."""

    id: str
    path: Path
    model_md: str
    prompt: str = ""
    ideal_md: str | None = None
    ideal_tree: dict[str, str] | None = None
    # Archives in the reference tree, base64 by relative path (see ARCHIVE_SUFFIXES).
    ideal_archives: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    shared_files: dict[str, str] = field(default_factory=dict)
    written_analysis: str | None = None
    layout: str = "project"

    @property
    def has_reference(self) -> bool:
        return bool(self.ideal_tree) or bool(self.ideal_md and self.ideal_md.strip())


def is_task_dir(path: Path) -> bool:
    """A directory holding a model answer in either layout."""
    return (
        (path / "MODEL_RESPONSE.md").is_file()
        or (path / "lib" / "MODEL_RESPONSE.md").is_file()
        or (path.is_dir() and ((path / "metadata.json").is_file() or (path / "PROMPT.md").is_file()))
    )


def discover(paths: list[Path]) -> list[Path]:
    """Expand the given paths into task directories: a directory of tasks counts as its tasks."""
    found: list[Path] = []
    for p in paths:
        if is_task_dir(p):
            found.append(p)
        elif p.is_dir():
            children = sorted(c for c in p.iterdir() if c.is_dir() and not c.name.startswith("."))
            found.extend(c for c in children if is_task_dir(c))
        else:
            found.append(p)  # reported as invalid by the loader, with its reason
    return found


def load_task(path: Path) -> Task:
    """Read a task directory; raise `TaskLoadError` with a clear reason when it cannot be graded."""
    task_id = path.name
    if not path.is_dir():
        raise TaskLoadError(f"not a directory: {path}", task_id=task_id)
    docs_dir = path / "lib" if (path / "lib" / "MODEL_RESPONSE.md").is_file() else path
    layout = "archived" if docs_dir != path else "project"
    # Every problem is reported at once, so a user fixes a task in one pass.
    problems: list[str] = []
    metadata: dict[str, Any] = {}
    try:
        metadata = _read_metadata(path, task_id)
    except TaskLoadError as exc:
        problems.append(str(exc.args[0]))
    model_path = docs_dir / "MODEL_RESPONSE.md"
    model_md = ""
    if not model_path.is_file():
        problems.append("MODEL_RESPONSE.md is missing (looked in the task and its lib/)")
    else:
        try:
            model_md = _read_text(model_path, task_id)
        except TaskLoadError as exc:
            problems.append(str(exc.args[0]))
        else:
            if _is_placeholder(model_md):
                problems.append(
                    f"MODEL_RESPONSE.md holds no answer, only {len(model_md.strip())} characters: "
                    f"{model_md.strip()[:80]!r}"
                )
    if problems:
        raise TaskLoadError("; ".join(problems), task_id=task_id)
    ideal_md = _read_optional(docs_dir / "IDEAL_RESPONSE.md", task_id)
    ideal_tree = _read_tree(path / "ideal", task_id) if (path / "ideal").is_dir() else None
    ideal_archives = _read_archives(path / "ideal") if ideal_tree else {}
    return Task(
        id=task_id,
        path=path,
        model_md=model_md,
        prompt=_read_optional(docs_dir / "PROMPT.md", task_id) or "",
        ideal_md=ideal_md,
        ideal_tree=ideal_tree,
        ideal_archives=ideal_archives,
        metadata=metadata,
        shared_files=_shared_files(path, task_id) if layout == "project" else {},
        written_analysis=_read_analysis(docs_dir / "MODEL_FAILURES.md", task_id),
        layout=layout,
    )


def _is_placeholder(text: str) -> bool:
    return "```" not in text and len("".join(text.split())) < PLACEHOLDER_CHARS


def _read_metadata(path: Path, task_id: str) -> dict[str, Any]:
    meta_path = path / "metadata.json"
    if not meta_path.exists():
        return {}
    try:
        data = json.loads(_read_text(meta_path, task_id))
    except json.JSONDecodeError as exc:
        raise TaskLoadError(f"metadata.json is not valid JSON: {exc}", task_id=task_id) from exc
    if not isinstance(data, dict):
        raise TaskLoadError("metadata.json must hold a JSON object", task_id=task_id)
    return data


def _read_text(path: Path, task_id: str) -> str:
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise TaskLoadError(f"{path.name} is larger than {MAX_TEXT_BYTES} bytes", task_id=task_id)
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TaskLoadError(f"{path.name} is not UTF-8 text: {exc}", task_id=task_id) from exc
    except OSError as exc:
        raise TaskLoadError(f"cannot read {path.name}: {exc.strerror or exc}", task_id=task_id) from exc


def _read_optional(path: Path, task_id: str) -> str | None:
    return _read_text(path, task_id) if path.is_file() else None


def _read_analysis(path: Path, task_id: str) -> str | None:
    """The reviewer's written analysis: prose nothing is built from, so a stray byte of another
    encoding (a Windows quote) is replaced rather than making the whole task invalid."""
    try:
        return _read_optional(path, task_id)
    except TaskLoadError:
        if not path.is_file() or path.stat().st_size > MAX_TEXT_BYTES:
            raise
        return path.read_bytes().decode("utf-8", errors="replace")


def _read_tree(root: Path, task_id: str) -> dict[str, str]:
    """Text files below `root`, by relative POSIX path; links are never followed."""
    files: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if len(files) >= MAX_SHARED_FILES:
            raise TaskLoadError(f"{root.name}/ holds more than {MAX_SHARED_FILES} files", task_id=task_id)
        if p.is_symlink() or not p.is_file() or "__pycache__" in p.parts:
            continue
        try:
            files[p.relative_to(root).as_posix()] = _read_text(p, task_id)
        except TaskLoadError:
            continue  # binary or oversized files are not part of an answer we can grade
    return files


def _read_archives(root: Path) -> dict[str, str]:
    """Deployment archives below `root` (base64 by relative path), within the size limits."""
    found: dict[str, str] = {}
    total = 0
    for p in sorted(root.rglob("*")):
        if p.is_symlink() or not p.is_file() or p.suffix.lower() not in ARCHIVE_SUFFIXES:
            continue
        size = p.stat().st_size
        if size > MAX_ARCHIVE_BYTES or total + size > MAX_ARCHIVES_BYTES:
            continue
        total += size
        found[p.relative_to(root).as_posix()] = base64.b64encode(p.read_bytes()).decode("ascii")
    return found


def _shared_files(path: Path, task_id: str) -> dict[str, str]:
    """Scaffold files at the task root that both sides share (everything but the documents)."""
    shared: dict[str, str] = {}
    for p in sorted(path.iterdir()):
        if p.name in NOT_SCAFFOLD or p.name == "ideal" or p.name.startswith(".") or p.is_symlink():
            continue
        if p.is_dir():
            for rel, text in _read_tree(p, task_id).items():
                shared[f"{p.name}/{rel}"] = text
        elif p.is_file():
            try:
                shared[p.name] = _read_text(p, task_id)
            except TaskLoadError:
                continue
    return shared
