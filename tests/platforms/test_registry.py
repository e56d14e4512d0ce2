"""The platform seam: registration (decorator, entry points) and a pipeline that asks only it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from iacgrade.harness.core import plugins
from iacgrade.harness.core.extraction import ExtractedFile, Extraction
from iacgrade.harness.core.results import TaskStatus
from iacgrade.harness.core.source import Span
from iacgrade.harness.core.synth import Diagnostic, SynthRequest, SynthResult, SynthStatus
from iacgrade.harness.core.workspace import ProjectLayout, Workspace
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.platforms import registry
from iacgrade.harness.platforms.base import Locator, PlainSynth, Reference, ScanInput, SynthSettings
from iacgrade.harness.sandbox.base import Sandbox

TOY_JSON = {"resource": {"aws_s3_bucket": {"logs": {"bucket": "logs"}}}}


class Toy:
    """A platform whose answers are JSON files: enough to drive the pipeline end to end."""

    name = "toy-json"
    label = "Toy JSON"
    code_kind = "JSON"
    main_kind = "template"

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        return metadata.get("platform") == "toy"

    def extract(self, markdown: str) -> Extraction:
        body = markdown.split("```json\n", 1)[-1].split("```", 1)[0]
        block = ExtractedFile(
            path="main.json", content=body, language="json", how="fence", line=1, fragment=False
        )
        return Extraction(files=(block,), skipped=(), blocks=1)

    def has_code(self, files: Mapping[str, str]) -> bool:
        return any(p.endswith(".json") for p in files)

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout:
        return ProjectLayout(
            files=dict(answer_files),
            origins={p: origins.get(p, "answer") for p in answer_files},
            entry="main.json",
            entry_source="answer",
            stack_module="main",
            stack_class="template",
        )

    def default_env(self) -> dict[str, str]:
        return {"TOY": "1"}

    def plan_synth(self, ws: Workspace, settings: SynthSettings, reference: Reference | None) -> PlainSynth:
        request = SynthRequest(
            id=f"{ws.task_id}:{ws.side}",
            files=ws.files,
            entry=ws.entry,
            env=settings.env,
            timeout=settings.timeout,
            options={"template": ws.entry},
        )
        return PlainSynth(request)

    def locator(self, ws: Workspace) -> Locator:
        return lambda anchor: Span("main.json", 1, 1) if anchor else None

    def toolchain(self) -> dict[str, str]:
        return {"toy": "1"}

    def scan_input(self, ws: Workspace) -> ScanInput | None:
        return None

    def foreign_code(self, files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
        return None


class TemplateSandbox(Sandbox):
    """Reads the template as its own output: what a validate-only platform's sandbox would give."""

    name = "template"

    def __init__(self) -> None:
        self.requests: list[SynthRequest] = []

    def synth(self, request: SynthRequest) -> SynthResult:
        self.requests.append(request)
        template = str(request.options["template"])
        return SynthResult(
            status=SynthStatus.OK,
            stacks={"main": json.loads(request.files[template])},
            stacks_strategy="entry",
        )


@pytest.fixture
def toy_registered() -> Any:
    registry.load_platforms()
    registry.register_platform(Toy)
    yield
    registry._REGISTRY.pop(Toy.name, None)


def write_task(root: Path, platform: str) -> Path:
    task = root / "toy-task"
    task.mkdir()
    (task / "metadata.json").write_text(json.dumps({"platform": platform, "language": "json"}))
    (task / "PROMPT.md").write_text("Store logs in S3.\n")
    (task / "MODEL_RESPONSE.md").write_text(f"```json\n{json.dumps(TOY_JSON)}\n```\n")
    return task


def test_the_builtin_platform_is_registered_by_its_decorator_and_is_the_default() -> None:
    platforms = registry.load_platforms()
    assert next(iter(platforms)) == "cdktf-python"
    assert registry.default_platform().name == "cdktf-python"
    assert registry.platform_for({"platform": "cdktf", "language": "python"}) is platforms["cdktf-python"]
    assert registry.platform_for({"platform": "pulumi", "language": "ts"}) is None


