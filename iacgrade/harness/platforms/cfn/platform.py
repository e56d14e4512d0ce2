"""CloudFormation templates (YAML or JSON): the platform the pipeline asks
(iacgrade/harness/platforms/base.py).

The template is the artifact: nothing of the answer runs. Its "synth" is cfn-lint in this process
(synth_plan.py), checkov scans the template itself (`--framework cloudformation`), and the
template's resources are mapped into the Terraform model for the AWS rules (mapping.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from iacgrade.harness.core.extraction import Extraction
from iacgrade.harness.core.source import Span
from iacgrade.harness.core.synth import Diagnostic
from iacgrade.harness.core.workspace import ProjectLayout, Workspace
from iacgrade.harness.platforms.base import InProcessSynth, Locator, Reference, ScanInput, SynthSettings
from iacgrade.harness.platforms.cfn import foreign, lint, synth_plan
from iacgrade.harness.platforms.cfn.extract import extract_templates
from iacgrade.harness.platforms.cfn.spans import resource_spans
from iacgrade.harness.platforms.cfn.templates import template_paths, templates_of
from iacgrade.harness.platforms.names import CFN
from iacgrade.harness.platforms.registry import register_platform
from iacgrade.harness.platforms.toolchain import file_digests

_HERE = Path(__file__).resolve().parent
_PLATFORMS = ("cfn", "cloudformation")
_LANGUAGES = ("yaml", "yml", "json")


@register_platform
class CloudFormation:
    name = CFN
    label = "CloudFormation"
    code_kind = "template"
    main_kind = "template"

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        platform = str(metadata.get("platform", "")).lower()
        language = str(metadata.get("language", "")).lower()
        return platform in _PLATFORMS and language in _LANGUAGES

    def extract(self, markdown: str) -> Extraction:
        return extract_templates(markdown)

    def has_code(self, files: Mapping[str, str]) -> bool:
        return bool(template_paths(dict(files)))

    def default_env(self) -> dict[str, str]:
        return {"AWS_REGION": lint.DEFAULT_REGION}

    def plan_synth(
        self, ws: Workspace, settings: SynthSettings, reference: Reference | None
    ) -> InProcessSynth:
        return synth_plan.plan_synth(ws, settings)

    def locator(self, ws: Workspace) -> Locator:
        # Each template decoded once, however many failures the comparison locates in it.
        decode = cache(lambda path: lint.decode(ws.files[path]))
        spans = cache(lambda path: resource_spans(ws.files[path]))
        return lambda anchor: _find_resource(ws, anchor, decode, spans)

    def toolchain(self) -> dict[str, str]:
        """Python, cfn-lint, and this platform's own code and data."""
        own = sorted([*_HERE.glob("*.py"), *(_HERE / "data").glob("*.toml")])
        return {
            "python": ".".join(map(str, sys.version_info[:3])),
            "cfn-lint": lint.version(),
            **file_digests(_HERE, own, "cfn"),
        }

    def scan_input(self, ws: Workspace) -> ScanInput | None:
        return ScanInput(files={p: ws.files[p] for p in templates_of(ws)}, framework="cloudformation")

    def foreign_code(self, files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
        return foreign.foreign_code(files, policy)

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout:
        """The answer's files as written; the entry is its main template (YAML first, `lib/`)."""
        files = dict(answer_files)
        where = {p: origins.get(p, "answer") for p in files}
        templates = template_paths(files)
        entry = templates[0] if templates else ""
        stem = entry.rsplit("/", 1)[-1].rsplit(".", 1)[0] if entry else None
        notes = () if entry else ("the answer holds no CloudFormation template",)
        return ProjectLayout(
            files=files,
            origins=where,
            entry=entry,
            entry_source="answer" if entry else "",
            stack_module=entry or None,
            stack_class=stem,
            notes=notes,
        )


def _find_resource(
    ws: Workspace,
    anchor: str,
    decode: Callable[[str], tuple[Any, list[Diagnostic]]],
    spans: Callable[[str], dict[str, tuple[int, int]] | None] = lambda path: None,
) -> Span | None:
    """The lines of the resource an anchor names (`resource:<type>.<id>`, `construct:<id>`, `<id>`);
    `spans(path)` gives a template's resource lines where libyaml's reading is cfn-lint's, else
    `decode(path)` gives the template with its line marks."""
    name = anchor.rpartition(":")[2].rpartition(".")[2]
    if not name:
        return None
    for path in templates_of(ws):
        fast = spans(path)
        if fast is not None:
            if name in fast:
                return Span(path, *fast[name])
            continue
        template, errors = decode(path)
        body = (template or {}).get("Resources", {}) if not errors else {}
        for key, value in body.items() if isinstance(body, Mapping) else ():
            if str(key) == name:
                start = getattr(key, "start_mark", None)
                end = getattr(value, "end_mark", None)
                if start is not None and end is not None:
                    return Span(path, start.line + 1, max(start.line + 1, end.line))
    return None
