"""The result cache: synth results and rule outputs on disk, addressed by a hash of what decides them.

Two kinds of entry live under the cache root (default `~/.cache/iacgrade/results`, or
`$IACGRADE_CACHE/results`):

- `synth/<key>.json`, one `SynthResult`, keyed by `synth_key`: the workspace files (paths and
  contents), entry point, stack class, environment, clock and time limit of the request, and the
  toolchain that ran it (the sandbox image tag, or the local package versions and worker code).
- `rules/<key>.json`, the outputs of every rule on one answer, keyed by `answer_key`: the answer's
  files and how each was placed, its synth result, the task metadata, the grading settings and
  the rule data. Inside, each rule's outcome and findings are stored with the rule's version, so
  a bumped rule is re-run alone and the others are reused.

Entries are written atomically (a temp file, then `os.replace`): a killed run leaves an entry
whole or absent. An entry that does not read back, or that a prune removed, is ignored and
computed again. Reading an entry touches it, so its modification time is its last use
(cache_admin.py prunes the least recently used). Outcomes that
depend on the moment rather than the input (a timeout, a crash, a broken sandbox, a rule that
raised) are never stored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from iacgrade.harness.core.atomic import write_text_atomic
from iacgrade.harness.core.cachedir import cache_home
from iacgrade.harness.core.errors import GraderError
from iacgrade.harness.core.selection import METADATA_KEY
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.platforms.registry import registered
from iacgrade.harness.sandbox.base import SynthRequest

if TYPE_CHECKING:
    from iacgrade.graders.context import GradeContext

log = logging.getLogger(__name__)

# Bumped when the layout or the meaning of a key changes; old entries are then never read.
# 2: findings say where their error comes from (error_kind) and fit their impact to their severity.
# 3: synth results say the seed and clock apps ran with, and hold no path of the worker's.
# 4: a synth key is the worker message itself (platform options included); toolchains are the
#    registered platforms'.
CACHE_FORMAT = 4
# Synth outcomes that are a property of the answer; the others depend on load or luck.
CACHEABLE_SYNTH = frozenset({SynthStatus.OK, SynthStatus.ERROR, SynthStatus.SKIPPED})
_HARNESS = Path(__file__).resolve().parent.parent
# Every family keeps its data in a `data/` folder of its own (iacgrade/graders/data,
# iacgrade/graders/aws/data, ...).
_GRADERS = _HARNESS.parent / "graders"


def default_cache_dir() -> Path:
    """`$IACGRADE_CACHE/results`, else `$XDG_CACHE_HOME/iacgrade/results` (`~/.cache/...`)."""
    return cache_home() / "results"


def digest(value: Any) -> str:
    """sha256 of a JSON-able value, independent of dict order."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


@functools.cache
def platform_toolchains() -> dict[str, dict[str, str]]:
    """What every registered platform synthesizes and is read with (Platform.toolchain())."""
    return {p.name: p.toolchain() for p in registered()}


@functools.cache
def local_toolchain_id() -> str:
    """The local sandbox's toolchain: this interpreter's platforms, their packages and workers."""
    return "local:" + digest(platform_toolchains())[:32]


def sandbox_toolchain_id(sandbox: object) -> str | None:
    """The toolchain a sandbox synthesizes with, or None when it cannot be told (then nothing is cached)."""
    name = getattr(sandbox, "name", "")
    if name == "docker":
        image = getattr(sandbox, "image", "")
        return f"docker:{image}" if image else None
    if name == "local":
        # The versions read here are this interpreter's: a worker on another one cannot be told.
        python = str(getattr(sandbox, "python", sys.executable))
        same = os.path.realpath(python) == os.path.realpath(sys.executable)
        return local_toolchain_id() if same else None
    return None


@functools.cache
def graders_id() -> str:
    """What every rule reads besides its input: rule data, the provider the API index describes, checkov."""
    from iacgrade.graders.security.scan import checkov_command

    files = sorted(p for p in _GRADERS.rglob("data/*") if p.is_file() and p.suffix in (".json", ".toml"))
    # The platforms' toolchains hold the provider the API index describes.
    provider = platform_toolchains()
    # Which checkov, and when it was installed (pip rewrites its launcher): a new one re-runs SEC rules.
    checkov = "absent"
    with contextlib.suppress(GraderError, OSError):
        launcher = os.path.realpath(checkov_command()[0])
        checkov = f"{launcher}@{os.stat(launcher).st_mtime_ns}"
    data = {f.relative_to(_GRADERS).as_posix(): _file_hash(f) for f in files}
    return digest({"data": data, "provider": provider, "checkov": checkov})[:32]