def test_a_platform_name_is_declared_once(toy_registered: None) -> None:
    class Other(Toy):
        pass

    with pytest.raises(ValueError, match="declared twice"):
        registry.register_platform(Other)
    with pytest.raises(KeyError, match="no platform 'nope'"):
        registry.platform_named("nope")


def test_an_installed_platform_is_loaded_from_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = EntryPoint(name="toy", value="tests.platform_plugin:Plugin", group="iacgrade.platforms")
    broken = EntryPoint(name="broken", value="tests.no_such_module:X", group="iacgrade.platforms")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [broken, plugin])
    monkeypatch.setattr(registry, "_loaded", False)
    try:
        platforms = registry.load_platforms()
        # A broken plug-in is logged and skipped; the built-ins and the good plug-in load.
        assert "plugin-platform" in platforms and "cdktf-python" in platforms
    finally:
        registry._REGISTRY.pop("plugin-platform", None)


def test_the_pipeline_grades_a_task_through_any_registered_platform(
    toy_registered: None, tmp_path: Path
) -> None:
    sandbox = TemplateSandbox()
    result = grade_path(write_task(tmp_path, "toy"), sandbox, GradeOptions())
    assert result.status is TaskStatus.GRADED, result.reason
    assert result.model is not None and result.model.synth.stacks == {"main": TOY_JSON}
    (request,) = sandbox.requests
    # The platform's options reach the sandbox untouched, over the platform's own environment.
    assert request.options == {"template": "main.json"}
    assert request.env["TOY"] == "1" and "ENVIRONMENT_SUFFIX" not in request.env
    assert result.model_only and "no reference answer" in result.reason


def test_a_task_no_platform_takes_is_invalid_and_names_the_supported_ones(tmp_path: Path) -> None:
    result = grade_path(write_task(tmp_path, "pulumi"), TemplateSandbox(), GradeOptions())
    assert result.status is TaskStatus.INVALID
    assert "'pulumi'" in result.reason and "cdktf-python (CDKTF Python)" in result.reason


def test_the_cli_lists_the_registered_platforms() -> None:
    from typer.testing import CliRunner

    from iacgrade.harness.cli import app

    out = CliRunner().invoke(app, ["platforms"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("cdktf-python: CDKTF Python")


class LocalSynth(PlainSynth):
    """A plan the platform completes itself: no sandbox is asked."""

    def in_process(self) -> SynthResult | None:
        template = str(self.request.options["template"])
        doc = json.loads(self.request.files[template])
        bucket = doc["resource"]["aws_s3_bucket"]["logs"]
        bucket["//"] = {"metadata": {"path": "aws_s3_bucket.logs"}, "source": {"file": template, "line": 1}}
        return SynthResult(
            status=SynthStatus.OK,
            stacks={"main": doc},
            diagnostics=[
                Diagnostic(tool="toy", code="T1", level="error", message="bad", file=template, line=1)
            ],
        )


class InProcessToy(Toy):
    name = "toy-in-process"

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        return metadata.get("platform") == "toy-local"

    def plan_synth(self, ws: Workspace, settings: SynthSettings, reference: Reference | None) -> PlainSynth:
        return LocalSynth(super().plan_synth(ws, settings, reference).request)


def test_a_platform_that_builds_in_process_is_never_sent_to_the_sandbox(tmp_path: Path) -> None:
    registry.load_platforms()
    registry.register_platform(InProcessToy)
    try:
        sandbox = TemplateSandbox()
        result = grade_path(write_task(tmp_path, "toy-local"), sandbox, GradeOptions())
    finally:
        registry._REGISTRY.pop(InProcessToy.name, None)
    assert result.status is TaskStatus.GRADED, result.reason
    assert sandbox.requests == []
    assert result.model is not None
    assert [d.code for d in result.model.synth.diagnostics] == ["T1"]
    assert "synth_model" in result.timings
    # Rules of CDKTF-only families skip the answer, saying why; none of them fails it.
    outcomes = {o.rule_id: o for o in result.model.outcomes}
    assert outcomes["SYN001"].outcome.value == "SKIP"
    assert "toy-in-process" in outcomes["SYN001"].detail
    assert not any(f.rule_id.startswith(("SYN", "PY")) for f in result.model.findings)
