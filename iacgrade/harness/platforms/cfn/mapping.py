"""A decoded template as Terraform JSON: the model the AWS rules read (iacgrade/graders/terraform_model.py).

Each resource of a type in `data/terraform_mapping.toml` becomes `resource.<terraform type>.<logical
id>`, with its properties as arguments, and a `//` entry that says where it is in the template
(`source`: file, lines, each argument's line) so findings quote the template; the stack's own `//`
lists the Terraform types a template can be mapped to (`modelled_types`). Intrinsic functions
become what Terraform would hold: `Ref` of a parameter reads `var.<name>` (its `Default` becomes the
variable's default), of a resource `${<type>.<id>.<attribute>}`, of `AWS::Region` the region the
template deploys to (`AWS::Partition` its partition); `Fn::Sub` keeps its `${...}` placeholders,
resolved where they name a parameter, the region or the partition; anything else (`Fn::If`,
`Fn::FindInMap`, ...) is a token no rule reads as a literal.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

# What an expression no rule should read as a literal becomes (a Terraform interpolation).
OPAQUE = "${cfn_expression}"
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@cache
def mapping() -> dict[str, Any]:
    text = (
        resources.files("iacgrade.harness.platforms.cfn")
        .joinpath("data", "terraform_mapping.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def to_terraform(template: Mapping[str, Any], path: str, region: str) -> dict[str, Any]:
    """Terraform JSON for the mapped resources of one decoded template."""
    types: dict[str, Any] = mapping()["types"]
    raw_resources = template.get("Resources")
    declared = raw_resources if isinstance(raw_resources, Mapping) else {}
    raw_params = template.get("Parameters")
    params = raw_params if isinstance(raw_params, Mapping) else {}
    converter = _Converter(declared, params, region)
    out: dict[str, dict[str, Any]] = {}
    for logical, body in declared.items():
        if not isinstance(body, Mapping) or str(body.get("Type", "")) not in types:
            continue
        spec = types[str(body["Type"])]
        props = body.get("Properties")
        config, attrs = converter.arguments(props if isinstance(props, Mapping) else {}, spec)
        config["//"] = {
            "metadata": {"path": f"{_stem(path)}/{logical}"},
            "source": {"file": path, "line": _line(logical), "end_line": _end_line(body), "attrs": attrs},
        }
        out.setdefault(spec["terraform"], {})[str(logical)] = config
    doc: dict[str, Any] = {"resource": out} if out else {}
    # What the model can hold at all: a type outside it is not missing, only not mapped.
    doc["//"] = {"modelled_types": sorted({str(t["terraform"]) for t in types.values()})}
    variables = {str(n): _variable(p) for n, p in params.items() if isinstance(p, Mapping)}
    if variables:
        doc["variable"] = variables
    return doc


class _Converter:
    def __init__(self, declared: Mapping[str, Any], params: Mapping[str, Any], region: str) -> None:
        self.declared = declared
        self.params = params
        self.region = region
        # The partition the region belongs to (what `AWS::Partition` is in an ARN).
        prefixes: dict[str, str] = mapping()["partitions"]
        self.partition = next((p for pre, p in prefixes.items() if region.startswith(pre)), "aws")

    def arguments(
        self, props: Mapping[str, Any], spec: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, int]]:
        config: dict[str, Any] = {}
        attrs: dict[str, int] = {}
        for key, value in props.items():
            name = self._name(str(key), spec)
            converted = self.value(value, _KEEP_KEYS if key in (spec.get("verbatim") or ()) else spec)
            if converted is _DROP:
                continue
            config[name] = self._shaped(name, converted, spec)
            line = _line(key)
            if line:
                attrs[name] = line
        return config, attrs

    def _name(self, key: str, spec: Mapping[str, Any]) -> str:
        if spec.get("keep_keys"):
            return key
        return str((spec.get("rename") or {}).get(key) or snake(key))

    def _shaped(self, name: str, value: Any, spec: Mapping[str, Any]) -> Any:
        if spec.get("keep_keys"):
            return value
        if name == "tags" and isinstance(value, list):
            return {str(t.get("key")): t.get("value") for t in value if isinstance(t, dict) and "key" in t}
        if name in (spec.get("lists") or ()) and not isinstance(value, list):
            return [value]
        return value

    def value(self, value: Any, spec: Mapping[str, Any]) -> Any:
        if isinstance(value, Mapping):
            if len(value) == 1:
                (fn, arg), *_ = value.items()
                if fn == "Ref":
                    return self._ref(str(arg))
                if fn == "Fn::GetAtt":
                    return self._get_att(arg)
                if fn == "Fn::Sub":
                    return self._sub(arg)
                if str(fn).startswith("Fn::") or fn == "Condition":
                    return OPAQUE
            out: dict[str, Any] = {}
            for key, item in value.items():
                name = self._name(str(key), spec)
                converted = self.value(item, _KEEP_KEYS if key in (spec.get("verbatim") or ()) else spec)
                if converted is not _DROP:
                    out[name] = self._shaped(name, converted, spec)
            return out
        if isinstance(value, list):
            return [v for v in (self.value(item, spec) for item in value) if v is not _DROP]
        if isinstance(value, bool | int | float):
            return value
        return str(value)

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _DROP
        if name == "AWS::Region":
            return self.region
        if name == "AWS::Partition":
            return self.partition
        if name in self.params:
            return f"${{var.{name}}}"
        body = self.declared.get(name)
        if isinstance(body, Mapping):
            rtype = str(body.get("Type", ""))
            target = mapping()["types"].get(rtype)
            if target:
                return f"${{{target['terraform']}.{name}.{mapping()['refs'].get(rtype, 'id')}}}"
        return OPAQUE

    def _get_att(self, arg: Any) -> Any:
        parts = arg.split(".", 1) if isinstance(arg, str) else list(arg) if isinstance(arg, list) else []
        if len(parts) != 2 or not isinstance(parts[1], str):
            return OPAQUE
        body = self.declared.get(str(parts[0]))
        target = mapping()["types"].get(str(body.get("Type", ""))) if isinstance(body, Mapping) else None
        if not target:
            return OPAQUE
        return f"${{{target['terraform']}.{parts[0]}.{snake(parts[1].replace('.', '_'))}}}"

    def _sub(self, arg: Any) -> Any:
        text, names = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str):
            return OPAQUE
        local = names if isinstance(names, Mapping) else {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                found = self.value(local[name], {})
                return found if isinstance(found, str) else OPAQUE
            if name == "AWS::Region":
                return self.region
            if name == "AWS::Partition":
                return self.partition
            if name in self.params:
                return f"${{var.{name}}}"
            return OPAQUE

        return _SUB_NAME.sub(replace, text)


# How the value of a `verbatim` property is read: its keys are the answer's own (environment
# variable names, a policy document's `Statement`), kept as written; only its functions convert.
_KEEP_KEYS: Mapping[str, Any] = {"keep_keys": True}


class _Drop:
    """A property that `Ref: AWS::NoValue` removes."""


_DROP: Any = _Drop()


def _variable(param: Mapping[str, Any]) -> dict[str, Any]:
    default = param.get("Default")
    if default is None:
        return {}
    if isinstance(default, bool | int | float):
        return {"default": default}
    if isinstance(default, list):
        return {"default": [str(d) for d in default]}
    return {"default": str(default)}


def _line(node: Any) -> int:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _end_line(node: Any) -> int:
    mark = getattr(node, "end_mark", None)
    if mark is None:
        return 0
    return int(mark.line) + (1 if mark.column else 0)


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
