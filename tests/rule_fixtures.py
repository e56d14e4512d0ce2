"""A rule's fixture cases: answer files, an optional saved synth result, the expected findings.

Each rule has cases under tests/rules/<family>/<RULE_ID>/<case>/ (layout in tests/rules/README.md).
A case's expected findings are marked in the answer's own files, on the line each must point at:
`# expect: AWS005`, several ids a line (`# expect: AWS005, PY003`; the same id twice for two
findings there), an id with the severity the finding must have (`# expect: PY001 (Medium)`).
What a line cannot carry goes in the fixture's `case.toml` (tests/rules/README.md).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iacgrade.graders.context import GradeContext, Settings
from iacgrade.harness.core.findings import Finding
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.base import SynthSettings
from iacgrade.harness.platforms.cdktf_python.platform import CdktfPython
from iacgrade.harness.platforms.cfn.platform import CloudFormation
from iacgrade.harness.platforms.tf_hcl.platform import TerraformHcl, synthesize

# tests/rules/<family>/<RULE_ID>/: family is the rule's grader package (graders/<family>/).
RULES_DIR = Path(__file__).parent / "rules"
CASE_FILE = "case.toml"
# What a case.toml may say (tests/rules/README.md); a misspelt key would otherwise go unread.
CASE_KEYS = frozenset({"unlocated", "titles", "synth", "absent"})
# The task's own files a case may carry beside files/: the prompt rules read as ctx.prompt, and the
# task's metadata.json as ctx.metadata.
PROMPT_FILE = "PROMPT.md"
METADATA_FILE = "metadata.json"

# A comment of its own: "`# expect: X`" quoted in prose is no marker.
_MARKER = re.compile(r"(?:^|\s)#\s*expect:\s*(?P<items>.*?)\s*$")
# A rule id ("AWS005") or a checked tool's own id ("SEC:CKV_AWS_24"), with an optional severity.
_ITEM = re.compile(r"(?P<id>[A-Z]+(?:\d{3}|:[A-Z0-9_]+))(?:\s*\((?P<severity>[A-Za-z]+)\))?")


@dataclass(frozen=True)
class Marker:
    """One finding a fixture expects: the rule (or check) id, where, and maybe its severity."""

    rule_id: str
    path: str
    line: int
    severity: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def markers_in(path: str, text: str) -> list[Marker]:
    """The `# expect:` markers of one file; a malformed marker is an error, not a silent skip."""
    found: list[Marker] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.search(line)
        if not match:
            continue
        items = [item.strip() for item in match.group("items").split(",")]
        for item in items:
            parsed = _ITEM.fullmatch(item)
            if parsed is None:
                raise ValueError(f"{path}:{number}: malformed marker {item!r} in {line.strip()!r}")
            found.append(Marker(parsed.group("id"), path, number, parsed.group("severity")))
    return found


@dataclass(frozen=True)
class Case:
    """One named case of a rule: a folder with `files/` and maybe synth.json, settings.json,
    case.toml and PROMPT.md (the task's prompt, for rules that read it)."""

    rule_id: str
    name: str
    path: Path

    @property
    def id(self) -> str:
        """How tests name the case: `AWS005/fails`."""
        return f"{self.rule_id}/{self.name}"

    def files(self) -> dict[str, str]:
        """The answer's files, by workspace-relative path."""
        files_dir = self.path / "files"
        return {
            p.relative_to(files_dir).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(files_dir.rglob("*"))
            if p.is_file()
        }

    def context(self) -> GradeContext:
        metadata_path = self.path / METADATA_FILE
        metadata = json.loads(metadata_path.read_text(encoding="utf-8")) if metadata_path.is_file() else {}
        hcl_task = TerraformHcl().matches(metadata)
        ws = workspace_of(
            self.files(), task_id=f"{self.rule_id}-{self.name}", origin="answer:fixture", hcl_task=hcl_task
        )
        if not ws.has_code and hcl_task:
            ws = replace(ws, platform=TerraformHcl.name)
        synth_path = self.path / "synth.json"
        if synth_path.is_file():
            synth = SynthResult.from_reply(json.loads(synth_path.read_text(encoding="utf-8")))
        elif ws.platform == CloudFormation.name and ws.has_code:
            # A template is linted and mapped in process by real cfn-lint: nothing to save.
            synth = CloudFormation().plan_synth(ws, SynthSettings(env={}, timeout=60), None).in_process()
        elif ws.platform == TerraformHcl.name and ws.has_code:
            # HCL is parsed and validated in process: the real result, never a saved one.
            synth = synthesize(ws.files)
        else:
            synth = SynthResult(status=SynthStatus.SKIPPED if not ws.has_code else SynthStatus.OK)
        # The environment the fixture assumes (Settings fields), when not the default profile's.
        settings_path = self.path / "settings.json"
        settings = (
            Settings(**json.loads(settings_path.read_text(encoding="utf-8")))
            if settings_path.is_file()
            else Settings()
        )
        prompt_path = self.path / PROMPT_FILE
        prompt = prompt_path.read_text(encoding="utf-8") if prompt_path.is_file() else ""
        return GradeContext(ws, synth, metadata=metadata, settings=settings, prompt=prompt)

    def case(self) -> dict[str, Any]:
        """The case's `case.toml`: what the markers cannot say (empty when there is none)."""
        path = self.path / CASE_FILE
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        unknown = sorted(set(data) - CASE_KEYS)
        if unknown:
            raise ValueError(f"{path}: unknown keys {unknown}; known: {sorted(CASE_KEYS)}")
        return data

    def markers(self) -> list[Marker]:
        """Every `# expect:` marker of the case's files, and the findings `absent` in case.toml
        expects at a file the answer does not have."""
        marked = [m for path, text in self.files().items() for m in markers_in(path, text)]
        return marked + self.absent()

    def absent(self) -> list[Marker]:
        """Findings at a line of a file the answer lacks (`absent` in case.toml: "path:line ID"),
        such as the test module a task expects and the answer does not ship."""
        found = []
        for entry in self.case().get("absent", []):
            where, _, rule_id = str(entry).rpartition(" ")
            path, _, line = where.rpartition(":")
            if not path or not line.isdigit() or not _ITEM.fullmatch(rule_id):
                raise ValueError(f"{self.path / CASE_FILE}: malformed absent entry {entry!r}")
            if path in self.files():
                raise ValueError(f"{self.path / CASE_FILE}: {path} is in files/; mark the line instead")
            found.append(Marker(rule_id, path, int(line)))
        return found

    def unlocated(self) -> list[str]:
        """Anchors of the findings expected with no file and line (`unlocated` in case.toml)."""
        return list(self.case().get("unlocated", []))

    def titles(self) -> dict[str, str]:
        """Titles some findings must carry, by anchor (`[titles]` in case.toml)."""
        return dict(self.case().get("titles", {}))

    @property
    def fails(self) -> bool:
        """Whether the rule must flag this case: it marks a finding of the rule (else it must pass)."""
        return bool(self.unlocated()) or self.rule_id in self.marked_rules()

    def marked_rules(self) -> set[str]:
        """The rules the markers name (a check id counts as the rule that runs it)."""
        return {_declared_by(m.rule_id) for m in self.markers()}


def _declared_by(check_id: str) -> str:
    from iacgrade.graders.registry import declaring_rule

    return declaring_rule(check_id)


def mismatches(findings: list[Finding], markers: list[Marker], unlocated: list[str]) -> list[str]:
    """How the findings differ from the marked ones, a line each; empty when they agree exactly."""
    located = [f for f in findings if f.location.path and f.location.line]
    got = Counter((f.rule_id, f"{f.location.path}:{f.location.line}") for f in located)
    want = Counter((m.rule_id, m.where) for m in markers)
    out = [f"missing: {where} {rule_id}" for (rule_id, where), n in (want - got).items() for _ in range(n)]
    for f in located:
        key = (f.rule_id, f"{f.location.path}:{f.location.line}")
        if (got - want)[key]:
            out.append(f"unexpected: {key[1]} {f.rule_id} [{f.anchor}] {f.message[:120]}")
    loose = Counter(f.anchor for f in findings if f not in located)
    for anchor, n in (Counter(unlocated) - loose).items():
        out += [f"missing: unlocated {anchor}"] * n
    for anchor, n in (loose - Counter(unlocated)).items():
        out += [f"unexpected: unlocated {anchor} ({_where(findings, anchor)})"] * n
    out += _severity_mismatches(located, markers)
    return out


def _where(findings: list[Finding], anchor: str) -> str:
    return next((str(f.location) or "no location" for f in findings if f.anchor == anchor), "")


def _severity_mismatches(located: list[Finding], markers: list[Marker]) -> list[str]:
    out: list[str] = []
    for key in {(m.rule_id, m.where) for m in markers if m.severity}:
        want = Counter(m.severity for m in markers if (m.rule_id, m.where) == key and m.severity)
        got = Counter(
            f.severity.value for f in located if (f.rule_id, f"{f.location.path}:{f.location.line}") == key
        )
        if got and want - got:  # no finding there at all is told as missing already
            out.append(f"severity at {key[1]} {key[0]}: marked {sorted(want.elements())}, got {sorted(got)}")
    return out


def workspace_of(
    answer: dict[str, str], task_id: str = "t", origin: str = "answer:test", *, hcl_task: bool = False
) -> Workspace:
    """The model-side workspace of answer files, laid out as the CDKTF-Python platform does (as
    the Terraform HCL platform does when they are `.tf` files and no Python, or `.tf` files of a
    Terraform HCL task with its Lambda code in Python; as the CloudFormation platform does when
    they hold a template and no Python)."""
    hcl = TerraformHcl()
    if hcl.has_code(answer) and (hcl_task or not any(p.endswith(".py") for p in answer)):
        layout = hcl.layout(answer, {}, {p: origin for p in answer})
        return Workspace.from_layout(task_id, "model", layout, platform=hcl.name)
    cfn = CloudFormation()
    if not any(p.endswith(".py") for p in answer) and (cfn.has_code(answer) or _cfn_case(task_id)):
        origins = {p: origin for p in answer}
        if not cfn.has_code(answer):
            return Workspace(
                task_id, "model", dict(answer), origins, "", "", None, None, has_code=False, platform=cfn.name
            )
        return Workspace.from_layout(task_id, "model", cfn.layout(answer, {}, origins), platform=cfn.name)
    if not any(p.endswith(".py") for p in answer):
        origins = {p: origin for p in answer}
        return Workspace(task_id, "model", dict(answer), origins, "", "", None, None, has_code=False)
    return Workspace.from_layout(
        task_id, "model", CdktfPython().layout(answer, {}, {p: origin for p in answer})
    )


def _cfn_case(task_id: str) -> bool:
    # A CFN rule's case with no template (CFN001) is still a CloudFormation answer.
    return task_id.startswith("CFN")


def family_of(rule_id: str) -> str:
    """The grader package that declares the rule (`iacgrade/graders/aws/network.py:31` -> "aws")."""
    from iacgrade.graders.registry import load_rules

    return load_rules()[rule_id].meta.source.split("/")[-2]


def rule_dir(rule_id: str) -> Path:
    """Where the rule's fixtures live."""
    return RULES_DIR / family_of(rule_id) / rule_id


def rule_case(rule_id: str, name: str) -> Case:
    """The case `name` of rule `rule_id` (tests that build on a rule's fixture start here)."""
    return Case(rule_id, name, rule_dir(rule_id) / name)


def rule_cases(rule_id: str) -> list[Case]:
    """Every case of the rule, by name."""
    folder = rule_dir(rule_id)
    return (
        [Case(rule_id, d.name, d) for d in sorted(folder.iterdir()) if d.is_dir()] if folder.is_dir() else []
    )


def all_cases() -> list[Case]:
    """Every case of every rule folder under tests/rules/, registered or not."""
    return [Case(d.parent.name, d.name, d) for d in sorted(RULES_DIR.glob("*/*/*")) if d.is_dir()]
