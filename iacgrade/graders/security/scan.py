"""SEC: security scanning of the synthesized Terraform JSON with checkov.

checkov takes seconds to import, so it runs in one warm checkov server per grading process
(iacgrade/graders/security/runner.py), one scan per answer over a temporary directory holding every stack
(`<stack>/cdk.tf.json`), with a time limit. The JSON is written
indented so checkov's line ranges point at one resource each; `_line_index` maps them back to
addresses. Which checks are reported, and at what severity, is our own table
(iacgrade/graders/aws/data/checkov_severity.json). A checkov that is missing, crashes or times out makes
the rule raise, which the registry records as an ERROR outcome: never a failure of the answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.security.install import venv_checkov
from iacgrade.graders.security.runner import RUNNER
from iacgrade.graders.security.suppressions import without_suppressions
from iacgrade.graders.sites import site
from iacgrade.graders.terraform_model import Resource
from iacgrade.harness.core.errors import GraderError
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.source import Span, quote
from iacgrade.harness.platforms.registry import platform_named

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 180.0
CHECKOV_DOCS = "https://www.checkov.io/5.Policy%20Index/terraform.html"
# Seconds and stack counts of the checkov runs of this process, so its cost can be reported.
STATS: list[tuple[float, int]] = []


def checkov_command() -> list[str]:
    """Where checkov is: `IACGRADE_CHECKOV`, else beside this interpreter, else the venv
    `iacgrade doctor --fix` made, else on PATH."""
    configured = os.environ.get("IACGRADE_CHECKOV")
    if configured:
        return [configured]
    beside = Path(sys.executable).with_name("checkov")
    if beside.is_file():
        return [str(beside)]
    installed = venv_checkov()
    if installed.is_file():
        return [str(installed)]
    found = shutil.which("checkov")
    if found:
        return [found]
    raise GraderError("checkov is not installed (run `iacgrade doctor --fix`, or set IACGRADE_CHECKOV)")


def run_checkov(stacks: dict[str, dict[str, Any]], timeout: float = TIMEOUT_SECONDS) -> list[dict[str, Any]]:
    """checkov's failed checks over all stacks, each with `stack` and `address` added."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iacgrade-checkov-") as tmp:
        index: dict[str, list[tuple[int, str]]] = {}
        for name, doc in stacks.items():
            folder = Path(tmp) / _safe(name)
            folder.mkdir()
            text = without_suppressions(json.dumps(without_nulls(doc), indent=2, sort_keys=True))
            (folder / "cdk.tf.json").write_text(text, encoding="utf-8")
            index[folder.name] = _line_index(text)
        reports = _scan(tmp, "terraform_json", timeout)
    seconds = time.perf_counter() - start
    STATS.append((seconds, len(stacks)))
    log.info("checkov: %.1f s for %d stack(s)", seconds, len(stacks))
    failed: list[dict[str, Any]] = []
    for report in reports:
        for check in (report.get("results") or {}).get("failed_checks") or []:
            stack = Path(str(check.get("file_path", ""))).parent.name
            lines = check.get("file_line_range") or [0, 0]
            address = _address(index.get(stack, []), int(lines[0]), str(check.get("resource", "")))
            failed.append({**check, "stack": stack, "address": address})
    # checkov scans the stack files in parallel and reports them in the order they finished.
    return sorted(failed, key=_check_order)


# Scans of an answer's own files started ahead of its rules (`scan_files_ahead`), by what they
# scan: checkov runs in its own process, so it overlaps the parse and validation of the answer.
# A few at most are kept; one no rule asked for is dropped with the oldest.
MAX_AHEAD = 8
_ahead: OrderedDict[str, Future[list[dict[str, Any]]]] = OrderedDict()
_ahead_lock = threading.Lock()
_ahead_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkov-ahead")


def _files_key(files: dict[str, str], framework: str) -> str:
    return hashlib.sha256(json.dumps([framework, sorted(files.items())]).encode()).hexdigest()


def scan_files_ahead(files: dict[str, str], framework: str) -> None:
    """Start `run_checkov_files(files, framework)` in the background; the call itself then takes
    the result."""
    key = _files_key(files, framework)
    with _ahead_lock:
        if key in _ahead:
            return
        _ahead[key] = _ahead_pool.submit(_scan_files, dict(files), framework, TIMEOUT_SECONDS)
        while len(_ahead) > MAX_AHEAD:
            _ahead.popitem(last=False)


