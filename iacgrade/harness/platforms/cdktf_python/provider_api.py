"""The provider API index: every class, struct and enum the synth toolchain's jsii packages define.

Built from the jsii assemblies the installed packages ship (`<package>/_jsii/*.jsii.tgz`, the
same type information the generated Python bindings come from), never by importing them: the AWS
provider takes 10-20 s to import, reading its assembly once takes about 15 s, and the compact
index cached on disk loads in a fraction of a second. Nothing here is hand-written API knowledge.

Python names follow the rules of the jsii Python generator (jsii-pacmak): snake_case of the jsii
names, a trailing `_` for Python keywords, the last struct parameter of a constructor "lifted"
into keyword-only arguments, and positional parameters renamed with `_` when a lifted field has
the same name (`RouteTable(scope, id_, *, id=None, ...)`).
`tests/platforms/cdktf_python/test_provider_api.py` checks the derived names against the generated
bindings.

Type references are compact so the index loads fast:

    "s" string   "n" number   "b" boolean   "d" date   "a" any, json or a type outside the index
    int           a named type: an id, read with `ApiIndex.entry(id)`
    ("L", ref)    a list of ref          ("M", ref) a map of string to ref
    ("U", ref, ...) a union
"""

from __future__ import annotations

import ast
import difflib
import fcntl
import functools
import gzip
import hashlib
import json
import keyword
import logging
import marshal
import re
import sys
import tarfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from iacgrade.harness.core.atomic import write_bytes_atomic
from iacgrade.harness.core.cachedir import cache_home
from iacgrade.harness.platforms.cdktf_python.pysource import walked

log = logging.getLogger(__name__)

# Bump when the layout of the cached index changes: old cache files are then ignored.
INDEX_FORMAT = 2
BLOCK = 256  # type entries per lazily decoded block

Ref = str | int | tuple[Any, ...]

PRIMITIVES = {"string": "s", "number": "n", "boolean": "b", "date": "d", "any": "a", "json": "a"}
REF_WORDS = {"s": "str", "n": "number", "b": "bool", "d": "date", "a": "any"}

# The keywords jsii-pacmak escapes with a trailing underscore (jsii-pacmak python/util.ts).
PYTHON_KEYWORDS = frozenset(keyword.kwlist)  # the same 35 words as jsii-pacmak's list

_HELPER_SUFFIXES = ("Config", "OutputReference", "List", "Map", "Lifecycle")

# Kinds of a type entry (the first element of its tuple).
CLASS, STRUCT, INTERFACE, ENUM = "c", "s", "i", "e"


# ---------------------------------------------------------------- names


_ABBREVIATIONS = re.compile(r"(^|[^A-Z])(KiB|MiB|GiB)($|[^a-z])")
_LOWER_UPPER = re.compile(r"([a-z\d])([A-Z])")
_UPPER_RUN = re.compile(r"([A-Z])([A-Z][a-z\d]+)")


def snake_case(name: str) -> str:
    """jsii's snake_case (codemaker `toSnakeCase`): `cidrBlock` -> `cidr_block`, `maxTTL` -> `max_ttl`."""
    name = _ABBREVIATIONS.sub(lambda m: m.group(1) + m.group(2).capitalize() + m.group(3), name)
    return _UPPER_RUN.sub(r"\1_\2", _LOWER_UPPER.sub(r"\1_\2", name)).lower()


def python_name(name: str) -> str:
    """A jsii member or parameter name as the generated Python bindings spell it."""
    snake = snake_case(name)
    return f"{snake}_" if snake in PYTHON_KEYWORDS else snake


