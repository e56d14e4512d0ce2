"""What a platform's `toolchain()` is built from: installed package versions and file digests.

Every platform keys its cache entries on the same kinds of facts, read the same way here.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterable
from pathlib import Path


def dist_versions(dists: Iterable[str]) -> dict[str, str]:
    """Each distribution's installed version ("absent" when it is not installed)."""
    versions: dict[str, str] = {}
    for dist in dists:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "absent"
    return versions


def file_digests(root: Path, paths: Iterable[Path], prefix: str) -> dict[str, str]:
    """`<prefix>/<path below root>` -> the file's sha256 ("missing" when it cannot be read)."""
    return {f"{prefix}/{p.relative_to(root).as_posix()}": _file_hash(p) for p in paths}


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"
