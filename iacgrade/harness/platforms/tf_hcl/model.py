"""HCL files of one Terraform root module as the Terraform JSON the rules read.

Each file is parsed once with python-hcl2; the result is mapped into the shape cdktf synthesizes
(`resource.<type>.<name>`, `data`, `variable`, `output`, `provider`, `terraform`, `module`,
`locals`): expressions stay `${...}` strings, variables take their value from the root module's
auto-loaded `.tfvars` over their default, nested blocks are a dict where the schema allows one and
a list otherwise, and every resource carries `"//": {"source": {file, line, end_line, attrs}}`
so findings quote the `.tf` lines. A `count` or `for_each` known without Terraform is expanded
into its instances (`name[0]`, `name["key"]`; iacgrade/harness/platforms/tf_hcl/expand.py says how); one
that is not stays as written, as cdktf writes it. Other expressions stay `${...}`: the model's
resolver follows `var.`/`local.` references itself.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lark.exceptions import LarkError, UnexpectedInput

from iacgrade.harness.platforms.tf_hcl.expand import expand
from iacgrade.harness.platforms.tf_hcl.lines import BlockLines, scan_blocks
from iacgrade.harness.platforms.tf_hcl.parse import parse_text as parse_text  # its home before parse.py
from iacgrade.harness.platforms.tf_hcl.schema import Schema

BLOCK_MARK = "__is_block__"
# Files Terraform reads variable values from by itself (others need -var-file).
AUTO_TFVARS = ("terraform.tfvars", "terraform.tfvars.json")


@dataclass(frozen=True)
class ParseError:
    file: str
    line: int
    column: int
    message: str


@dataclass
class RawBlock:
    """One top-level block as parsed: kind, labels, body (with python-hcl2's block markers) and
    where it is written."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: str
    lines: BlockLines | None


@dataclass
class Module:
    """The root module: its blocks in file order, and the files that did not parse."""

    root: str
    blocks: list[RawBlock] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    tfvars: dict[str, Any] = field(default_factory=dict)
    # Each parsed file's lines, to point a finding at the line an expression is written on.
    sources: dict[str, list[str]] = field(default_factory=dict)


def root_dir(paths: list[str]) -> str | None:
    """The folder Terraform runs in: among folders holding `.tf` files outside `modules/`, the one
    with most of them (the shallowest on a tie)."""
    folders: dict[str, int] = {}
    for path in paths:
        if path.endswith(".tf") and "modules" not in path.split("/")[:-1]:
            folder = posixpath.dirname(path)
            folders[folder] = folders.get(folder, 0) + 1
    if not folders:
        return None
    return max(folders, key=lambda f: (folders[f], -f.count("/"), f == ""))


def read_module(files: Mapping[str, str]) -> Module:
    """Parse the root module's `.tf` files and its auto-loaded `.tfvars`."""
    root = root_dir(sorted(files))
    module = Module(root=root or "")
    if root is None:
        return module
    for path in sorted(files):
        if posixpath.dirname(path) != root:
            continue
        name = posixpath.basename(path)
        is_vars = name in AUTO_TFVARS or name.endswith(".auto.tfvars")
        if not (path.endswith(".tf") or (is_vars and not name.endswith(".json"))):
            continue
        text = files[path]
        try:
            parsed = parse_text(text)
        except UnexpectedInput as exc:
            module.errors.append(ParseError(path, exc.line or 0, exc.column or 0, _first_line(str(exc))))
            continue
        # python-hcl2's transformer raises plain errors on some malformed input (bad heredocs).
        except (LarkError, ValueError, RuntimeError, KeyError, IndexError, TypeError, RecursionError) as exc:
            module.errors.append(ParseError(path, _line_of(exc), 0, _first_line(str(exc))))
            continue
        if is_vars:
            module.tfvars.update({k: v for k, v in parsed.items() if not k.startswith("__")})
            continue
        module.sources[path] = text.splitlines()
        lines = scan_blocks(text)
        module.blocks.extend(_blocks(parsed, path, lines))
    return module


def _first_line(message: str) -> str:
    return (message.strip().splitlines() or ["does not parse"])[0][:300]


def _line_of(exc: Exception) -> int:
    line = getattr(exc, "line", 0)
    return line if isinstance(line, int) else 0


# How many labels each top-level block kind has.
_LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1}


def _blocks(parsed: dict[str, Any], path: str, lines: list[BlockLines]) -> list[RawBlock]:
    """The file's top-level blocks, each matched to its lines (in order of appearance)."""
    unused = list(lines)
    out: list[RawBlock] = []
    for kind, entries in parsed.items():
        if not isinstance(entries, list):
            continue
        depth = _LABELS.get(kind, 0)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for labels, body in _unlabel(entry, depth):
                where = next((b for b in unused if b.kind == kind and b.labels == labels), None)
                if where is not None:
                    unused.remove(where)
                out.append(RawBlock(kind, labels, body, path, where))
    return out


def _unlabel(entry: dict[str, Any], depth: int) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    if depth == 0:
        return [((), entry)]
    found: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for label, inner in entry.items():
        if label.startswith("__") or not isinstance(inner, dict):
            continue
        found.extend(((label, *rest), body) for rest, body in _unlabel(inner, depth - 1))
    return found


# --- Terraform JSON --------------------------------------------------------------------------


