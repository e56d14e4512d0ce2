"""Schema validation of a parsed root module without terraform: what `terraform validate` would
stop on, predicted from the provider schema (iacgrade/harness/platforms/tf_hcl/schema.py).

Each problem is a `Diagnostic(tool="hcl-schema", code=...)`:

    unknown-type       a resource or data source type the AWS provider does not have
    unknown-argument   an argument or block the type does not take
    missing-required   a required argument or block left out
    block-as-attribute a nested block written `name = {...}`
    attribute-as-block an argument written as a block `name { ... }`
    wrong-type         a literal of the wrong kind (a list where a string goes)
    undeclared         a reference to a variable, local, resource, data source or module that is
                       not declared

Only what the schema says for certain is reported: types of other providers, modules' inputs,
values built by expressions and arguments under `dynamic` content whose block is unknown are
left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from iacgrade.harness.core.synth import Diagnostic
from iacgrade.harness.platforms.tf_hcl.model import BLOCK_MARK, Module, RawBlock
from iacgrade.harness.platforms.tf_hcl.schema import Schema, close, template_variables

TOOL = "hcl-schema"
PROVIDER_PREFIX = "aws_"
# Terraform's own arguments and blocks on every resource or data source.
META_ARGS = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection", "dynamic"})
_INTERPOLATION = re.compile(r"\$\{")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_TRAVERSAL = re.compile(r"(?<![\w.])(var|local|module|data)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?")
_PROVIDER_REF = re.compile(r"[a-z][a-z0-9-]*\.[A-Za-z_][\w-]*")
_RESOURCE_REF = re.compile(r"(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")


def validate(module: Module, schema: Schema) -> list[Diagnostic]:
    """Every schema problem of the module, in file and line order."""
    found = [*_blocks(module, schema), *_references(module, schema)]
    return sorted(found, key=lambda d: (d.file, d.line, d.code, d.message))


# --- blocks and arguments ----------------------------------------------------------------------


def _blocks(module: Module, schema: Schema) -> Iterator[Diagnostic]:
    for block in module.blocks:
        if block.kind not in ("resource", "data") or len(block.labels) != 2:
            continue
        rtype, name = block.labels
        if not rtype.startswith(PROVIDER_PREFIX):
            continue
        address = f"{rtype}.{name}" if block.kind == "resource" else f"data.{rtype}.{name}"
        spec = schema.block(block.kind, rtype)
        if spec is None and schema.removed_type(block.kind, rtype):
            continue
        if spec is None:
            what = "resource type" if block.kind == "resource" else "data source"
            yield _diag(
                block,
                "unknown-type",
                f"{address}: the AWS provider has no {what} {rtype!r}",
                address,
                schema.suggest(block.kind, rtype),
                line=block.lines.line if block.lines else 0,
            )
            continue
        yield from _body(block, spec, block.body, address, top=True, schema=schema)


def _body(
    block: RawBlock,
    spec: dict[str, Any],
    body: dict[str, Any],
    address: str,
    top: bool,
    path: str = "",
    schema: Schema | None = None,
) -> Iterator[Diagnostic]:
    args: dict[str, list[Any]] = spec.get("a") or {}
    blocks: dict[str, list[Any]] = spec.get("b") or {}
    where = f"{address}{path}"
    for key, value in body.items():
        if key.startswith("__"):
            continue
        line = _attr_line(block, key) if top else _block_line(block)
        if key == "dynamic":  # allowed at any depth
            yield from _dynamic(block, blocks, value, address, path)
            continue
        if top and (key in META_ARGS or key in META_BLOCKS):
            continue
        is_block = _is_block(value)
        if key in args:
            if is_block and args[key][0] != "a":  # "a": a value of any shape (wafv2 statements)
                yield _diag(
                    block,
                    "attribute-as-block",
                    f"{where}: {key!r} is an argument, written as a block; write `{key} = ...`",
                    address,
                    line=line,
                )
            else:
                yield from _literal_type(block, key, args[key][0], value, where, address, line)
        elif key in blocks:
            inner = blocks[key][0]
            if is_block:
                for item in value:
                    yield from _body(block, inner, item, address, False, f"{path}.{key}")
            elif isinstance(value, dict):
                yield _diag(
                    block,
                    "block-as-attribute",
                    f"{where}: {key!r} is a block, written as an argument; write `{key} {{ ... }}`",
                    address,
                    line=line,
                )
        elif not (top and schema is not None and schema.removed_argument(block.labels[0], key)):
            yield _diag(
                block,
                "unknown-argument",
                f"{where}: {block.labels[0]} has no {'block' if is_block else 'argument'} {key!r}",
                address,
                close(key, set(args) | set(blocks)),
                line=line,
            )
    present = set(body)
    for key, (_, required) in args.items():
        if required and key not in present:
            yield _diag(
                block,
                "missing-required",
                f"{where}: the required argument {key!r} is missing",
                address,
                line=_block_line(block),
            )
    for key, (_, required, _single) in blocks.items():
        if required and key not in present and not _dynamic_names(body) & {key}:
            yield _diag(
                block,
                "missing-required",
                f"{where}: the required block {key!r} is missing",
                address,
                line=_block_line(block),
            )


def _dynamic(
    block: RawBlock, blocks: dict[str, list[Any]], value: Any, address: str, path: str
) -> Iterator[Diagnostic]:
    for item in value if isinstance(value, list) else []:
        for label in item if isinstance(item, dict) else {}:
            if label.startswith("__"):
                continue
            if label not in blocks:
                yield _diag(
                    block,
                    "unknown-argument",
                    f"{address}{path}: {block.labels[0]} has no block {label!r} (dynamic)",
                    address,
                    close(label, set(blocks)),
                    line=_attr_line(block, "dynamic"),
                )


def _dynamic_names(body: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for item in body.get("dynamic") or []:
        if isinstance(item, dict):
            names.update(k for k in item if not k.startswith("__"))
    return names


def _is_block(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get(BLOCK_MARK) for v in value)
    )


_KIND_WORDS = {"s": "a string", "n": "a number", "b": "a bool", "m": "a map", "l": "a list"}


def _literal_type(
    block: RawBlock, key: str, kind: str, value: Any, where: str, address: str, line: int
) -> Iterator[Diagnostic]:
    """A literal Terraform cannot convert to the argument's type (it converts "5" to 5 and
    "true" to true, so those pass)."""
    if _has_expression(value):
        return
    wrong = False
    if kind == "s":
        wrong = isinstance(value, list | dict)
    elif kind == "n":
        wrong = isinstance(value, list | dict | bool) or (isinstance(value, str) and not _numeric(value))
    elif kind == "b":
        wrong = (
            isinstance(value, list | dict)
            or (isinstance(value, str) and value not in ("true", "false"))
            or (isinstance(value, int | float) and not isinstance(value, bool))
        )
    elif kind == "m":
        wrong = not isinstance(value, dict) and value is not None
    elif kind == "l":
        wrong = not isinstance(value, list) and value is not None
    if wrong:
        yield _diag(
            block,
            "wrong-type",
            f"{where}: {key!r} takes {_KIND_WORDS[kind]}, not {_describe(value)}",
            address,
            line=line,
        )


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_INTERPOLATION.search(value))
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    if isinstance(value, dict):
        return any(_has_expression(v) for v in value.values())
    return False


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the bool {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return f"the string {str(value)[:40]!r}"


# --- references --------------------------------------------------------------------------------


def _references(module: Module, schema: Schema) -> Iterator[Diagnostic]:
    # The task template's variables are there whether or not the answer declares them.
    declared: dict[str, set[str]] = {
        "var": set(template_variables()),
        "local": set(),
        "module": set(),
        "data": set(),
    }
    resources: set[str] = set()
    for block in module.blocks:
        if block.kind == "variable" and block.labels:
            declared["var"].add(block.labels[0])
        elif block.kind == "locals":
            declared["local"].update(k for k in block.body if not k.startswith("__"))
        elif block.kind == "module" and block.labels:
            declared["module"].add(block.labels[0])
        elif block.kind == "data" and len(block.labels) == 2:
            declared["data"].add(".".join(block.labels))
        elif block.kind == "resource" and len(block.labels) == 2:
            resources.add(".".join(block.labels))
    known_types = set(schema.types("resource"))
    seen: set[tuple[str, str]] = set()
    yield from _provider_aliases(module)
    for block in module.blocks:
        for key, text in _expressions(block.body):
            for ref, candidates in _undeclared(text, declared, resources, known_types):
                if (block.file, ref) in seen:
                    continue
                seen.add((block.file, ref))
                yield _diag(
                    block,
                    "undeclared",
                    f"{_name(block)}: {ref} refers to nothing declared in the module",
                    _address(block),
                    close(ref, candidates),
                    line=_line_of(module, block, ref, key),
                )


def _provider_aliases(module: Module) -> Iterator[Diagnostic]:
    """`provider = aws.west` on a resource or data source with no provider block of that alias."""
    configured = {b.labels[0] for b in module.blocks if b.kind == "provider" and b.labels}
    aliases = {
        f"{b.labels[0]}.{b.body['alias']}"
        for b in module.blocks
        if b.kind == "provider" and b.labels and isinstance(b.body.get("alias"), str)
    }
    expressions: set[str] = set()
    for block in module.blocks:
        ref = block.body.get("provider") if block.kind in ("resource", "data") else None
        if not isinstance(ref, str):
            continue
        name = ref.removeprefix("${").removesuffix("}").strip()
        if not _PROVIDER_REF.fullmatch(name) and not re.fullmatch(r"[a-z][a-z0-9-]*", name):
            if name in expressions:  # one finding for the expression, however many use it
                continue
            expressions.add(name)
            # `provider = local.providers[each.key]`: Terraform takes no expression here.
            yield _diag(
                block,
                "undeclared",
                f"{_name(block)}: provider {name} is an expression; `provider` takes a provider "
                "configuration written as `<name>.<alias>` (Invalid provider reference)",
                _address(block),
                line=_attr_line(block, "provider"),
            )
            continue
        # A module that configures no provider of that name gets it from a file the task keeps
        # (the tasks' own provider.tf): its aliases are not known here.
        if _PROVIDER_REF.fullmatch(name) and name.split(".")[0] in configured and name not in aliases:
            yield _diag(
                block,
                "undeclared",
                f"{_name(block)}: provider {name} is not configured (no provider block with that alias)",
                _address(block),
                close(name, aliases),
                line=_attr_line(block, "provider"),
            )


def _undeclared(
    text: str, declared: dict[str, set[str]], resources: set[str], known_types: set[str]
) -> Iterator[tuple[str, set[str]]]:
    for expr in _interpolations(text):
        bare = _STRING.sub('""', expr)
        for head, first, second in _TRAVERSAL.findall(bare):
            if head == "data":
                if not second:
                    continue
                name = f"{first}.{second}"
                if name not in declared["data"]:
                    yield f"data.{name}", {f"data.{d}" for d in declared["data"]}
            elif first not in declared[head]:
                yield f"{head}.{first}", {f"{head}.{d}" for d in declared[head]}
        for rtype, name in _RESOURCE_REF.findall(bare):
            if rtype in known_types and f"{rtype}.{name}" not in resources:
                yield f"{rtype}.{name}", resources


def _interpolations(text: str) -> Iterator[str]:
    """The bodies of the `${...}` in a string (braces inside balanced)."""
    start = text.find("${")
    while start != -1:
        depth, i = 0, start + 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if start == 0 or text[start - 1] != "$":  # `$${` is a literal `${`
            yield text[start + 2 : i]
        start = text.find("${", i)


def _expressions(body: Any, top: str = "") -> Iterator[tuple[str, str]]:
    """(top-level key, string) for every string value of a block body."""
    if isinstance(body, str):
        if "${" in body:
            yield top, body
    elif isinstance(body, list):
        for item in body:
            yield from _expressions(item, top)
    elif isinstance(body, dict):
        for key, item in body.items():
            if not str(key).startswith("__"):
                yield from _expressions(item, top or str(key))
            if "${" in str(key):
                yield top or str(key), str(key)


# --- diagnostics -------------------------------------------------------------------------------


def _name(block: RawBlock) -> str:
    return (
        ".".join((block.kind, *block.labels)) if block.kind not in ("resource",) else ".".join(block.labels)
    )


def _address(block: RawBlock) -> str:
    if block.kind == "resource" and len(block.labels) == 2:
        return ".".join(block.labels)
    if block.kind == "data" and len(block.labels) == 2:
        return "data." + ".".join(block.labels)
    return ""


def _attr_line(block: RawBlock, key: str) -> int:
    if block.lines is None:
        return 0
    return block.lines.attrs.get(key) or block.lines.line


def _line_of(module: Module, block: RawBlock, text: str, key: str) -> int:
    """The first line of the block that holds `text` (a reference inside a nested block), else
    the line of its top-level argument `key`."""
    rows = module.sources.get(block.file) or []
    if block.lines is not None:
        pattern = re.compile(rf"(?<![\w.]){re.escape(text)}(?![\w-])")
        for number in range(block.lines.line, min(block.lines.end_line, len(rows)) + 1):
            if pattern.search(rows[number - 1]):
                return number
    return _attr_line(block, key)


def _block_line(block: RawBlock) -> int:
    return block.lines.line if block.lines else 0


def _diag(
    block: RawBlock, code: str, message: str, address: str, suggestion: str = "", line: int = 0
) -> Diagnostic:
    end = block.lines.end_line if block.lines and line == block.lines.line else line
    return Diagnostic(
        tool=TOOL,
        code=code,
        level="error",
        message=message + (f" (did you mean {suggestion!r}?)" if suggestion else ""),
        file=block.file,
        line=line,
        end_line=end if end != line else 0,
        address=address,
        suggestion=suggestion,
    )
