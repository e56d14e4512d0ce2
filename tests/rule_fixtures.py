"""Loading a rule's good/bad fixture: answer files, an optional saved synth result, expected hits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from graders.context import GradeContext, Settings
from harness.core.synth import SynthResult, SynthStatus
from harness.core.workspace import Workspace
from harness.platforms.cdktf_python.platform import CdktfPython

# tests/rules/<family>/<RULE_ID>/: family is the rule's grader package (graders/<family>/).
RULES_DIR = Path(__file__).parent / "rules"


@dataclass(frozen=True)
class Fixture:
    rule_id: str
    kind: str  # "good" or "bad"
    path: Path

    def context(self) -> GradeContext:
        files_dir = self.path / "files"
        answer = {
            p.relative_to(files_dir).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(files_dir.rglob("*"))
            if p.is_file()
        }
        ws = workspace_of(answer, task_id=f"{self.rule_id}-{self.kind}", origin="answer:fixture")
        has_code = ws.has_code
        synth_path = self.path / "synth.json"
        if synth_path.is_file():
            synth = SynthResult.from_reply(json.loads(synth_path.read_text(encoding="utf-8")))
        else:
            synth = SynthResult(status=SynthStatus.SKIPPED if not has_code else SynthStatus.OK)
        # The environment the fixture assumes (Settings fields), when not the default profile's.
        settings_path = self.path / "settings.json"
        settings = (
            Settings(**json.loads(settings_path.read_text(encoding="utf-8")))
            if settings_path.is_file()
            else Settings()
        )
        return GradeContext(ws, synth, settings=settings)

    def expected(self) -> list[dict[str, str]]:
        path = self.path / "expected.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def workspace_of(answer: dict[str, str], task_id: str = "t", origin: str = "answer:test") -> Workspace:
    """The model-side workspace of answer files, laid out as the CDKTF-Python platform does."""
    if not any(p.endswith(".py") for p in answer):
        origins = {p: origin for p in answer}
        return Workspace(task_id, "model", dict(answer), origins, "", "", None, None, has_code=False)
    return Workspace.from_layout(
        task_id, "model", CdktfPython().layout(answer, {}, {p: origin for p in answer})
    )


def family_of(rule_id: str) -> str:
    """The grader package that declares the rule (`graders/aws/network.py:31` -> "aws")."""
    from graders.registry import load_rules

    return load_rules()[rule_id].meta.source.split("/")[1]


def rule_dir(rule_id: str) -> Path:
    """Where the rule's fixtures live."""
    return RULES_DIR / family_of(rule_id) / rule_id


def fixture(rule_id: str, kind: str) -> Fixture:
    return Fixture(rule_id, kind, rule_dir(rule_id) / kind)
