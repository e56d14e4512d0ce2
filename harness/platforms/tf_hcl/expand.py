"""`count` and `for_each` expanded into their instances where they are static.

A resource (or data source) whose `count` is a known whole number, or whose `for_each` is a known
map or set of strings (`harness/platforms/tf_hcl/static.py` says what is known), becomes one entry
per instance under its type, named as Terraform addresses it: `name[0]`, `name["key"]`. Each
instance drops the meta-argument, keeps the block's `"//": {"source": ...}` (so findings point at
the block's lines) with `"instance": key` beside it, and has `count.index`, `each.key` and
`each.value` replaced wherever that is static: an interpolation that becomes a literal is the
literal (`"logs-${count.index + 1}"` -> `"logs-1"`), and one that stays an expression reads the
key literally (`${var.azs[count.index]}` -> `${var.azs[0]}`). A `count` of 0 leaves no instance.

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

from harness.platforms.tf_hcl.static import (
    UNKNOWN,
    Scope,
    StrSet,
    expression,
    interpolations,
    scalar_text,
    value,
)

# More instances than this are not written out: the block stays as written.
MAX_INSTANCES = 64
INSTANCES = "instances"
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
    scope = Scope(variables=variables, locals=doc.get("locals") or {})
    expanded: dict[str, list[str]] = {}
    for section in ("resource", "data"):
        types = doc.get(section) or {}
        for rtype in list(types):
            by_name: dict[str, Any] = {}
            for name, body in types[rtype].items():
                keys = instance_keys(body, scope) if isinstance(body, dict) else None
                if keys is None:
                    by_name[name] = body
                    continue
                prefix = f"{rtype}." if section == "resource" else f"data.{rtype}."
                labels = [instance_label(name, key) for key, _ in keys]
                expanded[prefix + name] = [prefix + label for label in labels]
                for label, (key, names) in zip(labels, keys, strict=True):
                    by_name[label] = _instance(body, key, names)
            if by_name:
                types[rtype] = by_name
            else:
                del types[rtype]
        if section in doc and not types:
            del doc[section]
    if expanded:
        doc.setdefault("//", {})[INSTANCES] = expanded


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
    each = value(body["for_each"], scope)
    if isinstance(each, StrSet):
        pairs: list[tuple[str, Any]] = [(k, k) for k in each]
    elif isinstance(each, dict) and all(isinstance(k, str) for k in each):
        pairs = sorted(each.items())
    else:
        return None
    if len(pairs) > MAX_INSTANCES:
        return None
    return [(k, {"each": {"key": k, "value": v}}) for k, v in pairs]


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
    spans = interpolations(item)
    if not spans:
        return item
    if spans == [(0, len(item))]:
        got = _interpolation(item[2:-1], scope)
        return got if got is not UNKNOWN else item
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        got = _interpolation(item[start + 2 : end - 1], scope)
        text = scalar_text(got) if got is not UNKNOWN else None
        parts.extend((item[pos:start], text if text is not None else item[start:end]))
        pos = end
    parts.append(item[pos:])
    return "".join(parts)


def _interpolation(inner: str, scope: Scope) -> Any:
    """The interpolation's literal value, or as an interpolation with the instance's names
    written in; UNKNOWN when it names none of them."""
    if _INSTANCE_NAMES.search(inner) is None:
        return UNKNOWN
    got = expression(inner, scope)
    if got is not UNKNOWN:
        return got

    def literal(match: re.Match[str]) -> str:
        found = expression(match.group(0), scope)
        return _hcl_literal(found) or match.group(0)

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
