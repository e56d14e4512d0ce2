"""Terraform HCL on the AWS provider: the platform the pipeline asks (iacgrade/harness/platforms/base.py).

Nothing of the answer runs: its root module is parsed with python-hcl2, mapped into the
Terraform JSON the rules read and validated against the provider schema, all in process.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from functools import cache, partial
from pathlib import Path
from typing import Any

from iacgrade.harness.core.extraction import Extraction
from iacgrade.harness.core.source import Span
from iacgrade.harness.core.synth import Frame, SynthRequest, SynthResult, SynthStatus
from iacgrade.harness.core.workspace import ProjectLayout, Workspace
from iacgrade.harness.platforms.base import InProcessSynth, Locator, Reference, ScanInput, SynthSettings
from iacgrade.harness.platforms.names import TF_HCL
from iacgrade.harness.platforms.registry import register_platform
from iacgrade.harness.platforms.tf_hcl import foreign
from iacgrade.harness.platforms.tf_hcl.extract import extract_files, is_terraform
from iacgrade.harness.platforms.tf_hcl.lines import scan_blocks
from iacgrade.harness.platforms.tf_hcl.model import read_module, root_dir, to_terraform_json
from iacgrade.harness.platforms.tf_hcl.packages import list_packages
from iacgrade.harness.platforms.tf_hcl.schema import load_schema, schema_digest
from iacgrade.harness.platforms.tf_hcl.validate import validate
from iacgrade.harness.platforms.toolchain import dist_versions, file_digests

TOOLCHAIN_DISTS = ("python-hcl2", "lark")
PARSE_ERROR = "HCLParseError"
# The stack name of a root module written at the top of the answer.
TOP = "."
_CODE = Path(__file__).resolve().parent
# The instance key ending an expanded block's address: `[0]`, `["key"]`.
_INSTANCE = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')


def synthesize(files: Mapping[str, str]) -> SynthResult:
    """The root module as one stack of Terraform JSON with its schema diagnostics, or the first
    file that does not parse as the synth's error."""
    module = read_module(files)
    if module.errors:
        first = module.errors[0]
        text = files.get(first.file, "").splitlines()
        code = text[first.line - 1].strip() if 0 < first.line <= len(text) else ""
        more = f" (and {len(module.errors) - 1} more file(s))" if len(module.errors) > 1 else ""
        return SynthResult(
            status=SynthStatus.ERROR,
            error_type=PARSE_ERROR,
            message=f"{first.file}:{first.line}: {first.message}{more}",
            frame=Frame(file=first.file, line=first.line, code=code),
        )
    schema = load_schema()
    doc = to_terraform_json(module, schema)
    return SynthResult(
        status=SynthStatus.OK,
        stacks={module.root or TOP: doc},
        packages=list_packages(doc, module.root, files),
        stacks_strategy="entry",
        diagnostics=validate(module, schema),
    )


@register_platform
class TerraformHcl:
    name = TF_HCL
    label = "Terraform HCL"
    code_kind = "HCL"
    main_kind = "root module"

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        platform = str(metadata.get("platform", "")).lower()
        language = str(metadata.get("language", "")).lower()
        return platform in ("tf", "terraform") and language == "hcl"

    def extract(self, markdown: str) -> Extraction:
        return extract_files(markdown)

    def has_code(self, files: Mapping[str, str]) -> bool:
        return any(p.endswith(".tf") for p in files)

    def default_env(self) -> dict[str, str]:
        return {}

    def plan_synth(
        self, ws: Workspace, settings: SynthSettings, reference: Reference | None
    ) -> InProcessSynth:
        """Parse and validate `ws` in process; the request is never sent to a sandbox."""
        request = SynthRequest(id=f"{ws.task_id}:{ws.side}", files=dict(ws.files), entry=ws.entry)
        return InProcessSynth(request, partial(synthesize, ws.files))

    def locator(self, ws: Workspace) -> Locator:
        # Each file scanned once, however many failures the comparison locates in it.
        blocks = cache(lambda path: scan_blocks(ws.files[path]))

        def locate(anchor: str) -> Span | None:
            kind, _, address = anchor.partition(":")
            if kind not in ("resource", "construct"):
                return None
            address = _INSTANCE.sub("", address)  # an instance is written in its block
            labels = tuple(address.removeprefix("data.").split("."))
            block_kind = "data" if address.startswith("data.") else "resource"
            for path in sorted(ws.files):
                if path.endswith(".tf"):
                    for block in blocks(path):
                        if block.kind == block_kind and block.labels == labels:
                            return Span(path, block.line, block.end_line)
            return None

        return locate

    def toolchain(self) -> dict[str, str]:
        """python-hcl2 and Lark, the provider schema and this platform's own code."""
        return {
            **dist_versions(TOOLCHAIN_DISTS),
            "schema": schema_digest(),
            **file_digests(_CODE, sorted(_CODE.glob("*.py")), "tf_hcl"),
        }

    def scan_input(self, ws: Workspace) -> ScanInput | None:
        return ScanInput(
            files={p: t for p, t in ws.files.items() if p.endswith(".tf")}, framework="terraform"
        )

    def foreign_code(self, files: Mapping[str, str], policy: Mapping[str, Any]) -> tuple[str, str] | None:
        return foreign.foreign_code(files, policy)

    def layout(
        self, answer_files: Mapping[str, str], task_files: Mapping[str, str], origins: Mapping[str, str]
    ) -> ProjectLayout:
        """The answer over the task's files; the entry is the root module's folder."""
        files = {**task_files, **answer_files}
        where = {**{p: "task" for p in task_files}, **{p: origins.get(p, "answer") for p in answer_files}}
        root = root_dir(sorted(p for p in files if is_terraform(p)))
        notes: tuple[str, ...] = ()
        tf = sorted(p for p in files if p.endswith(".tf"))
        if root is not None and any(
            posixpath.dirname(p) != root and "modules" not in p.split("/") for p in tf
        ):
            notes = (f"only the .tf files in {root or TOP!r} form the root module; the others are not read",)
        return ProjectLayout(
            files=files,
            origins=where,
            entry=(root or TOP) if root is not None else "",
            entry_source="answer",
            stack_module=None,
            # The pipeline grades a reference that has a main unit to build: here the root
            # module, named as its stack is.
            stack_class=(root or TOP) if root is not None else None,
            notes=notes,
        )
