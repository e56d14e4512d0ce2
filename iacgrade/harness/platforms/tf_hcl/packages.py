"""What the local packages an HCL root module names hold, read from the answer's own files.

Terraform opens a relative path from the folder it runs in, the root module's: a Lambda's
`filename`, an `archive_file`'s `source_dir` / `source_file`, an S3 object's `source`. Nothing of
the answer runs, so a folder or file is what the answer wrote, and an archive it did not ship
(a `.zip` Terraform never builds) is missing. Keys are workspace-relative paths, as the synth
worker lists a CDKTF app's packages (iacgrade/harness/platforms/cdktf_python/worker/worker_lib/packages.py).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from iacgrade.harness.core.synth import Package
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.packages import (
    MAX_MEMBERS,
    MAX_PACKAGES,
    MAX_PYTHON_BYTES,
    MAX_PYTHON_MEMBERS,
    PATH_ATTRS,
    PATH_PREFIX,
    top_level_names,
)


def list_packages(doc: Mapping[str, Any], root: str, files: Mapping[str, str]) -> dict[str, Package]:
    """Workspace-relative package path -> what the answer's files hold there."""
    found: dict[str, Package] = {}
    for raw in sorted(set(_paths(doc))):
        path = PATH_PREFIX.sub("", raw)
        if "${" in path or not path or posixpath.isabs(path):
            continue
        key = posixpath.normpath(posixpath.join(root or ".", path))
        if key in found or key == ".." or key.startswith("../"):
            continue
        if len(found) >= MAX_PACKAGES:
            break
        found[key] = describe(key, files)
    return found


# Archives: an answer's text files cannot hold one, whatever a file of that name reads as.
_ARCHIVES = (".zip", ".jar")


def describe(key: str, files: Mapping[str, str]) -> Package:
    if key.lower().endswith(_ARCHIVES):
        return Package(kind="unreadable" if key in files else "missing")
    if key in files:
        base = posixpath.basename(key)
        return Package(kind="file", members=[base], python=_python({base: files[key]}))
    prefix = "" if key == "." else f"{key}/"
    below = {p[len(prefix) :]: text for p, text in sorted(files.items()) if p.startswith(prefix)}
    if not below:
        return Package(kind="missing")
    members = sorted(below)[:MAX_MEMBERS]
    return Package(kind="dir", members=members, python=_python({m: below[m] for m in members}))


def _python(members: Mapping[str, str]) -> dict[str, list[str] | None]:
    sources = [(m, text) for m, text in members.items() if m.endswith(".py")][:MAX_PYTHON_MEMBERS]
    # A module too large to read is not judged, as the worker leaves it.
    return {m: top_level_names(t) if len(t.encode()) <= MAX_PYTHON_BYTES else None for m, t in sources}


def _paths(doc: Mapping[str, Any]) -> Iterator[str]:
    for section in ("resource", "data"):
        for rtype, by_name in (doc.get(section) or {}).items():
            attrs = PATH_ATTRS.get(rtype, ())
            for config in by_name.values() if attrs and isinstance(by_name, dict) else ():
                for attr in attrs if isinstance(config, dict) else ():
                    value = config.get(attr)
                    if isinstance(value, str) and value and not value.startswith(("s3://", "http")):
                        yield value
