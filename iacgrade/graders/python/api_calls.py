"""PY003-PY006's checks: one call of a provider class or struct against its generated signature."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator

from iacgrade.graders.python.api_imports import version_label
from iacgrade.graders.python.drops import judge, sources
from iacgrade.graders.python.evidence import call_excerpt
from iacgrade.graders.python.shapes import DictIssue, ShapeChecker, ValueReport
from iacgrade.graders.registry import Hit
from iacgrade.graders.wording import counted
from iacgrade.harness.core.findings import Location
from iacgrade.harness.platforms.cdktf_python.locate import statement_span
from iacgrade.harness.platforms.cdktf_python.provider_api import (
    STRUCT,
    ApiIndex,
    Signature,
    camel_case,
    close_names,
)

CDKTF_PROVIDERS = "https://developer.hashicorp.com/terraform/cdktf/concepts/providers#provider-resources"


class Call:
    """One call of an indexed class or struct, with what is needed to report on it."""

    def __init__(
        self,
        path: str,
        tree: ast.Module,
        node: ast.Call,
        type_id: int,
        signature: Signature,
        anchor: str,
        files: dict[str, str],
    ) -> None:
        self.path, self.tree, self.node, self.type_id = path, tree, node, type_id
        self.signature, self.anchor, self.files = signature, anchor, files

    def evidence(self, focus: ast.AST | None = None) -> str:
        return call_excerpt(self.files, self.tree, self.path, self.node, focus)

    def location(self, focus: ast.AST | None = None) -> Location:
        """The line at fault, through the end of the statement holding the call: every finding on
        one call ends on one line, which is how they are told apart from another call's."""
        line = getattr(focus, "lineno", None) or self.node.lineno
        end = statement_span(self.tree, self.path, self.node.lineno).end
        return Location(path=self.path, line=line, end_line=end if end > line else None)


