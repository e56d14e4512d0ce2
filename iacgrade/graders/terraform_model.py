"""A typed view over the synthesized Terraform JSON of every stack of one answer.

cdktf writes one `cdk.tf.json` per stack. Rules ask the same questions of it again and again:
which resources of a type exist, which provider (and so which region) each uses, what a
`${aws_vpc.primary_vpc.cidr_block}` token stands for, and which line of the answer created the
resource. `TerraformModel` answers them once; iacgrade.graders.sites turns a resource back into the
answer's source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# One `${...}` interpolation; cdktf never nests them at the top level of a string.
INTERPOLATION = re.compile(r"\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
# A traversal Terraform can follow without evaluating anything: `aws_vpc.main.cidr_block`,
# `data.aws_region.current.name`, `var.env`, `aws_subnet.private[0].id`.
TRAVERSAL = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])+$")
# Any resource-like traversal inside an expression (`element(aws_subnet.a.*.id, 0)` included).
REFERENCE = re.compile(r"(?<![\w.\"])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
MAX_DEPTH = 8
# The instance key after a reference to an expanded block: `[0]`, `["key"]`.
INSTANCE_KEY = re.compile(r'\[\d+\]|\["[^"\\]*"\]')


class Unresolved:
    """The value of a token that cannot be known before apply (an id, an ARN, a function call)."""

    _instance: Unresolved | None = None

    def __new__(cls) -> Unresolved:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNRESOLVED"

    def __bool__(self) -> bool:
        return False


UNRESOLVED = Unresolved()


def is_token(value: Any) -> bool:
    """True for a string holding a Terraform interpolation (`${...}`)."""
    return isinstance(value, str) and "${" in value


# What `masked` puts in place of each interpolation: JSON-safe and still a token.
MASK = "${iacgrade_expression}"


def masked(text: str) -> str:
    """`text` with every `${...}` replaced by `MASK`, braces and quoted strings inside the
    expression balanced (`${replace(aws_s3_bucket.b.arn, "}", "")}` is one interpolation).

    cdktf writes a token's expression into the surrounding string as is, so a `json.dumps`
    policy can hold unescaped quotes that only Terraform's evaluation removes. An interpolation
    left open is kept as written."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            break
        end = _interpolation_end(text, start)
        if end < 0:
            break
        out.append(text[pos:start] + MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _interpolation_end(text: str, start: int) -> int:
    """The index just past the `}` closing the interpolation opened at `start`, or -1."""
    # Modes: "expr" (inside `${` or `{`), "str" (a "..." literal), "esc" (a \"...\" literal, as
    # the expression reads once the surrounding JSON escaped it).
    stack = ["expr"]
    i = start + 2
    while i < len(text):
        mode = stack[-1]
        if mode != "expr":
            closing = '"' if mode == "str" else '\\"'
            if text.startswith(closing, i):
                stack.pop()
                i += len(closing)
            elif text.startswith("${", i):
                stack.append("expr")
                i += 2
            else:
                i += 2 if text[i] == "\\" else 1
            continue
        if text.startswith('\\"', i):
            stack.append("esc")
            i += 2
            continue
        char = text[i]
        if char == '"':
            stack.append("str")
        elif char == "{":
            stack.append("expr")
        elif char == "}":
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return -1


@dataclass(frozen=True)
class Resource:
    """One `resource` (or `data`) block of one stack."""

    stack: str
    type: str
    name: str
    config: Mapping[str, Any]
    mode: str = "managed"  # or "data"

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}" if self.mode == "managed" else f"data.{self.type}.{self.name}"

    @property
    def construct_path(self) -> str:
        meta = (self.config.get("//") or {}).get("metadata") or {}
        return str(meta.get("path", ""))

    @property
    def construct_id(self) -> str:
        """The id given to the construct in the answer's source (last part of the path)."""
        path = self.construct_path
        return path.rsplit("/", 1)[-1] if path else self.name

    @property
    def provider_ref(self) -> str:
        """`aws` or `aws.<alias>`: cdktf always writes it for resources of an aliased provider."""
        return str(self.config.get("provider") or self.type.split("_", 1)[0])

    def get(self, attr: str, default: Any = None) -> Any:
        return self.config.get(attr, default)

    def blocks(self, attr: str) -> list[dict[str, Any]]:
        """A nested block as a list of dicts (Terraform JSON writes one block as a dict or a list)."""
        value = self.config.get(attr)
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, dict)]
        return []


@dataclass(frozen=True)
class Provider:
    """One provider configuration; `alias` is "" for the default one."""

    stack: str
    name: str
    alias: str
    config: Mapping[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.name}.{self.alias}" if self.alias else self.name

    @property
    def region(self) -> str | None:
        region = self.config.get("region")
        return region if isinstance(region, str) and not is_token(region) else None