class ResultCache:
    """A content-addressed store of JSON entries; safe for many threads and processes at once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_cache_dir()) / f"v{CACHE_FORMAT}"

    def __repr__(self) -> str:
        return f"ResultCache({self.root})"

    # ---- synth results

    def get_synth(self, key: str) -> SynthResult | None:
        data = self._read("synth", key)
        if data is None:
            return None
        try:
            return SynthResult.model_validate(data)
        except ValidationError:
            log.warning("ignoring a cache entry that is not a synth result: %s", self._path("synth", key))
            return None

    def has_synth(self, key: str) -> bool:
        """Whether a synth result is stored under `key` (without reading it)."""
        return self._path("synth", key).is_file()

    def put_synth(self, key: str, result: SynthResult) -> None:
        if result.status in CACHEABLE_SYNTH:
            self._write("synth", key, result.model_dump(mode="json"))

    # ---- rule outputs

    def get_rules(self, key: str) -> dict[str, Any]:
        """rule id -> {"version", "outcome", "findings"} as stored; {} when absent or unreadable."""
        data = self._read("rules", key)
        rules = data.get("rules") if isinstance(data, dict) else None
        return rules if isinstance(rules, dict) else {}

    def put_rules(self, key: str, rules: dict[str, Any]) -> None:
        self._write("rules", key, {"rules": rules})

    def get_requirements(self, key: str) -> list[Any] | None:
        """One answer's requirement checks as stored under its rules' key; None when absent."""
        data = self._read("requirements", key)
        checks = data.get("checks") if isinstance(data, dict) else None
        return checks if isinstance(checks, list) else None

    def put_requirements(self, key: str, checks: list[Any]) -> None:
        self._write("requirements", key, {"checks": checks})

    # ---- storage

    def _path(self, kind: str, key: str) -> Path:
        # Two hex digits of fan-out keep folders small on a corpus of many thousands of answers.
        return self.root / kind / key[:2] / f"{key}.json"

    def _read(self, kind: str, key: str) -> Any:
        path = self._path(kind, key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read cache entry %s: %s", path, exc)
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            log.warning("ignoring a corrupt cache entry: %s", path)
            return None
        # Its modification time is its last use: what `iacgrade cache prune` removes last. A
        # prune may have removed it since it was read; the read stands all the same.
        with contextlib.suppress(OSError):
            os.utime(path)
        return data

    def _write(self, kind: str, key: str, data: Any) -> None:
        """Write atomically; a cache that cannot be written only costs speed, never a result."""
        path = self._path(kind, key)
        try:
            write_text_atomic(path, json.dumps(data, separators=(",", ":")), durable=False)
        except OSError as exc:
            log.warning("cannot write cache entry %s: %s", path, exc)


def synth_key(request: SynthRequest, toolchain: str) -> str:
    """The key of a synth result: everything the worker is given, and what it runs on."""
    # The request's id names the task, not what is synthesized: two tasks with one answer share.
    message = {k: v for k, v in request.to_message().items() if k != "id"}
    return digest({"format": CACHE_FORMAT, "toolchain": toolchain, "request": message})


def answer_key(ctx: GradeContext) -> str:
    """The key of one answer's rule outputs: everything a rule can read, except the rule itself."""
    ws = ctx.workspace
    synth = ctx.synth.model_dump(mode="json", exclude={"seconds", "worker"}) if ctx.synth else None
    extra: dict[str, object] = {"truncated": dict(ws.truncated)} if ws.truncated else {}
    if ws.docs:
        # Only when present, so the keys of answers built without prose stay what they were.
        extra["docs"] = ws.docs
    if ctx.prompt:
        extra["prompt"] = ctx.prompt
    return digest(
        {
            **extra,
            "format": CACHE_FORMAT,
            "side": ws.side,
            "files": ws.files,
            "origins": ws.origins,
            "entry": [ws.entry, ws.entry_source],
            "stack": [ws.stack_module, ws.stack_class],
            "has_code": ws.has_code,
            "platform": ws.platform,
            "synth": synth,
            # What iacgrade alone reads there (the reviewer's ignore list) is applied after the rules.
            "metadata": {k: v for k, v in ctx.metadata.items() if k != METADATA_KEY},
            "settings": asdict(ctx.settings),
            "graders": graders_id(),
        }
    )
