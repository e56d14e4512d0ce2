"""Write the Terraform schema of the AWS provider that HCL answers are validated against.

Derived from the jsii assembly of cdktf-cdktf-provider-aws, which is generated from the
provider's own Terraform schema: each resource class links its Terraform type, each config
property its Terraform argument, struct-typed properties are nested blocks (a struct: at most
one; a list of structs: any number) and the rest are arguments. Run it when the pinned provider
package changes: `python scripts/build_hcl_schema.py`.

Compact layout, read by iacgrade/harness/platforms/tf_hcl/schema.py:

    {"meta": {...}, "resource": {type: S}, "data": {type: S}, "provider": {"aws": S}}
    S = {"a": {argument: [type, required]}, "b": {block: [S, required, single]}}
    type: "s" string, "n" number, "b" bool, "m" map, "l" list or set, "a" anything else
"""

from __future__ import annotations

import datetime
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

from iacgrade.harness.platforms.cdktf_python.provider_api import find_assemblies, read_assembly

OUT = Path(__file__).resolve().parents[1] / "iacgrade/harness/platforms/tf_hcl/data/aws_schema.json.gz"
PACKAGE = "cdktf_cdktf_provider_aws"
_TYPE_LINK = re.compile(r"docs/(resources|data-sources)/\w+ (aws_\w+)\}")
_ARG_LINK = re.compile(r"#(\w+) \w+#\w+\}")
_PRIMITIVE = {"string": "s", "number": "n", "boolean": "b", "any": "a", "json": "a", "date": "s"}


class Builder:
    def __init__(self, types: dict[str, Any]) -> None:
        self.types = types

    def _plain(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        """The reference without cdktf's IResolvable union arm (any value may be a token)."""
        union = ref.get("union")
        if union:
            arms = [t for t in union["types"] if t.get("fqn") != "cdktf.IResolvable"]
            return self._plain(arms[0]) if len(arms) == 1 else None
        return ref

    def _struct(self, fqn: str) -> bool:
        entry = self.types.get(fqn) or {}
        return entry.get("kind") == "interface" and entry.get("datatype", False)

    def struct(self, fqn: str, depth: int = 0) -> dict[str, Any]:
        args: dict[str, list[Any]] = {}
        blocks: dict[str, list[Any]] = {}
        for prop in self.types[fqn].get("properties", []):
            match = _ARG_LINK.search(prop.get("docs", {}).get("summary", ""))
            name = match.group(1) if match else re.sub(r"(?<!^)([A-Z])", r"_\1", prop["name"]).lower()
            required = 0 if prop.get("optional") else 1
            ref = self._plain(prop["type"]) or {}
            element = ref.get("collection", {}).get("elementtype") if "collection" in ref else None
            element = self._plain(element) if element else None
            if "fqn" in ref and self._struct(ref["fqn"]) and depth < 12:
                blocks[name] = [self.struct(ref["fqn"], depth + 1), required, 1]
            elif element and "fqn" in element and self._struct(element["fqn"]) and depth < 12:
                blocks[name] = [self.struct(element["fqn"], depth + 1), required, 0]
            elif "primitive" in ref:
                args[name] = [_PRIMITIVE.get(ref["primitive"], "a"), required]
            elif "collection" in ref:
                args[name] = ["m" if ref["collection"]["kind"] == "map" else "l", required]
            else:
                args[name] = ["a", required]
        return {"a": args, "b": blocks}

    def build(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource": {}, "data": {}, "provider": {}}
        for fqn, entry in self.types.items():
            if entry.get("kind") != "class":
                continue
            summary = entry.get("docs", {}).get("summary", "")
            params = (entry.get("initializer") or {}).get("parameters") or []
            config = next((p["type"].get("fqn") for p in params if p["name"] == "config"), None)
            if config is None or config not in self.types:
                continue
            if fqn.endswith(".provider.AwsProvider"):
                out["provider"]["aws"] = self.struct(config)
                continue
            match = _TYPE_LINK.search(summary)
            if match:
                kind = "resource" if match.group(1) == "resources" else "data"
                out[kind][match.group(2)] = self.struct(config)
        return out


def main() -> int:
    assembly = next(a for a in find_assemblies() if a.package == PACKAGE)
    schema = Builder(read_assembly(assembly.tarball)["types"]).build()
    schema["meta"] = {
        "source": f"jsii assembly of {assembly.label} (cdktf-cdktf-provider-aws), generated from the "
        "Terraform schema of hashicorp/aws",
        "date": datetime.date.today().isoformat(),
        "built_by": "scripts/build_hcl_schema.py",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(raw, mtime=0))
    print(
        f"{OUT}: {len(schema['resource'])} resources, {len(schema['data'])} data sources, "
        f"{len(raw)} bytes, {OUT.stat().st_size} gzipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