# The name prefix of the outputs cdktf writes for cross-stack references.
CROSS_STACK_OUTPUT = "cross-stack-output-"


@dataclass
class Stack:
    """One synthesized stack: its resources, providers, backend, outputs and variables."""

    name: str
    doc: Mapping[str, Any]
    resources: list[Resource] = field(default_factory=list)
    data: list[Resource] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)

    def __post_init__(self) -> None:
        for mode, key, sink in (("managed", "resource", self.resources), ("data", "data", self.data)):
            for rtype, by_name in sorted((self.doc.get(key) or {}).items()):
                for name, config in sorted((by_name or {}).items()):
                    if isinstance(config, dict):
                        sink.append(Resource(self.name, rtype, name, config, mode))
        for pname, configs in sorted((self.doc.get("provider") or {}).items()):
            for config in configs if isinstance(configs, list) else [configs]:
                if isinstance(config, dict):
                    self.providers.append(Provider(self.name, pname, str(config.get("alias") or ""), config))
        self._by_address = {r.address: r for r in [*self.resources, *self.data]}
        # Blocks a platform expanded into instances (`name[0]`, `name["key"]`), by the block's
        # address; a block with no instance (`count = 0`) is declared all the same.
        meta = self.doc.get("//")
        expanded = meta.get("instances") if isinstance(meta, dict) else None
        self._instances: dict[str, list[str]] = {
            base: [a for a in found if a in self._by_address]
            for base, found in (expanded if isinstance(expanded, dict) else {}).items()
            if isinstance(found, list)
        }

    @property
    def backend(self) -> tuple[str, dict[str, Any]] | None:
        """(kind, configuration) of the stack's backend, or None when it declares none."""
        backends = (self.doc.get("terraform") or {}).get("backend") or {}
        for kind, config in backends.items():
            return kind, config if isinstance(config, dict) else {}
        return None

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return dict(self.doc.get("output") or {})

    @property
    def declared_outputs(self) -> dict[str, dict[str, Any]]:
        """The outputs the answer declared: not those cdktf adds by itself to hand a value to
        another stack (`cross-stack-output-...`)."""
        return {k: v for k, v in self.outputs.items() if not k.startswith(CROSS_STACK_OUTPUT)}

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return dict(self.doc.get("variable") or {})

    @property
    def modules(self) -> dict[str, dict[str, Any]]:
        """The module calls: what they create is not in this JSON (modules are not expanded)."""
        return {k: v for k, v in (self.doc.get("module") or {}).items() if isinstance(v, dict)}

    def resource(self, address: str) -> Resource | None:
        """The resource at `address`; for a block expanded into instances, its first instance."""
        found = self._by_address.get(address)
        if found is None and self._instances.get(address):
            return self._by_address[self._instances[address][0]]
        return found

    @property
    def unexpanded_types(self) -> set[str]:
        """The types of managed blocks declared with no instance (`count = 0` for the inputs'
        values): created under other inputs, so what they create is not judged absent."""
        return {
            a.split(".", 1)[0]
            for a, found in self._instances.items()
            if not found and not a.startswith("data.")
        }

    def declares(self, address: str) -> bool:
        """Whether the stack declares the block at `address` (one left with no instance too)."""
        return address in self._by_address or address in self._instances

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def provider_for(self, res: Resource) -> Provider | None:
        ref = res.provider_ref
        return next((p for p in self.providers if p.ref == ref), None)

    def region_of(self, res: Resource) -> str | None:
        """The literal region the resource is created in, when its provider states one."""
        provider = self.provider_for(res)
        return provider.region if provider else None

    # -- references -------------------------------------------------------------------------

    def references(self, value: Any) -> set[str]:
        """Addresses of the resources (and data sources) a value refers to."""
        found: set[str] = set()
        for text in strings(value):
            for expr in INTERPOLATION.findall(text):
                for match in REFERENCE.finditer(expr):
                    address = f"{match.group(1)}.{match.group(2)}"
                    if address in self._by_address:
                        found.add(address)
                    elif address in self._instances:
                        found.update(self._instances_named(address, expr[match.end() :]))
        return found

    def _instances_named(self, address: str, rest: str) -> list[str]:
        """The instance `rest` indexes (`[0]`, `["key"]`), else every instance of the block."""
        key = INSTANCE_KEY.match(rest)
        if key is not None and f"{address}{key.group(0)}" in self._by_address:
            return [f"{address}{key.group(0)}"]
        return self._instances[address]

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """The literal a value stands for, following `${type.name.attr}` references to literal
        attributes of resources of this stack and `${var.x}` to defaults; UNRESOLVED otherwise.

        A string mixing text and references resolves when every reference does
        (`"app-${var.env}"` -> `"app-dev"`). Lists and dicts resolve element by element.
        """
        if depth > MAX_DEPTH:
            return UNRESOLVED
        if isinstance(value, list):
            return [self.resolve(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v, depth + 1) for k, v in value.items()}
        if not is_token(value):
            return value
        whole = INTERPOLATION.fullmatch(value)
        if whole:
            return self._follow(whole.group(1).strip(), depth)
        parts: list[str] = []
        pos = 0
        for match in INTERPOLATION.finditer(value):
            parts.append(value[pos : match.start()])
            got = self._follow(match.group(1).strip(), depth)
            if got is UNRESOLVED or isinstance(got, dict | list):
                return UNRESOLVED
            parts.append(_as_text(got))
            pos = match.end()
        parts.append(value[pos:])
        return "".join(parts)

    def literal(self, res: Resource, attr: str) -> Any:
        """`res.attr`, resolved; UNRESOLVED when unknown before apply, None when unset."""
        if attr not in res.config:
            return None
        return self.resolve(res.config[attr])

    def literal_text(self, res: Resource, attr: str) -> str | None:
        """`res.attr` as a non-empty string known before apply (a physical name), else None."""
        value = self.literal(res, attr)
        return value if isinstance(value, str) and value and "${" not in value else None

    def _follow(self, expr: str, depth: int) -> Any:
        if not TRAVERSAL.match(expr):
            return UNRESOLVED
        steps = re.findall(r"[A-Za-z_][\w-]*|\[\d+\]", expr)
        if steps[0] == "var" and len(steps) >= 2:
            default = (self.variables.get(steps[1]) or {}).get("default", UNRESOLVED)
            return self._walk(default, steps[2:], depth)
        if steps[0] == "local" and len(steps) >= 2:
            local = (self.doc.get("locals") or {}).get(steps[1], UNRESOLVED)
            return self._walk(local, steps[2:], depth)
        head = 3 if steps[0] == "data" else 2
        if len(steps) <= head:
            return UNRESOLVED
        address = ".".join(steps[:head])
        res = self._by_address.get(address)
        rest = steps[head:]
        if res is None and f"{address}{rest[0]}" in self._by_address:  # `aws_subnet.a[0].id`
            res, rest = self._by_address[f"{address}{rest[0]}"], rest[1:]
        if not rest:
            return UNRESOLVED
        if res is None or rest[0].startswith("["):
            return UNRESOLVED
        # cdktf writes `name` only where the answer set it: `id`, `arn` & co are computed.
        return self._walk(res.config.get(rest[0], UNRESOLVED), rest[1:], depth)

    def _walk(self, value: Any, steps: list[str], depth: int) -> Any:
        for step in steps:
            if value is UNRESOLVED:
                return UNRESOLVED
            if step.startswith("["):
                index = int(step[1:-1])
                value = value[index] if isinstance(value, list) and index < len(value) else UNRESOLVED
            elif isinstance(value, dict):
                value = value.get(step, UNRESOLVED)
            else:
                return UNRESOLVED
        return UNRESOLVED if value is UNRESOLVED else self.resolve(value, depth + 1)


