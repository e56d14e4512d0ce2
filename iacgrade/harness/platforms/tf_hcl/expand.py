"""`count` and `for_each` expanded into their instances where they are static.

A resource (or data source) whose `count` is a known whole number, or whose `for_each` is a known
map or set of strings (`iacgrade/harness/platforms/tf_hcl/static.py` says what is known), becomes one entry
per instance under its type, named as Terraform addresses it: `name[0]`, `name["key"]`. Each
instance drops the meta-argument, keeps the block's `"//": {"source": ...}` (so findings point at
the block's lines) with `"instance": key` beside it, and has `count.index`, `each.key` and
`each.value` replaced wherever that is static: an interpolation that becomes a literal is the
literal (`"logs-${count.index + 1}"` -> `"logs-1"`), and one that stays an expression reads the
key literally (`${var.azs[count.index]}` -> `${var.azs[0]}`). A `count` of 0 leaves no instance.
A map written out whose values are known at apply only, and another block expanded by keys
(`for_each = aws_subnet.a`), have known keys: `each.value` is then written in as the expression it
stands for (`${aws_subnet.a["x"].id}`). A block counted from another (`length(aws_subnet.a)`) is
expanded once that one is.

The document's top-level `"//": {"instances": {address: [instance addresses]}}` lists every
expanded block, those left without instances included, so a reader can still tell a declared
block (`aws_subnet.private`) from an unknown one. A `count` or `for_each` that is not static stays
as written, on the one entry named as the block.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from iacgrade.harness.platforms.tf_hcl.static import (
    UNKNOWN,
    Raw,
    Scope,
    StrSet,
    expression,
    interpolations,
    template,
    value,
)

# More instances than this are not written out: the block stays as written.
MAX_INSTANCES = 64
MAX_PASSES = 4
INSTANCES = "instances"
# An expression that needs no parentheses where a name stood: `aws_subnet.a["x"]`.
_TRAVERSAL = re.compile(r'[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\["[^"\\]*"\])*')
_INSTANCE_NAMES = re.compile(
    r'(?<![\w.\-"])(?:count\.index|each\.key|each\.value(?:\.[A-Za-z_][\w-]*|\[\d+\]|\["[^"\\]*"\])*)(?![\w-])'
)


def expand(doc: dict[str, Any]) -> None:
    """Replace, in place, each block with a static `count`/`for_each` by its instances."""
    variables = {
        name: body["default"]
        for name, body in (doc.get("variable") or {}).items()
        if isinstance(body, dict) and "default" in body
    }
    keys_of: dict[str, list[int | str]] = {}
    scope = Scope(variables=variables, locals=doc.get("locals") or {}, blocks=keys_of)
    expanded: dict[str, list[str]] = {}
    # A block counted from another (`count = length(aws_subnet.a)`) waits for that one's pass.
    for _ in range(MAX_PASSES):
        before = len(expanded)
        for section in ("resource", "data"):
            for rtype in list(doc.get(section) or {}):
                prefix = f"{rtype}." if section == "resource" else f"data.{rtype}."
                _expand_type(doc[section], rtype, prefix, scope, expanded, keys_of)
            if section in doc and not doc[section]:
                del doc[section]
        if len(expanded) == before:
            break
    if expanded:
        doc.setdefault("//", {})[INSTANCES] = expanded


def _expand_type(
    types: dict[str, Any],
    rtype: str,
    prefix: str,
    scope: Scope,
    expanded: dict[str, list[str]],
    keys_of: dict[str, list[int | str]],
) -> None:
    by_name: dict[str, Any] = {}
    for name, body in types[rtype].items():
        keys = instance_keys(body, scope) if isinstance(body, dict) else None
        if keys is None:
            by_name[name] = body
            continue
        labels = [instance_label(name, key) for key, _ in keys]
        expanded[prefix + name] = [prefix + label for label in labels]
        keys_of[prefix + name] = [key for key, _ in keys]  # scope.blocks: later blocks count on it
        for label, (key, names) in zip(labels, keys, strict=True):
            by_name[label] = _instance(body, key, names)
    if by_name:
        types[rtype] = by_name
    else:
        del types[rtype]


def instance_label(name: str, key: int | str) -> str:
    """`name[0]` or `name["key"]`, as Terraform writes an instance's address."""
    return f"{name}[{key}]" if isinstance(key, int) else f"{name}[{json.dumps(key, ensure_ascii=False)}]"