def to_terraform_json(module: Module, schema: Schema | None) -> dict[str, Any]:
    """The root module as one stack's Terraform JSON."""
    doc: dict[str, Any] = {}
    for block in module.blocks:
        body = plain(block.body, _block_schema(schema, block))
        if block.kind in ("resource", "data") and len(block.labels) == 2:
            rtype, name = block.labels
            if block.lines is not None:
                body["//"] = {"source": _source(block.file, block.lines)}
            provider = body.get("provider")
            if isinstance(provider, str):  # `aws.west`, as cdktf writes it, not `${aws.west}`
                body["provider"] = provider.removeprefix("${").removesuffix("}").strip()
            doc.setdefault(block.kind, {}).setdefault(rtype, {})[name] = body
        elif block.kind == "variable" and block.labels:
            name = block.labels[0]
            if name in module.tfvars:
                body["default"] = module.tfvars[name]
            doc.setdefault("variable", {})[name] = body
        elif block.kind in ("output", "module") and block.labels:
            doc.setdefault(block.kind, {})[block.labels[0]] = body
        elif block.kind == "provider" and block.labels:
            if block.lines is not None:
                # Where a finding on the provider (its region) points.
                body["//"] = {"source": _source(block.file, block.lines)}
            doc.setdefault("provider", {}).setdefault(block.labels[0], []).append(body)
        elif block.kind == "locals":
            doc.setdefault("locals", {}).update(body)
        elif block.kind == "terraform":
            _merge_terraform(doc.setdefault("terraform", {}), body)
    for configs in (doc.get("provider") or {}).values():
        for config in configs:
            if "region" in config:
                config["region"] = _named_value(doc, config["region"])
    expand(doc)
    return doc


def _source(file: str, lines: BlockLines) -> dict[str, Any]:
    source: dict[str, Any] = {
        "file": file,
        "line": lines.line,
        "end_line": lines.end_line,
        "attrs": dict(lines.attrs),
    }
    if lines.ends:
        source["ends"] = lines.ends
    if lines.repeats:
        source["items"] = {k: [list(span) for span in v] for k, v in lines.repeats.items()}
    return source


_JSONENCODE = re.compile(r"\$\{\s*jsonencode\((?P<literal>.*)\)\s*\}", re.DOTALL)
_WHOLE_TOKEN = re.compile(r"\$\{.*\}", re.DOTALL)
# Keys whose value a reader needs as written: a statement list or an Effect that only apply
# computes (`[for ...]`, `var.allow ? "Allow" : "Deny"`) leaves the document unknowable.
_SHAPE_KEYS = frozenset({"Statement", "Effect"})


def decoded_json(value: Any) -> Any:
    """`jsonencode({...})` of a literal as the JSON string it evaluates to, as cdktf writes a
    `json.dumps` document: interpolations inside stay `${...}` strings. Anything else, or a
    literal whose shape only apply knows, as written. The Terraform JSON keeps the expression:
    a rule that reads such documents decodes them itself."""
    match = _JSONENCODE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return value
    try:
        literal = parse_text(f"x = {match['literal']}").get("x")
    except Exception:  # noqa: BLE001 - python-hcl2 raises lark's errors and others: keep as written
        return value
    if not isinstance(literal, dict | list) or not _shape_known(literal):
        return value
    return json.dumps(literal)


def _shape_known(value: Any) -> bool:
    if isinstance(value, list):
        return all(_shape_known(v) for v in value)
    if not isinstance(value, dict):
        return True
    for key, item in value.items():
        if key in _SHAPE_KEYS and isinstance(item, str) and _WHOLE_TOKEN.fullmatch(item):
            return False
        if not _shape_known(item):
            return False
    return True


_NAMED = re.compile(r"\$\{\s*(var|local)\.([A-Za-z_][\w-]*)\s*\}")


def _named_value(doc: dict[str, Any], value: Any, depth: int = 0) -> Any:
    """A provider's `var.x` or `local.x` as the literal it stands for, as cdktf writes a region
    the app computed; anything else as written."""
    match = _NAMED.fullmatch(value) if isinstance(value, str) else None
    if match is None or depth > 4:
        return value
    kind, name = match.groups()
    if kind == "var":
        found = (doc.get("variable") or {}).get(name, {}).get("default")
    else:
        found = (doc.get("locals") or {}).get(name)
    if isinstance(found, str):
        return _named_value(doc, found, depth + 1)
    return value


def _merge_terraform(into: dict[str, Any], body: dict[str, Any]) -> None:
    for key, value in body.items():
        if key in ("backend", "required_providers", "cloud") and isinstance(value, list):
            merged: dict[str, Any] = into.setdefault(key, {})
            for item in value:
                if isinstance(item, dict):
                    merged.update(item)
        else:
            into[key] = value


def _block_schema(schema: Schema | None, block: RawBlock) -> dict[str, Any] | None:
    if schema is None:
        return None
    if block.kind in ("resource", "data") and block.labels:
        return schema.block(block.kind, block.labels[0])
    if block.kind == "provider" and block.labels:
        return schema.block("provider", block.labels[0])
    return None


def plain(value: Any, spec: dict[str, Any] | None = None) -> Any:
    """python-hcl2's value without its block markers: a nested block is one dict when the schema
    allows at most one (as cdktf writes it) and a list otherwise."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    blocks = (spec or {}).get("b") or {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == BLOCK_MARK:
            continue
        if isinstance(item, list) and item and all(isinstance(i, dict) and i.get(BLOCK_MARK) for i in item):
            inner = blocks.get(key)
            bodies = [plain(i, inner[0] if inner else None) for i in item]
            out[key] = bodies[0] if inner and inner[2] and len(bodies) == 1 else bodies
        else:
            out[key] = plain(item)
    return out