def check_call(call: Call, index: ApiIndex, checker: ShapeChecker) -> Iterator[tuple[str, Hit]]:
    node, sig = call.node, call.signature
    name = index.info(call.type_id).name
    starred = any(isinstance(a, ast.Starred) for a in node.args)
    spread = any(k.arg is None for k in node.keywords)
    npos = len(node.args)
    if not starred and not sig.variadic and npos > len(sig.positional):
        yield "PY003", _too_many(call, name, index)
    filled = [p.name for p in sig.positional[:npos]] if not starred else []
    given = set(filled) | {k.arg for k in node.keywords if k.arg}
    missing: list[str] = []
    if not starred and not spread:
        missing = [p.name for p in sig.positional if not p.optional and p.name not in given]
        missing += [f.name for f in sig.keywords.values() if not f.optional and f.name not in given]
    accepted = sig.accepted
    for kw in node.keywords:
        if kw.arg is None:
            continue
        if kw.arg not in accepted:
            # `subnet_group_name=` where `name` is required and absent: one mistake, reported once.
            paired = _paired(kw.arg, missing)
            if paired:
                missing.remove(paired)
            yield "PY003", _unknown_keyword(call, kw, name, index, paired)
        elif kw.arg in filled:
            yield (
                "PY003",
                Hit(
                    title=f"Argument given twice to {name}",
                    message=f"`{kw.arg}` of `{name}` is given both by position and by keyword: `TypeError`.",
                    location=call.location(kw),
                    anchor=call.anchor,
                    evidence=call.evidence(kw),
                    error=f"TypeError: {name}.__init__() got multiple values for argument '{kw.arg}'",
                ),
            )
    if missing:
        yield "PY006", _missing(call, name, missing)
    for kw in node.keywords:
        field = sig.keywords.get(kw.arg or "")
        ref = field.ref if field else next((p.ref for p in sig.positional if p.name == kw.arg), None)
        if ref is None or kw.arg is None:
            continue
        report = ValueReport()
        checker.check(kw.value, ref, "python", report, kw.arg)
        yield from _value_hits(call, kw, kw.arg, name, report)
    for param, arg in zip(sig.positional, node.args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        report = ValueReport()
        checker.check(arg, param.ref, "python", report, param.name)
        yield from _value_hits(call, arg, param.name, name, report)


def _too_many(call: Call, name: str, index: ApiIndex) -> Hit:
    node, sig = call.node, call.signature
    takes, npos = len(sig.positional), len(node.args)
    return Hit(
        title=f"Too many positional arguments to {name}",
        message=(
            f"`{name}` takes {counted(takes, 'positional argument')} ({_names(sig.positional)}) but is given "
            f"{npos}: synth stops with `TypeError`."
            + (" Pass its fields as keywords." if index.kind(call.type_id) == STRUCT else "")
        ),
        location=call.location(node.args[takes]),
        anchor=call.anchor,
        evidence=call.evidence(node.args[takes]),
        error=(
            f"TypeError: {name}.__init__() takes {takes + 1} positional arguments but {npos + 1} were given"
        ),
    )


def _paired(word: str, missing: list[str]) -> str | None:
    for m in missing:
        if word.endswith("_" + m) or word.startswith(m + "_"):
            return m
    close = difflib.get_close_matches(word, missing, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_keyword(call: Call, kw: ast.keyword, name: str, index: ApiIndex, paired: str | None) -> Hit:
    if paired:
        hint = f" `{paired}` is required and not given: that is the keyword meant."
    else:
        hint = _keyword_hint(kw.arg or "", call.signature, index)
    return Hit(
        title=f"Unknown keyword `{kw.arg}` for {name}",
        message=(
            f"`{name}` takes no keyword `{kw.arg}` in {version_label(index, index.info(call.type_id).module)}"
            ": "
            f"synth stops with `TypeError: {name}.__init__() got an unexpected keyword argument "
            f"'{kw.arg}'`.{hint}"
        ),
        location=call.location(kw),
        anchor=call.anchor,
        evidence=call.evidence(kw),
        error=f"TypeError: {name}.__init__() got an unexpected keyword argument '{kw.arg}'",
    )


def _keyword_hint(word: str, sig: Signature, index: ApiIndex) -> str:
    accepted = sorted(sig.accepted)
    for name in accepted:
        if camel_case(name) == word:
            return f" The Python spelling is `{name}`."
    # A field of a nested struct written flat: `replica_region` -> `replica=[...(region=...)]`.
    for field in sig.keywords.values():
        struct, many = _struct_of(field.ref, index)
        if struct is None or not word.startswith(field.name + "_"):
            continue
        rest = word[len(field.name) + 1 :]
        if rest in index.fields(struct):
            inner = f"{index.info(struct).name}({rest}=...)"
            value = f"[{inner}]" if many else inner
            return f" `{rest}` belongs in the `{field.name}` block: `{field.name}={value}`."
    close = close_names(word, accepted, n=3)
    if close:
        return " Did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return ""


def _struct_of(ref: object, index: ApiIndex) -> tuple[int | None, bool]:
    if isinstance(ref, int) and index.kind(ref) == STRUCT:
        return ref, False
    if isinstance(ref, tuple):
        if ref[0] == "L":
            inner, _ = _struct_of(ref[1], index)
            return inner, True
        if ref[0] == "U":
            for member in ref[1:]:
                inner, many = _struct_of(member, index)
                if inner is not None:
                    return inner, many
    return None, False


def _missing(call: Call, name: str, missing: list[str]) -> Hit:
    listed = ", ".join(f"`{m}`" for m in missing)
    return Hit(
        title=f"Required argument of {name} left out",
        message=(
            f"`{name}` requires {listed}, which the call does not pass: synth stops with "
            f"`TypeError: {name}.__init__() missing {counted(len(missing), 'required argument')}`."
        ),
        location=call.location(),
        anchor=call.anchor,
        evidence=call.evidence(),
        error=(
            f"TypeError: {name}.__init__() missing "
            f"{counted(len(missing), 'required keyword-only argument')}: {listed}"
        ),
    )


def _value_hits(
    call: Call, at: ast.AST, param: str, owner: str, report: ValueReport
) -> Iterator[tuple[str, Hit]]:
    if report.shape:
        first = report.shape[0]
        reasons = "; ".join(dict.fromkeys(f"`{i.where}` {i.text}" for i in report.shape))
        yield (
            "PY004",
            Hit(
                title=f"Wrong value shape for {owner} `{param}`",
                message=f"In `{owner}`, {reasons}. Synth stops with a type error.",
                location=call.location(first.node),
                anchor=call.anchor,
                evidence=call.evidence(first.node),
                error=f"TypeError: type of argument {_leaf(first.where)} does not match",
            ),
        )
    for node, struct, names, where in report.missing:
        listed = ", ".join(f"`{n}`" for n in names)
        yield (
            "PY006",
            Hit(
                title=f"Required field of {struct} left out",
                message=(
                    f"The dict given for `{where}` of `{owner}` becomes `{struct}(**dict)`, which requires "
                    f"{listed}: synth stops with `TypeError`."
                ),
                location=call.location(node),
                anchor=call.anchor,
                evidence=call.evidence(node),
                error=f"TypeError: {struct}.__init__() missing "
                f"{counted(len(names), 'required keyword-only argument')}: {listed}",
            ),
        )
    if report.dicts:
        yield "PY005", _dict_hit(call, owner, report)


def _dict_hit(call: Call, owner: str, report: ValueReport) -> Hit:
    first = report.dicts[0]
    wheres = list(
        dict.fromkeys(d.where.split("[")[0] if d.where.endswith("]") else d.where for d in report.dicts)
    )
    snake = list(dict.fromkeys(k for d in report.dicts for k in d.dropped_snake))
    unknown = list(dict.fromkeys(k for d in report.dicts for k in d.dropped_unknown))
    parts = []
    if snake:
        keys = ", ".join(f"`{k}`" for k, _ in snake)
        parts.append(f"the provider reads camelCase names (`{snake[0][1]}`), so {keys} {_are(snake)} dropped")
    if unknown:
        parts.append(f"{', '.join(f'`{k}`' for k in unknown)} {_are(unknown)} no field of `{first.struct}`")
    where = wheres[0]
    required = list(dict.fromkeys(k for d in report.dicts for k in d.missing_required))
    verdict = judge(owner, where, report.dicts)
    return Hit(
        title=f"{owner} {where} given as a dict instead of {first.struct}",
        severity=verdict.severity,
        message=(
            f"`{where}` of `{owner}` expects `{first.struct}`; the dict given inside a list is passed to the "
            f"provider as it is: {'; '.join(parts) or 'required fields are absent'}, and {verdict.outcome}. "
            f"Use `{_struct_example(first)}`."
        ),
        location=call.location(first.node),
        anchor=call.anchor,
        evidence=call.evidence(first.node),
        impact=verdict.impact,
        docs=(CDKTF_PROVIDERS, *sources(report.dicts)),
        # Synth stops on the missing field: the error is the kernel's refusal, predicted.
        error=(
            f"the jsii kernel refuses `{where}` of {owner}: Unable to deserialize value as {first.struct}: "
            f"missing required properties {', '.join(repr(r) for r in required)}"
            if required
            else ""
        ),
        root_cause=(
            f"The model used dictionary syntax instead of the CDKTF struct class `{first.struct}` for "
            f"the `{where}` block of `{owner}`, a list of structs. The dict is passed to the provider as "
            "it is and read by camelCase field names, so its snake_case keys are dropped"
            + (
                f" and the required {_listed(required)} {_are(required)} missing, so synth stops."
                if required
                else "."
            )
        ),
    )


def _leaf(where: str) -> str:
    """`block_device_mappings[0].ebs.encrypted` -> `encrypted`: the argument Python names."""
    # Subscripts go first: a map key may hold a dot (`tags['team.name']`) or be `...`.
    return _SUBSCRIPT.sub("", where).rsplit(".", 1)[-1]


_SUBSCRIPT = re.compile(r"\[[^\]]*\]")


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _are(items: list) -> str:
    return "is" if len(items) == 1 else "are"


def _struct_example(issue: DictIssue) -> str:
    keys = [k for k, _ in issue.dropped_snake][:2]
    inner = ", ".join(f"{k}=..." for k in keys) or "..."
    return f"{issue.struct}({inner})"


def _names(params: tuple) -> str:
    return ", ".join(p.name for p in params) or "none"
