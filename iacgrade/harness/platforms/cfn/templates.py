"""Which files of a workspace are the templates it deploys."""

from __future__ import annotations

from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.cfn.extract import is_template

TEMPLATE_SUFFIXES = (".yml", ".yaml", ".json", ".template")


def template_paths(files: dict[str, str] | Workspace) -> list[str]:
    """Files holding a template (a top-level Resources section), YAML before JSON, by path."""
    texts = files.files if isinstance(files, Workspace) else files
    found = [p for p, t in texts.items() if p.lower().endswith(TEMPLATE_SUFFIXES) and is_template(t)]
    return sorted(found, key=lambda p: (p.lower().endswith(".json"), p.count("/") != 1, p))


def templates_of(ws: Workspace) -> list[str]:
    """The templates linted for a workspace: its entry, then every other answer template except a
    JSON twin of a YAML one (the archive keeps `TapStack.json` converted from `TapStack.yml`)."""
    answer = {p: ws.files[p] for p in ws.answer_paths if p in ws.files}
    paths = template_paths(answer)
    if ws.entry in paths:
        paths.remove(ws.entry)
        paths.insert(0, ws.entry)
    stems = {p.rsplit(".", 1)[0] for p in paths if not p.lower().endswith(".json")}
    return [p for p in paths if not (p.lower().endswith(".json") and p.rsplit(".", 1)[0] in stems)]