def camel_case(name: str) -> str:
    """The jsii spelling of a Python field name (`cidr_block` -> `cidrBlock`), for messages."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class Field:
    """A struct field or a lifted keyword parameter."""

    name: str  # the Python name
    ref: Ref
    optional: bool
    jsii_name: str  # what the JavaScript side reads from a raw dict


@dataclass(frozen=True)
class Param:
    name: str
    ref: Ref
    optional: bool


@dataclass(frozen=True)
class Signature:
    """A constructor as Python sees it: positional parameters, then keyword-only fields."""

    positional: tuple[Param, ...]
    keywords: dict[str, Field]
    variadic: bool

    @property
    def accepted(self) -> set[str]:
        return {p.name for p in self.positional} | set(self.keywords)


@dataclass(frozen=True)
class TypeInfo:
    id: int
    kind: str
    module: str
    name: str

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


class ApiIndex:
    """Lookups over the loaded index; all answers are derived from the assemblies."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.versions: dict[str, str] = data["versions"]
        self.roots: tuple[str, ...] = tuple(data["roots"])
        self.modules: dict[str, dict[str, int]] = data["modules"]
        self.submodules: dict[str, tuple[str, ...]] = data["submodules"]
        self.count: int = data["count"]
        # Type entries are kept as marshalled blocks and decoded on first use: an answer touches a
        # few dozen types of the ~25,000, and decoding them all would triple the load time.
        self._blocks: list[bytes] = data["blocks"]
        self._decoded: dict[int, list[tuple[Any, ...]]] = {}

    def entry(self, type_id: int) -> tuple[Any, ...]:
        block, offset = divmod(type_id, BLOCK)
        rows = self._decoded.get(block)
        if rows is None:
            rows = self._decoded[block] = marshal.loads(self._blocks[block])
        return rows[offset]

    # -- modules and names

    def is_indexed_module(self, module: str) -> bool:
        return module in self.modules

    def owns(self, module: str) -> bool:
        """True when `module` is, or would be, inside one of the indexed packages."""
        return any(module == r or module.startswith(r + ".") for r in self.roots)

    def lookup(self, module: str, name: str) -> int | str | None:
        """A type id, "module" for a submodule, or None when `module` has no such name."""
        found = self.modules.get(module, {}).get(name)
        if found is not None:
            return found
        if name in self.submodules.get(module, ()):
            return "module"
        return None

    def info(self, type_id: int) -> TypeInfo:
        entry = self.entry(type_id)
        return TypeInfo(type_id, entry[0], entry[1], entry[2])

    @cached_property
    def _by_name(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for names in self.modules.values():
            for name, type_id in names.items():
                found.setdefault(name, []).append(type_id)
        return found

    def types_named(self, name: str) -> list[TypeInfo]:
        """Every indexed type called `name`, in any module."""
        return [self.info(i) for i in self._by_name.get(name, [])]

    def suggest_imports(self, module: str, name: str) -> list[tuple[str, str]]:
        """Did-you-mean for `from module import name`: importable (module, name) pairs, best first."""
        out: list[tuple[str, str]] = []
        # Names of the same module that are close: `S3BucketVersioning` -> `S3BucketVersioningA`.
        names = list(self.modules.get(module, {})) + list(self.submodules.get(module, ()))
        if not name.endswith(_HELPER_SUFFIXES):
            # `...Config`, `...OutputReference`, `...List` are plumbing of the bindings, rarely what is meant.
            names = [n for n in names if not n.endswith(_HELPER_SUFFIXES)]
        for cand in close_names(name, names, n=2):
            out.append((module, cand))
        # The same name elsewhere (a class the answer looked for in the wrong module).
        for t in self.types_named(name):
            out.append((t.module, t.name))
        # Close names anywhere (a class whose module the answer also got wrong).
        if not out:
            for cand in close_names(name, list(self._by_name), n=2):
                for t in self.types_named(cand)[:1]:
                    out.append((t.module, t.name))
        return list(dict.fromkeys(out))[:3]

    def suggest_name(self, module: str, name: str) -> list[str]:
        """`suggest_imports` as the import statements to write."""
        return [f"from {m} import {n}" for m, n in self.suggest_imports(module, name)]

    def suggest_module(self, module: str) -> list[str]:
        return close_names(module, [m for m in self.modules if self.owns(m)], n=3)

    # -- constructors and structs

    def signature(self, type_id: int) -> Signature | None:
        """The Python constructor of a class or struct; None when it cannot be known."""
        entry = self.entry(type_id)
        if entry[0] == STRUCT:
            return Signature((), self.fields(type_id), variadic=False)
        if entry[0] != CLASS:
            return None
        seen = 0
        while entry[0] == CLASS and entry[4] is None and entry[3] >= 0 and seen < 50:
            entry = self.entry(entry[3])  # no initializer of its own: Python uses its base's
            seen += 1
        if entry[0] != CLASS or entry[4] is None:
            return None
        params, lifted, variadic = entry[4]
        positional = tuple(Param(n, r, o) for n, r, o in params)
        keywords = self.fields(lifted) if lifted >= 0 else {}
        return Signature(positional, keywords, bool(variadic))

    def fields(self, type_id: int) -> dict[str, Field]:
        entry = self.entry(type_id)
        if entry[0] != STRUCT:
            return {}
        return {n: Field(n, r, o, j) for n, (r, o, j) in entry[3].items()}

    def members(self, type_id: int) -> set[str]:
        """Python attribute names of a class (its own and its bases') or an enum's members."""
        names: set[str] = set()
        seen = 0
        entry = self.entry(type_id)
        while seen < 50:
            if entry[0] == ENUM:
                names.update(entry[3].split())
                break
            if entry[0] != CLASS:
                break
            names.update(entry[5].split())
            if entry[3] < 0:
                break
            entry = self.entry(entry[3])
            seen += 1
        return names

    def kind(self, ref: Ref) -> str:
        return self.entry(ref)[0] if isinstance(ref, int) else ""

    def describe(self, ref: Ref) -> str:
        """A type reference in the words of the generated Python signatures."""
        if isinstance(ref, int):
            return self.entry(ref)[2]
        if isinstance(ref, str):
            return REF_WORDS.get(ref, ref)
        if ref[0] == "L":
            return f"list[{self.describe(ref[1])}]"
        if ref[0] == "M":
            return f"dict[str, {self.describe(ref[1])}]"
        return " | ".join(self.describe(r) for r in ref[1:] if not _is_resolvable(self, r)) or "IResolvable"


def _is_resolvable(index: ApiIndex, ref: Ref) -> bool:
    return isinstance(ref, int) and index.entry(ref)[0] == INTERFACE


CLOSE_CUTOFF = 0.75


def close_names(word: str, candidates: list[str], n: int = 3) -> list[str]:
    hits = difflib.get_close_matches(
        word, _may_be_close(word, candidates, CLOSE_CUTOFF), n=n, cutoff=CLOSE_CUTOFF
    )
    # A pure case difference or an added suffix is the likeliest fix; rank it first.
    prefixed = [c for c in candidates if c != word and c.lower().startswith(word.lower())]
    prefixed.sort(key=len)
    return list(dict.fromkeys([*prefixed[:1], *hits]))[:n]


def _may_be_close(word: str, candidates: list[str], cutoff: float) -> list[str]:
    """The candidates difflib's own quick bounds (`real_quick_ratio`, `quick_ratio`: shared
    characters, counted) do not rule out, computed for all of them at once: the same matches, without
    a Python-level pass over the provider's thousands of names for every misspelt one."""
    if len(candidates) < 500:
        return candidates
    names, counts, lengths, alphabet = _char_counts(tuple(candidates))
    wanted = np.zeros(len(alphabet), dtype=np.int32)
    for ch in word:
        if ch in alphabet:
            wanted[alphabet[ch]] += 1
    total = lengths + len(word)
    shared = np.minimum(counts, wanted).sum(axis=1)
    # As difflib computes them (2.0 * matches / length), so a bound is never off by rounding.
    quick = 2.0 * shared / total
    real_quick = 2.0 * np.minimum(lengths, len(word)) / total
    keep = np.flatnonzero((real_quick >= cutoff) & (quick >= cutoff))
    return [names[i] for i in keep]


@functools.lru_cache(maxsize=8)
def _char_counts(
    names: tuple[str, ...],
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, dict[str, int]]:
    alphabet: dict[str, int] = {}
    for name in names:
        for ch in name:
            alphabet.setdefault(ch, len(alphabet))
    counts = np.zeros((len(names), len(alphabet)), dtype=np.int32)
    for row, name in enumerate(names):
        for ch in name:
            counts[row, alphabet[ch]] += 1
    return names, counts, np.array([len(n) for n in names], dtype=np.int64), alphabet


# ---------------------------------------------------------------- finding the assemblies


@dataclass(frozen=True)
class Assembly:
    """One jsii package installed for the synth toolchain."""

    package: str  # the Python import name: "cdktf_cdktf_provider_aws"
    tarball: Path

    @property
    def label(self) -> str:
        return self.tarball.name.removesuffix(".jsii.tgz")  # "provider-aws@21.22.1"


def find_assemblies(paths: Iterable[str] | None = None) -> list[Assembly]:
    """Every installed package that ships a jsii assembly (cdktf, constructs, prebuilt providers)."""
    found: dict[str, Assembly] = {}
    for entry in paths if paths is not None else sys.path:
        root = Path(entry or ".")
        if not root.is_dir():
            continue
        for tarball in sorted(root.glob("*/_jsii/*.jsii.tgz")):
            package = tarball.parent.parent.name
            found.setdefault(package, Assembly(package, tarball))
    return sorted(found.values(), key=lambda a: a.package)


def cache_key(assemblies: Iterable[Assembly]) -> str:
    labels = ",".join(f"{a.package}={a.label}" for a in assemblies)
    raw = f"{INDEX_FORMAT}|{sys.version_info[:2]}|{labels}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    return cache_home() / "provider_api"


# ---------------------------------------------------------------- building


def read_assembly(tarball: Path) -> dict[str, Any]:
    """The `.jsii` JSON inside a package tarball (following a compressed-assembly redirect)."""
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.extractfile("package/.jsii")
        if member is None:
            raise ValueError(f"{tarball} holds no package/.jsii")
        data = json.loads(member.read())
        if data.get("schema") == "jsii/file-redirect":
            target = tar.extractfile(f"package/{data['filename']}")
            if target is None:
                raise ValueError(f"{tarball}: redirect target {data['filename']} missing")
            raw = target.read()
            data = json.loads(gzip.decompress(raw) if data.get("compression") == "gzip" else raw)
    return data


class _Builder:
    """Turns assemblies into the compact tables `ApiIndex` reads."""

    def __init__(self, assemblies: dict[str, dict[str, Any]]) -> None:
        self.asm = assemblies  # jsii assembly name -> assembly JSON
        self.spec: dict[str, dict[str, Any]] = {}
        self.module_of_asm: dict[str, str] = {}
        for name, a in assemblies.items():
            self.module_of_asm[name] = a["targets"]["python"]["module"]
            self.spec.update(a.get("types", {}))
        self.ids = {fqn: i for i, fqn in enumerate(sorted(self.spec))}

    def python_module(self, t: dict[str, Any]) -> str | None:
        """The Python module a type lives in; None for types nested in other types."""
        asm = self.asm[t["assembly"]]
        module = self.module_of_asm[t["assembly"]]
        namespace = t.get("namespace", "")
        prefix = t["assembly"]
        for part in namespace.split(".") if namespace else []:
            prefix = f"{prefix}.{part}"
            sub = asm.get("submodules", {}).get(prefix)
            if sub is None:
                return None  # a type nested in a class: not importable on its own
            explicit = sub.get("targets", {}).get("python", {}).get("module")
            module = explicit or f"{module}.{snake_case(part)}"
        return module

    def ref(self, ref: dict[str, Any] | None) -> Ref:
        if not ref:
            return "a"
        if "primitive" in ref:
            return PRIMITIVES.get(ref["primitive"], "a")
        if "fqn" in ref:
            return self.ids.get(ref["fqn"], "a")
        if "collection" in ref:
            c = ref["collection"]
            return ("L" if c["kind"] == "array" else "M", self.ref(c["elementtype"]))
        if "union" in ref:
            return ("U", *(self.ref(r) for r in ref["union"]["types"]))
        return "a"  # intersections and anything newer: do not judge

    def struct_fields(self, fqn: str) -> dict[str, tuple[Ref, bool, str]]:
        """All fields of a struct, its own first, then its bases' (as jsii-pacmak lifts them)."""
        fields: dict[str, tuple[Ref, bool, str]] = {}
        queue, seen = [fqn], set()
        while queue:
            current = queue.pop(0)
            if current in seen or current not in self.spec:
                continue
            seen.add(current)
            t = self.spec[current]
            for prop in t.get("properties", []):
                name = python_name(prop["name"])
                fields.setdefault(
                    name, (self.ref(prop.get("type")), bool(prop.get("optional")), prop["name"])
                )
            queue.extend(t.get("interfaces", []))
        return fields

    def initializer(self, t: dict[str, Any]) -> tuple[Any, ...] | None:
        init = t.get("initializer")
        if init is None:
            return None
        params = init.get("parameters", [])
        lifted = -1
        own_lifted: set[str] = set()
        if params and not params[-1].get("variadic"):
            last = self.spec.get(params[-1].get("type", {}).get("fqn", ""), {})
            if last.get("kind") == "interface" and last.get("datatype"):
                lifted = self.ids[last["fqn"]]
                own_lifted = {python_name(p["name"]) for p in last.get("properties", [])}
                params = params[:-1]
        out = []
        for p in params:
            name = python_name(p["name"])
            while name in own_lifted:  # jsii-pacmak toPythonParameterName
                name += "_"
            out.append((name, self.ref(p.get("type")), bool(p.get("optional"))))
        variadic = bool(params and params[-1].get("variadic"))
        return (tuple(out), lifted, variadic)

    def members(self, t: dict[str, Any]) -> str:
        names = []
        for prop in t.get("properties", []):
            names.append(
                python_name(prop["name"]).upper() if prop.get("const") else python_name(prop["name"])
            )
        for method in t.get("methods", []):
            names.append(python_name(method["name"]))
        return " ".join(sorted(set(names)))

    def build(self, versions: dict[str, str]) -> dict[str, Any]:
        types: list[tuple[Any, ...]] = []
        modules: dict[str, dict[str, int]] = {}
        for fqn in sorted(self.spec):
            t = self.spec[fqn]
            module = self.python_module(t) or ""
            name = t["name"] if t["name"] not in PYTHON_KEYWORDS else t["name"] + "_"
            if t["kind"] == "class":
                base = self.ids.get(t.get("base", ""), -1)
                types.append((CLASS, module, name, base, self.initializer(t), self.members(t)))
            elif t["kind"] == "interface" and t.get("datatype"):
                types.append((STRUCT, module, name, self.struct_fields(fqn)))
            elif t["kind"] == "interface":
                types.append((INTERFACE, module, name))
            else:
                members = " ".join(python_name(m["name"]).upper() for m in t.get("members", []))
                types.append((ENUM, module, name, members))
            if module:
                modules.setdefault(module, {})[name] = self.ids[fqn]
        submodules: dict[str, set[str]] = {}
        for asm_name, a in self.asm.items():
            root = self.module_of_asm[asm_name]
            modules.setdefault(root, {})
            for sub in a.get("submodules", {}):
                path = sub.split(".")[1:]
                parent = root
                for part in path:
                    child = f"{parent}.{snake_case(part)}"
                    submodules.setdefault(parent, set()).add(snake_case(part))
                    modules.setdefault(child, {})
                    parent = child
        return {
            "format": INDEX_FORMAT,
            "versions": versions,
            "roots": sorted(self.module_of_asm.values()),
            "modules": modules,
            "submodules": {k: tuple(sorted(v)) for k, v in submodules.items()},
            "count": len(types),
            "blocks": [marshal.dumps(types[i : i + BLOCK]) for i in range(0, len(types), BLOCK)],
        }


def build_index(assemblies: list[Assembly]) -> dict[str, Any]:
    """Read every assembly and build the index tables (slow: seconds; done once per toolchain)."""
    loaded: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    for a in assemblies:
        data = read_assembly(a.tarball)
        loaded[data["name"]] = data
        versions[a.package] = data.get("version", "")
    return _Builder(loaded).build(versions)


# ---------------------------------------------------------------- loading


_LOADED: dict[str, ApiIndex] = {}


def load_index(paths: Iterable[str] | None = None, cache: Path | None = None) -> ApiIndex | None:
    """The index for the installed toolchain, from the disk cache (built there first if missing).

    None when no jsii assembly is installed: the PY rules that need the index then find nothing.
    """
    assemblies = find_assemblies(paths)
    if not assemblies:
        return None
    key = cache_key(assemblies)
    if key in _LOADED:
        return _LOADED[key]
    folder = cache or cache_dir()
    path = folder / f"index-{key}.marshal"
    data = _read(path)
    if data is None:
        try:
            data = _build_locked(assemblies, folder, path)
        except OSError as exc:  # a read-only home: build in memory, slower but still right
            log.warning("cannot cache the provider API index in %s (%s); building it in memory", folder, exc)
            data = build_index(assemblies)
    index = ApiIndex(data)
    _LOADED[key] = index
    return index


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        return None
    return data


def _build_locked(assemblies: list[Assembly], folder: Path, path: Path) -> dict[str, Any]:
    """Build and write the index; concurrent graders wait for the first builder instead of repeating it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = _read(path)  # another process may have finished while we waited
            if data is not None:
                return data
            start = time.perf_counter()
            data = build_index(assemblies)
            write_bytes_atomic(path, marshal.dumps(data), durable=False)
            log.info("built the provider API index in %.1f s: %s", time.perf_counter() - start, path)
            return data
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def iter_types(index: ApiIndex) -> Iterator[TypeInfo]:
    for i in range(index.count):
        yield index.info(i)


@dataclass(frozen=True)
class FailingImport:
    """A provider import that fails: its module is missing (`name` None), or it lacks `name`."""

    node: ast.Import | ast.ImportFrom
    module: str
    name: str | None = None
    alias: ast.alias | None = None


def failing_imports(tree: ast.Module, index: ApiIndex) -> Iterator[FailingImport]:
    """Every import of `tree` that names a provider module or name the index does not have."""
    for node in walked(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and index.owns(node.module):
            if not index.is_indexed_module(node.module):
                yield FailingImport(node, node.module)
                continue
            for alias in node.names:
                if alias.name != "*" and index.lookup(node.module, alias.name) is None:
                    yield FailingImport(node, node.module, alias.name, alias)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if index.owns(alias.name) and not index.is_indexed_module(alias.name):
                    yield FailingImport(node, alias.name, alias=alias)