def run_checkov_files(
    files: dict[str, str], framework: str, timeout: float = TIMEOUT_SECONDS
) -> list[dict[str, Any]]:
    """checkov's failed checks over an answer's own files (`.tf`, a template), read by the
    platform's framework; each gets `path` (workspace-relative) and `lines` (first, last)."""
    with _ahead_lock:
        ahead = _ahead.pop(_files_key(files, framework), None)
    if ahead is not None:
        return ahead.result()
    return _scan_files(files, framework, timeout)


def _scan_files(files: dict[str, str], framework: str, timeout: float) -> list[dict[str, Any]]:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iacgrade-checkov-") as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            target = root / rel
            if root not in target.resolve().parents:
                continue  # a path that climbs out of the scan folder is not the answer's file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(without_suppressions(text), encoding="utf-8")
        reports = _scan(tmp, framework, timeout)
    STATS.append((time.perf_counter() - start, len(files)))
    failed: list[dict[str, Any]] = []
    for report in reports:
        for check in (report.get("results") or {}).get("failed_checks") or []:
            lines = check.get("file_line_range") or [0, 0]
            path = _relative_to_scan(check, tmp)
            failed.append({**check, "path": path, "lines": (int(lines[0]), int(lines[-1]))})
    # The resource breaks ties: checkov reports the instances of one `for_each` block (same file,
    # same lines) in the order its threads finish them.
    return sorted(
        failed, key=lambda c: (c["path"], c["lines"], str(c.get("check_id", "")), str(c.get("resource", "")))
    )


def _relative_to_scan(check: dict[str, Any], scanned: str) -> str:
    """The workspace path of the file a check names: checkov gives it absolute or relative to
    its own working directory (`../iacgrade-checkov-x/main.tf`), not to the scanned folder, whose
    unique name marks where the workspace path starts."""
    for key in ("file_abs_path", "file_path"):
        parts = str(check.get(key) or "").replace("\\", "/").split("/")
        if Path(scanned).name in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(Path(scanned).name) :])
    return str(check.get("file_path", "")).lstrip("/")


def without_nulls(value: Any) -> Any:
    """The JSON with every null-valued key left out, which is what Terraform makes of a null.

    cdktf writes each field of an inline block a struct leaves unset as null
    (`ingress: [{"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": null, ...}]`), and checkov
    passes some checks on such a block without reading it (CKV_AWS_24 on an SSH ingress open to
    the world)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def _check_order(check: dict[str, Any]) -> tuple[str, int, str, str]:
    lines = check.get("file_line_range") or [0, 0]
    return (check["stack"], int(lines[0]), str(check.get("check_id", "")), check["address"])


def _scan(directory: str, framework: str, timeout: float) -> list[dict[str, Any]]:
    """checkov's reports on `directory` read as `framework`, on the warm server."""
    args = ["--framework", framework, "-o", "json", "--quiet", "--compact", "--skip-download"]
    proc = RUNNER.scan(checkov_command(), directory, args, timeout)
    # checkov exits 1 when a check fails; anything else, or no JSON, is checkov breaking.
    if proc.returncode not in (0, 1):
        raise GraderError(f"checkov exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    if proc.returncode == 1 and not proc.stdout.strip():
        raise GraderError(f"checkov failed without a report: {proc.stderr.strip()[-400:]}")
    return _parse(proc.stdout)


def _parse(stdout: str) -> list[dict[str, Any]]:
    text = stdout.strip()
    if not text:
        return []  # nothing to scan gives no output at all
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GraderError(f"checkov printed no JSON: {text[:200]}") from exc
    return [r for r in (data if isinstance(data, list) else [data]) if isinstance(r, dict)]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "stack"


def _line_index(text: str) -> list[tuple[int, str]]:
    """(first line, address) of every resource block in JSON written with `indent=2`."""
    out: list[tuple[int, str]] = []
    section = rtype = ""
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" "))
        key = line.strip().split('"')[1] if line.strip().startswith('"') else ""
        if indent == 2:
            section = key
        elif indent == 4 and section in ("resource", "data"):
            rtype = key
        elif indent == 6 and section in ("resource", "data") and key:
            out.append((number, f"{rtype}.{key}" if section == "resource" else f"data.{rtype}.{key}"))
    return out


def _address(index: list[tuple[int, str]], first_line: int, resource: str) -> str:
    for line, address in index:
        if line == first_line:
            return address
    return resource