class TerraformModel:
    """Every stack of one answer; `note` is set when the JSON came from a fallback synth."""

    def __init__(self, stacks: Mapping[str, Mapping[str, Any]], note: str = "") -> None:
        self.stacks = {
            name: Stack(name, doc) for name, doc in sorted(stacks.items()) if isinstance(doc, dict)
        }
        self.note = note

    def __bool__(self) -> bool:
        return bool(self.stacks)

    def module_calls(self) -> list[str]:
        """The modules any stack calls. Their resources are not in the JSON, so a rule that
        reports something absent cannot tell from it alone."""
        return sorted({m for stack in self.stacks.values() for m in stack.modules})

    def unexpanded_types(self) -> set[str]:
        """The types of blocks any stack declares with no instance (`Stack.unexpanded_types`)."""
        return {t for stack in self.stacks.values() for t in stack.unexpanded_types}

    def declared_types(self) -> set[str]:
        """The types of the managed resources of every stack, with `unexpanded_types`."""
        return {res.type for _stack, res in self.resources()} | self.unexpanded_types()

    def resources(self, *types: str) -> Iterator[tuple[Stack, Resource]]:
        """Every managed resource (of `types`, when given) with its stack."""
        for stack in self.stacks.values():
            for res in stack.resources:
                if not types or res.type in types:
                    yield stack, res

    def resources_with_prefix(self, *prefixes: str) -> Iterator[tuple[Stack, Resource]]:
        for stack, res in self.resources():
            if res.type.startswith(prefixes):
                yield stack, res


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