def instance_keys(body: dict[str, Any], scope: Scope) -> list[tuple[int | str, dict[str, Any]]] | None:
    """Each instance's key and what `count`/`each` stand for in it; None when not static."""
    has_count, has_each = "count" in body, "for_each" in body
    if has_count == has_each:
        return None
    provider = body.get("provider")
    if isinstance(provider, str) and _INSTANCE_NAMES.search(provider):
        # A provider chosen per instance (which Terraform refuses): where each instance would
        # live is not known, and a rule comparing them would guess.
        return None
    if has_count:
        count = value(body["count"], scope)
        if type(count) is not int or not 0 <= count <= MAX_INSTANCES:
            return None
        return [(i, {"count": {"index": i}}) for i in range(count)]
    pairs = _each_pairs(body["for_each"], scope)
    if pairs is None:
        return None
    if len(pairs) > MAX_INSTANCES:
        return None
    return [(k, {"each": {"key": k, "value": v}}) for k, v in pairs]


def _each_pairs(raw: Any, scope: Scope) -> list[tuple[str, Any]] | None:
    """The (key, value) of each instance of a `for_each`, in Terraform's order (keys sorted)."""
    each = value(raw, scope)
    if isinstance(each, StrSet):
        return [(k, k) for k in each]
    if isinstance(each, dict) and all(isinstance(k, str) for k in each):
        return sorted(each.items())
    whole = isinstance(raw, str) and interpolations(raw) == [(0, len(raw))]
    source = raw[2:-1].strip() if whole else ""
    known = scope.blocks.get(source)
    if known is not None and all(isinstance(k, str) for k in known):
        # `for_each = aws_subnet.a`, itself expanded by keys: each.value is that instance.
        return [(str(k), Raw(f"${{{source}[{json.dumps(k, ensure_ascii=False)}]}}")) for k in known]
    if isinstance(raw, dict) and all(isinstance(k, str) for k in raw):
        # A map written out whose values are known at apply only: its keys are known.
        pairs: list[tuple[str, Any]] = []
        for key, item in sorted(raw.items()):
            got = value(item, scope)
            if got is UNKNOWN:
                if not (isinstance(item, str) and interpolations(item) == [(0, len(item))]):
                    return None
                got = Raw(item)
            pairs.append((key, got))
        return pairs
    return None


def _instance(body: dict[str, Any], key: int | str, names: dict[str, Any]) -> dict[str, Any]:
    scope = Scope(instance=names)
    out = {k: substitute(v, scope) for k, v in body.items() if k not in ("count", "for_each", "//")}
    if "//" in body:
        meta = copy.deepcopy(body["//"])
        if isinstance(meta, dict):
            meta["instance"] = key
        out["//"] = meta
    return out


def substitute(item: Any, scope: Scope) -> Any:
    """`item` with `count.index`, `each.key` and `each.value` replaced where they are static."""
    if isinstance(item, list):
        return [substitute(v, scope) for v in item]
    if isinstance(item, dict):
        return {k: substitute(v, scope) for k, v in item.items()}
    if not isinstance(item, str) or "${" not in item:
        return item
    return template(item, lambda inner: _interpolation(inner, scope), keep=True)


def _interpolation(inner: str, scope: Scope) -> Any:
    """The interpolation's literal value, or as an interpolation with the instance's names
    written in; UNKNOWN when it names none of them."""
    if _INSTANCE_NAMES.search(inner) is None:
        return UNKNOWN
    got = expression(inner, scope)
    if isinstance(got, Raw):
        return got.text
    if got is not UNKNOWN:
        return got

    def literal(match: re.Match[str]) -> str:
        written = match.group(0)
        found = expression(written, scope)
        each = scope.instance.get("each") or {}
        raw = each.get("value")
        if found is UNKNOWN and isinstance(raw, Raw) and written.startswith("each.value"):
            # `each.value.id` of `for_each = aws_subnet.a`: `aws_subnet.a["x"].id`.
            head = raw.inner.strip()
            head = head if _TRAVERSAL.fullmatch(head) else f"({head})"
            return head + written.removeprefix("each.value")
        if isinstance(found, Raw):
            head = found.inner.strip()
            return head if _TRAVERSAL.fullmatch(head) else f"({head})"
        return _hcl_literal(found) or written

    rewritten = _INSTANCE_NAMES.sub(literal, inner)
    return "${" + rewritten + "}" if rewritten != inner else UNKNOWN


def _hcl_literal(found: Any) -> str | None:
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, int):
        return str(found)
    if isinstance(found, str) and "${" not in found and "%{" not in found:
        return json.dumps(found)
    return None