@rule(
    id="SEC001",
    name="checkov-security-check-failed",
    title="Security Check Failed (checkov)",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model left a security control off (encryption, network exposure, IAM scope, secrets) "
        "that a standard IaC scanner checks for."
    ),
    docs=(CHECKOV_DOCS,),
    impact=(
        "Security Risk: Data or access exposed beyond what the workload needs",
        "Compliance: Fails the baseline checks security reviews run on IaC",
    ),
    fix_minutes=5,
    needs="terraform",
    # 2: each finding carries its checkov check id (`SEC:CKV_AWS_24`) rather than SEC001.
    # 3: checkov reads the JSON without cdktf's nulls, which hid open ingress blocks from it.
    # 4: checkov no longer honors the answer's own suppressions (`checkov:skip=`, Metadata skips).
    version=4,
    runs_checks=True,
)
def checkov_security_check_failed(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a checkov check (framework `terraform_json`) that fails on a resource of a
    synthesized stack and is listed in our severity table (iacgrade/graders/aws/data/checkov_severity.json):
    security groups open to the world on SSH/RDP/all ports, IAM `*` policies, hard-coded keys
    and secrets, storage and queues without encryption, publicly accessible databases. Each
    finding carries the checkov check's own id as its rule id (`SEC:CKV_AWS_24` in
    findings.csv, SARIF and the dashboard) and takes its severity from the table; SEC001 is the
    family that runs them.

    Why it matters: these are the controls a security review blocks a merge on; encryption at
    rest, for one, cannot be turned on later without replacing the database.

    Bad: `RdsCluster(..., storage_encrypted=False)`; an ingress rule with `from_port=22` and
    `cidr_blocks=["0.0.0.0/0"]`.

    Good: `storage_encrypted=True`; SSH only from a bastion's security group, or none (SSM).

    References: the checkov policy index for Terraform.
    """
    table = load("checkov_severity.json")["checks"]
    scan = platform_named(ctx.platform).scan_input(ctx.workspace)
    if scan is not None:
        yield from _file_hits(ctx, run_checkov_files(scan.files, scan.framework), table)
        return
    for check in run_checkov(ctx.terraform):
        entry = table.get(str(check.get("check_id")))
        if entry is None:
            continue
        stack = ctx.tf.stacks.get(check["stack"]) or next(
            (s for s in ctx.tf.stacks.values() if _safe(s.name) == check["stack"]), None
        )
        res: Resource | None = stack.resource(check["address"]) if stack else None
        where = site(ctx, res) if res else None
        cid = res.construct_id if res else check["address"]
        yield _hit(
            check,
            entry,
            name=check["address"],
            location=where.location if where else Location(address=check["address"], stack=check["stack"]),
            anchors=(cid, f"construct:{cid}"),
            evidence=where.evidence if where else "",
            note=ctx.terraform_note,
        )


def _file_hits(ctx: GradeContext, checks: list[dict[str, Any]], table: dict[str, Any]) -> Iterator[Hit]:
    """Hits of checkov run on the answer's own files: each at the lines checkov names, on the
    model resource whose address (or template logical id) checkov gives, when there is one."""
    by_name = {r.address: r for _, r in ctx.tf.resources()}
    by_name.update({r.construct_id: r for _, r in ctx.tf.resources()})
    for check in checks:
        entry = table.get(str(check.get("check_id")))
        if entry is None:
            continue
        resource = str(check.get("resource", ""))
        res = by_name.get(resource) or by_name.get(resource.rpartition(".")[2])
        first, last = check["lines"]
        span = Span(check["path"], first, last)
        name = res.address if res else resource
        location = Location(
            path=span.path,
            line=first,
            end_line=last if last != first else None,
            address=name,
            stack=res.stack if res else None,
        )
        fix = site(ctx, res).anchor if res else f"resource:{name}"
        yield _hit(check, entry, name, location, (name, fix), quote(ctx.workspace.files, span))


def _hit(
    check: dict[str, Any],
    entry: dict[str, Any],
    name: str,
    location: Location,
    anchors: tuple[str, str],
    evidence: str,
    note: str = "",
) -> Hit:
    """One failed check as a hit; `anchors` are (what the check's anchor names, the fix's anchor)."""
    check_id = str(check["check_id"])
    guideline = check.get("guideline")
    return Hit(
        check=check_id,
        check_name=str(check.get("check_name") or ""),
        docs=(str(guideline), CHECKOV_DOCS) if guideline else None,
        title=f"{entry['why'][0].upper()}{entry['why'][1:]} ({check_id})",
        severity=Severity(entry["severity"]),
        category=Category(entry["category"]),
        message=f"checkov {check_id} fails on `{name}`: {check.get('check_name', '')}.",
        location=location,
        anchor=f"checkov:{check_id}:{anchors[0]}",
        fix_anchor=anchors[1],
        evidence=evidence,
        note=note,
    )
