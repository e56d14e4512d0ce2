"""`python -m iacgrade.graders.new_rule ID FAMILY [MODULE]` (`make new-rule ID=AWS028 FAMILY=aws`): a rule
skeleton to fill in.

It writes the rule function with its metadata (into `graders/<family>/<module>.py` when MODULE
names a file of the family, else into a new module `graders/<family>/<id>.py` that it lists in
`BUILTIN_FAMILIES`), and two fixture cases under `tests/rules/<family>/<ID>/` (layout in
tests/rules/README.md): `passes/`, an answer the rule must pass, and `fails/`, the same answer
with a `# expect: <ID>` marker where a finding must point. It refuses an id that is registered or
already has fixtures. Until the rule flags the marked line, tests/graders/test_rule_cases.py fails on the
`fails` case: that is the reminder.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAMILY_FOLDERS = {
    "synth": ("SYN", "ENV"),
    "python": ("PY",),
    "terraform": ("TF",),
    "aws": ("AWS",),
    "security": ("SEC",),
    "tests": ("TST",),
    "requirements": ("REQ",),
    "hcl": ("HCL",),
}
_REGISTRY_END = "\n)\n"

RULE_TEMPLATE = '''

@rule(
    id="{id}",
    name="{slug}",  # kebab-case: what the rule flags
    title="TODO: the finding's title",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale="TODO: The model ... (one sentence, what reports quote as the root cause).",
    docs=("TODO: https://docs.aws.amazon.com/...",),
    needs="terraform",  # or "source" for a rule that reads the answer's Python
)
def {func}(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: TODO.

    Why it matters: TODO.

    Bad: TODO.

    Good: TODO.

    References: TODO.
    """
    return iter(())
'''

MODULE_HEADER = '''"""{id}: TODO, what this module checks (or move the rule into the file of its subject)."""

from __future__ import annotations

from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.graders.registry import Hit, rule
'''

CASE_STACK = """{note}
from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        S3Bucket(self, "data", bucket="data-dev"){marker}
"""
PASSES_NOTE = """# TODO({id}): an answer {id} must pass, the closest correct twin of the `fails` case.
# A rule that reads Terraform JSON also needs synth.json: `make fixtures-synth CASES="{id}/passes"`."""
FAILS_NOTE = """# TODO({id}): the answer with the one mistake {id} is about. Each line a finding must point
# at carries an expect comment naming {id}, as the last line does (tests/rules/README.md); then
# `make fixtures-synth CASES="{id}/fails"` when the rule reads Terraform JSON."""


class RuleExists(ValueError):
    pass


def new_rule(rule_id: str, family: str, module: str | None = None, root: Path = ROOT) -> list[Path]:
    """Write the skeleton of rule `rule_id` in family folder `family`; returns the files written."""
    rule_id = rule_id.upper()
    prefixes = FAMILY_FOLDERS.get(family)
    if prefixes is None:
        raise ValueError(f"unknown family {family!r}: one of {', '.join(FAMILY_FOLDERS)}")
    if not re.fullmatch(r"[A-Z]+\d{3}", rule_id) or rule_id.rstrip("0123456789") not in prefixes:
        raise ValueError(f"{rule_id} is not an id of family {family} ({'/'.join(prefixes)} and three digits)")
    fixtures = root / "tests" / "rules" / family / rule_id
    if fixtures.exists() or _declared(rule_id, root):
        raise RuleExists(f"{rule_id} exists already; `iacgrade rules` lists the ids taken")
    written = [_write_rule(rule_id, family, module, root)]
    for case, note, marker in (("passes", PASSES_NOTE, ""), ("fails", FAILS_NOTE, f"  # expect: {rule_id}")):
        stack = CASE_STACK.format(note=note.format(id=rule_id), marker=marker)
        written.append(_write(fixtures / case / "files" / "lib" / "tap_stack.py", stack))
    return written


def _declared(rule_id: str, root: Path) -> bool:
    """Whether any module under graders/ declares the id (read as text: a broken module counts too)."""
    pattern = re.compile(rf'\bid="{rule_id}"')
    return any(
        pattern.search(p.read_text(encoding="utf-8")) for p in (root / "iacgrade" / "graders").rglob("*.py")
    )


def _write_rule(rule_id: str, family: str, module: str | None, root: Path) -> Path:
    slug = f"todo-{rule_id.lower()}"
    body = RULE_TEMPLATE.format(id=rule_id, slug=slug, func=slug.replace("-", "_"))
    if module:
        path = root / "iacgrade" / "graders" / family / f"{module}.py"
        if not path.is_file():
            raise ValueError(f"{path.relative_to(root)} does not exist; leave MODULE out for a new module")
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + body, encoding="utf-8")
        return path
    path = root / "iacgrade" / "graders" / family / f"{rule_id.lower()}.py"
    _write(path, MODULE_HEADER.format(id=rule_id) + body)
    _list_module(
        root / "iacgrade" / "graders" / "registry.py", f"iacgrade.graders.{family}.{rule_id.lower()}"
    )
    return path


def _list_module(registry: Path, dotted: str) -> None:
    """Add `dotted` at the end of BUILTIN_FAMILIES, so the new module is imported."""
    text = registry.read_text(encoding="utf-8")
    start = text.index("BUILTIN_FAMILIES = (")
    end = text.index(_REGISTRY_END, start)
    registry.write_text(text[:end] + f'\n    "{dotted}",' + text[end:], encoding="utf-8")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: python -m iacgrade.graders.new_rule ID FAMILY [MODULE]", file=sys.stderr)
        return 2
    try:
        written = new_rule(argv[0], argv[1], argv[2] if len(argv) == 3 else None)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    print(
        "next: fill in the rule and its cases (with `make fixtures-synth` for a rule that reads "
        "Terraform JSON), then `python -m iacgrade.graders.docs` for docs/rules.md"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
