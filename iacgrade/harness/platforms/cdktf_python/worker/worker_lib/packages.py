"""What the deployment packages a synthesized app points at really contain.

Rules about Lambda packages cannot read a zip from source file names: answers build archives
while they synthesize (`zipfile.ZipFile(...).write(path, "index.py")`, `TerraformAsset`), so
only the files present after synth say what Terraform will upload. After each strategy the
worker lists every local file the Terraform JSON names as a package or package source and
returns that listing with the stacks.

Keys are paths relative to the workspace, as Terraform would open them from
`cdktf.out/stacks/<stack>/`, never the worker's own folders, so a listing is the same on every
machine. Standard library only: this runs inside the sandbox.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

# Attributes whose value is a local path Terraform reads, by resource or data source type.
PATH_ATTRS: dict[str, tuple[str, ...]] = {
    "aws_lambda_function": ("filename",),
    "aws_lambda_layer_version": ("filename",),
    "aws_s3_object": ("source",),
    "aws_s3_bucket_object": ("source",),
    "archive_file": ("source_file", "source_dir"),
}
FILE_FUNCTION = re.compile(r"file(?:base64)?(?:sha256|md5|sha1|sha512)?\(\s*\"([^\"]+)\"\s*\)")
# `${path.module}` and friends are the folder Terraform runs in for a root module.
PATH_PREFIX = re.compile(r"^\$\{path\.(?:module|root|cwd)\}/")
MAX_PACKAGES = 64
MAX_MEMBERS = 2000
MAX_PYTHON_MEMBERS = 200
MAX_PYTHON_BYTES = 256 * 1024


def list_packages(
    stacks: Mapping[str, Any], stack_dirs: Mapping[str, str], workspace: str
) -> dict[str, dict[str, Any]]:
    """Workspace-relative package path -> {"kind", "members", "python"}.

    kind is "zip", "dir", "file", "missing" or "unreadable"; members are the archive's member
    names (the files below a folder, relative to it); python maps each `.py` member to its
    top-level names (functions, classes, assignments, imports), or None when it does not parse.
    `stack_dirs` maps each stack to the folder cdktf wrote it to (the worker reads the manifests).
    """
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(stacks):
        stack_dir = stack_dirs.get(name)
        if stack_dir is None or not isinstance(stacks[name], dict):
            continue
        for raw in sorted(set(_paths(stacks[name]))):
            located = locate(raw, name, stack_dir, workspace)
            if located is None or located[0] in found:
                continue
            if len(found) >= MAX_PACKAGES:
                return found
            found[located[0]] = describe(located[1])
    return found


def locate(raw: str, stack: str, stack_dir: str, workspace: str) -> tuple[str, str] | None:
    """(workspace-relative key, real path) of a path as Terraform opens it from the stack folder."""
    path = PATH_PREFIX.sub("", raw)
    if "${" in path or not path:
        return None
    workspace = workspace.rstrip(os.sep)
    if os.path.isabs(path):
        for root, logical in ((workspace, ""), (stack_dir, f"cdktf.out/stacks/{stack}")):
            if path == root or path.startswith(root + os.sep):
                rest = os.path.relpath(path, root).replace(os.sep, "/")
                key = posixpath.normpath(posixpath.join(logical, rest)) if logical else rest
                return key, path
        return None  # outside the project: nothing a deploy machine would have either
    key = posixpath.normpath(posixpath.join(f"cdktf.out/stacks/{stack}", path))
    if key.startswith("../") or key == "..":
        return None
    prefix = f"cdktf.out/stacks/{stack}/"
    # The worker writes each stack to its own output folder; anything else is the project's.
    real = (
        os.path.join(stack_dir, key[len(prefix) :])
        if key.startswith(prefix)
        else os.path.join(workspace, key)
    )
    return key, real


def describe(path: str) -> dict[str, Any]:
    """What one package path holds."""
    if os.path.isdir(path):
        members = sorted(
            os.path.relpath(os.path.join(folder, f), path).replace(os.sep, "/")
            for folder, _dirs, files in os.walk(path)
            for f in files
        )[:MAX_MEMBERS]
        return {"kind": "dir", "members": members, "python": _python(members, lambda m: _read(path, m))}
    if not os.path.isfile(path):
        return {"kind": "missing", "members": [], "python": {}}
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                members = sorted(n for n in archive.namelist() if not n.endswith("/"))[:MAX_MEMBERS]
                python = _python(members, lambda m: _read_member(archive, m))
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
            return {"kind": "unreadable", "members": [], "python": {}}
        return {"kind": "zip", "members": members, "python": python}
    base = os.path.basename(path)
    return {"kind": "file", "members": [base], "python": _python([base], lambda _m: _read(path, ""))}


def top_level_names(text: str) -> list[str] | None:
    """Names a module defines at top level, by def, class, assignment or import; None if it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return sorted(names)


def _python(members: list[str], read: Any) -> dict[str, list[str] | None]:
    out: dict[str, list[str] | None] = {}
    for member in [m for m in members if m.endswith(".py")][:MAX_PYTHON_MEMBERS]:
        text = read(member)
        out[member] = top_level_names(text) if text is not None else None
    return out


def _read(folder: str, member: str) -> str | None:
    path = os.path.join(folder, member) if member else folder
    try:
        if os.path.getsize(path) > MAX_PYTHON_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _read_member(archive: zipfile.ZipFile, member: str) -> str | None:
    try:
        if archive.getinfo(member).file_size > MAX_PYTHON_BYTES:
            return None
        return archive.read(member).decode("utf-8", errors="replace")
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return None


def _paths(doc: dict[str, Any]) -> Iterator[str]:
    """Every local path the stack's resources and data sources name as a package or its source."""
    for section in ("resource", "data"):
        for rtype, by_name in (doc.get(section) or {}).items():
            attrs = PATH_ATTRS.get(rtype, ())
            for config in by_name.values() if attrs and isinstance(by_name, dict) else ():
                if not isinstance(config, dict):
                    continue
                for attr in attrs:
                    value = config.get(attr)
                    if isinstance(value, str) and value and not value.startswith(("s3://", "http")):
                        yield value
                hashed = config.get("source_code_hash")
                if isinstance(hashed, str):
                    yield from FILE_FUNCTION.findall(hashed)
