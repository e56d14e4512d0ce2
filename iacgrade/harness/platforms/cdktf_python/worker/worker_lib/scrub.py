"""The worker's own folders taken out of what it reports, so a reply is the same on every run.

The worker synthesizes in a temporary folder with a random name (`/tmp/iacgrade-worker-x8k2/
workspace`), and node, Python and the answer all print absolute paths into it: in error
messages, tracebacks, the app's output and, through `os.path.abspath()`, the Terraform JSON
itself. Left there, two runs of one answer disagree and a user reads paths of a machine they
never saw.

- The workspace becomes the workspace-relative path in text (`lib/lambda.zip`) and
  `/workspace/...` where a path must stay absolute to mean anything (the Terraform JSON, which
  Terraform resolves from the stack's folder).
- An App's output folder (`<scratch>/out/entry/app-1`) becomes `cdktf.out`, where `cdktf synth`
  would have written it.
- The folder the jsii node kernel was unpacked into becomes `/tmp/jsii-runtime`, and the folder
  it loads packages into `/tmp/jsii-kernel`.
- Every other temporary folder of the worker (its scratch, the app's temp dir) becomes `/tmp`,
  and so does the system temp dir it was started with, in text only and only before a `/`.
- Installed files (the toolchain, the standard library) are named from their import root in
  text, `cdktf/__init__.py`, as Python names a module: the same in every sandbox.

Standard library only: this runs inside the sandbox.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PROJECT = "/workspace"
OUTPUT = "cdktf.out"
TEMP = "/tmp"
# The folder the jsii Python runtime unpacks the node kernel's script into, and the folder the
# kernel loads packages into (`jsii-kernel-<6 random characters>` in the temp dir): both random,
# one per worker, and named in every node stack trace.
RUNTIME = "/tmp/jsii-runtime"
KERNEL = "/tmp/jsii-kernel"
# A path starts where no path character precedes it (`/var/tmp` holds no `/tmp` to replace) ...
_START = r"(?<![\w.-])"
# ... and a root is matched whole: `/work` is no prefix of `/workspace` (a full stop after it
# ends a sentence, not the name).
_END = r"(?:(?P<slash>/)|(?![\w-]|\.[\w.-]))"


@dataclass(frozen=True)
class _Root:
    pattern: str
    relative: str  # what it becomes before a `/` in text ("": a path inside it loses it)
    absolute: str  # the same where a path must stay absolute
    # What the folder alone becomes; None: it is left alone.
    bare: str | None
    # The system temp folder, HOME and the installed packages also hold what is not the
    # worker's: they are rewritten in text only (`/work/data` in a Terraform JSON is the
    # answer's own).
    text_only: bool = False


class Scrubber:
    """Rewrites the worker's folders in text and in JSON-like values."""

    def __init__(
        self,
        workspace: str,
        outroot: str,
        temp_roots: Iterable[str],
        system_roots: Iterable[str] = (),
        kernel: str = "",
        installed: Iterable[str] = (),
    ) -> None:
        self._given = {
            "workspace": workspace,
            "outroot": outroot,
            "temp": list(temp_roots),
            "system": list(system_roots),
            "kernel": kernel,
            "installed": list(installed),
        }
        system = _spellings(self._given["system"])
        # Both spellings of a folder are kept: the real path and the one given (a link in TMPDIR).
        apps = [re.escape(r) + r"/[\w.:-]+/app-\d+" for r in _spellings([outroot])]
        roots = [_Root(p, OUTPUT, f"{PROJECT}/{OUTPUT}", OUTPUT) for p in apps]
        # A path inside the workspace is relative to it; the workspace alone is `/workspace`.
        roots += [_Root(re.escape(r), "", PROJECT, PROJECT) for r in _spellings([workspace])]
        roots += [_Root(re.escape(r), RUNTIME, RUNTIME, RUNTIME) for r in _spellings([kernel])]
        kernels = [re.escape(r) + r"/jsii-kernel-[A-Za-z0-9]{6}" for r in system]
        roots += [_Root(p, KERNEL, KERNEL, KERNEL) for p in kernels]
        roots += [_Root(re.escape(r), TEMP, TEMP, TEMP) for r in _spellings(self._given["temp"])]
        roots += [_Root(re.escape(r), TEMP, TEMP, None, text_only=True) for r in system]
        # Installed files are named from their import root (`jsii/_runtime.py`), the same in
        # every sandbox.
        roots += [
            _Root(re.escape(r), "", "", None, text_only=True) for r in _spellings(self._given["installed"])
        ]
        # Longest first: the workspace is inside the scratch folder, which is inside the temp dir.
        self._roots = sorted(roots, key=lambda root: len(root.pattern), reverse=True)
        alternatives = "|".join(f"(?P<r{i}>{root.pattern})" for i, root in enumerate(self._roots))
        self._pattern = re.compile(f"{_START}(?:{alternatives}){_END}") if roots else None

    def text(self, value: str, *, absolute: bool = False) -> str:
        """`value` with every folder of the worker rewritten (`absolute`: keep paths absolute)."""
        if self._pattern is None or not value:
            return value

        def replace(match: re.Match[str]) -> str:
            index = next(int(name[1:]) for name, text in match.groupdict().items() if text and name[0] == "r")
            root = self._roots[index]
            if root.text_only and absolute:
                return match.group(0)
            if not match.group("slash"):
                if root.bare is None:
                    return match.group(0)
                return root.absolute if absolute else root.bare
            prefix = root.absolute if absolute else root.relative
            return f"{prefix}/" if prefix else ""

        return self._pattern.sub(replace, value)

    def value(self, data: Any, *, absolute: bool = False) -> Any:
        """A JSON-like value with every string in it (keys too) rewritten."""
        if isinstance(data, str):
            return self.text(data, absolute=absolute)
        if isinstance(data, dict):
            return {
                self.text(k, absolute=absolute): self.value(v, absolute=absolute) for k, v in data.items()
            }
        if isinstance(data, list | tuple):
            return [self.value(item, absolute=absolute) for item in data]
        return data

    def describe(self) -> dict[str, Any]:
        """What a host needs to build the same scrubber (it reads a dead worker's output itself)."""
        return dict(self._given)

    @classmethod
    def from_description(cls, described: object) -> Scrubber:
        """The scrubber `describe()` stood for; one that rewrites nothing when it is unusable."""
        if not isinstance(described, dict):
            return cls("", "", [])

        def paths(key: str) -> list[str]:
            value = described.get(key)
            return [str(p) for p in value] if isinstance(value, list) else []

        return cls(
            str(described.get("workspace") or ""),
            str(described.get("outroot") or ""),
            paths("temp"),
            paths("system"),
            str(described.get("kernel") or ""),
            paths("installed"),
        )


def _spellings(paths: Iterable[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        if not path or not os.path.isabs(path):
            continue
        for spelling in (os.path.normpath(path), os.path.realpath(path)):
            if spelling != os.sep and spelling not in found:
                found.append(spelling)
    return found
