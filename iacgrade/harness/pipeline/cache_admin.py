"""Keeping the result cache in bounds: what it holds (`cache_info`) and removing the least
recently used entries (`prune`), by hand (`iacgrade cache prune`) or at the end of every run
(`auto_prune`, under `DEFAULT_MAX_SIZE` unless `$IACGRADE_CACHE_MAX_SIZE` says otherwise).

An entry's modification time is its last use: `ResultCache` writes entries whole and touches
them when it reads one, so the oldest are the least recently used. Pruning only unlinks whole
files, which is safe beside a grading that runs at the same time: a reader that already opened
an entry reads it to the end, one that comes after finds it gone and computes it again (a
miss), and a writer's temp file is never touched until it is far older than any write takes.
Folders are left in place, so a writer never loses the folder it is about to write into.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from iacgrade.harness.pipeline.cache import CACHE_FORMAT, default_cache_dir

log = logging.getLogger(__name__)

MAX_SIZE_ENV = "IACGRADE_CACHE_MAX_SIZE"
DEFAULT_MAX_SIZE = 2 * 1024**3
# A temp file older than this belongs to a writer that was killed: no write takes an hour.
STALE_TEMP_SECONDS = 3600.0
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
DAY = 86400.0


def parse_size(text: str) -> int:
    """Bytes from `2G`, `2GB`, `2GiB`, `500M`, `1.5g` or a plain number (units are powers of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (e.g. 2G, 500MB, 1048576)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def max_size_setting() -> int | None:
    """The cap `auto_prune` keeps the cache under: `$IACGRADE_CACHE_MAX_SIZE` (`0` or `none`: no
    cap), else `DEFAULT_MAX_SIZE`. A value that does not parse is reported and the default used."""
    raw = os.environ.get(MAX_SIZE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_SIZE
    if raw.lower() in ("0", "none", "off"):
        return None
    try:
        return parse_size(raw)
    except ValueError as exc:
        log.warning("%s: %s; using the default %s", MAX_SIZE_ENV, exc, human_size(DEFAULT_MAX_SIZE))
        return DEFAULT_MAX_SIZE


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str  # "synth", "rules", "temp", or "v<N>/<kind>" for another format's entries
    size: int
    used: float  # mtime: written or last read

    @property
    def current(self) -> bool:
        return _is_current(self.kind)


def scan(results_dir: Path) -> list[Entry]:
    """Every file under the cache, whatever format wrote it; a file that vanishes meanwhile is skipped."""
    found: list[Entry] = []
    if not results_dir.is_dir():
        return found
    for dirpath, _dirs, files in os.walk(results_dir):
        rel = Path(dirpath).relative_to(results_dir).parts
        for name in files:
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            found.append(Entry(path, _kind(rel, name), st.st_size, st.st_mtime))
    return found


def _is_current(kind: str) -> bool:
    """An entry this version reads (not a temp file, not another format's)."""
    return "/" not in kind and kind != "temp"


def _kind(rel: tuple[str, ...], name: str) -> str:
    if name.endswith(".tmp"):
        return "temp"
    version = rel[0] if rel else ""
    kind = rel[1] if len(rel) > 1 else "other"
    return kind if version == f"v{CACHE_FORMAT}" else f"{version or 'top'}/{kind}"


@dataclass
class CacheInfo:
    root: Path
    size: int = 0
    files: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (files, bytes)
    oldest: float | None = None
    newest: float | None = None
    # Other caches beside this one under the same folder (the jsii packages, the provider index):
    # reported, never pruned.
    beside: dict[str, int] = field(default_factory=dict)


def cache_info(results_dir: Path | None = None) -> CacheInfo:
    root = results_dir or default_cache_dir()
    entries = scan(root)
    info = CacheInfo(root=root)
    for e in entries:
        info.size += e.size
        info.files += 1
        files, size = info.by_kind.get(e.kind, (0, 0))
        info.by_kind[e.kind] = (files + 1, size + e.size)
    used = [e.used for e in entries if e.kind != "temp"]
    if used:
        info.oldest, info.newest = min(used), max(used)
    if root.parent.is_dir():
        for sibling in sorted(root.parent.iterdir()):
            if sibling.is_dir() and sibling.resolve() != root.resolve():
                info.beside[sibling.name] = sum(e.size for e in scan(sibling))
    return info


def format_info(info: CacheInfo) -> str:
    def when(stamp: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "-"

    lines = [
        f"root:    {info.root}",
        f"size:    {human_size(info.size)} ({info.size} bytes) in {info.files} files",
        f"cap:     {_cap_text()}",
    ]
    for kind, (files, size) in sorted(info.by_kind.items(), key=lambda kv: (not _is_current(kv[0]), kv[0])):
        note = "" if _is_current(kind) else "  (not read by this version: pruned first)"
        if kind == "temp":
            note = "  (writes under way, or left by a killed run)"
        lines.append(f"  {kind:<12} {files:>7} entries  {human_size(size):>10}{note}")
    lines.append(f"oldest:  {when(info.oldest)}  (least recently used)")
    lines.append(f"newest:  {when(info.newest)}")
    for name, size in info.beside.items():
        lines.append(f"beside:  {info.root.parent / name}  {human_size(size)}  (not pruned)")
    return "\n".join(lines)


def _cap_text() -> str:
    cap = max_size_setting()
    origin = f"${MAX_SIZE_ENV}" if os.environ.get(MAX_SIZE_ENV, "").strip() else "default"
    return f"{human_size(cap)} ({origin})" if cap is not None else f"none (${MAX_SIZE_ENV})"


@dataclass
class PruneReport:
    removed: int = 0
    freed: int = 0
    kept: int = 0
    size: int = 0  # what is left


def prune(
    results_dir: Path | None = None,
    max_size: int | None = None,
    older_than_days: float | None = None,
    now: float | None = None,
) -> PruneReport:
    """Remove entries unused for `older_than_days`, then the least recently used until the cache
    holds at most `max_size` bytes. Another format's entries (never read by this version) go
    before this format's; a temp file goes only once it is stale."""
    root = results_dir or default_cache_dir()
    now = time.time() if now is None else now
    entries = scan(root)
    report = PruneReport()
    keep: list[Entry] = []
    for e in entries:
        expired = older_than_days is not None and now - e.used > older_than_days * DAY
        if e.kind == "temp":
            expired = now - e.used > STALE_TEMP_SECONDS
        if expired:
            _remove(e, report)
        else:
            keep.append(e)
    total = sum(e.size for e in keep)
    if max_size is not None and total > max_size:
        # Least useful first: other formats, then the least recently used.
        for e in sorted((e for e in keep if e.kind != "temp"), key=lambda e: (e.current, e.used)):
            if total <= max_size:
                break
            _remove(e, report)
            total -= e.size
    report.size = sum(e.size for e in scan(root))
    report.kept = len(entries) - report.removed
    return report


def _remove(e: Entry, report: PruneReport) -> None:
    # A file another prune removed first is gone all the same.
    with contextlib.suppress(FileNotFoundError):
        e.path.unlink()
        report.removed += 1
        report.freed += e.size


def auto_prune(results_dir: Path | None = None) -> PruneReport | None:
    """What a run does at its end: keep the cache under `max_size_setting()`; never fails the run."""
    cap = max_size_setting()
    if cap is None:
        return None
    try:
        report = prune(results_dir, max_size=cap)
    except OSError as exc:
        log.warning("could not prune the result cache: %s", exc)
        return None
    if report.removed:
        log.info(
            "pruned %d cache entries (%s) to stay under %s",
            report.removed,
            human_size(report.freed),
            human_size(cap),
        )
    return report
