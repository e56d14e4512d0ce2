"""Folding a synth failure into the source finding that names the same culprit.

When an answer does not synthesize because of, say, an import of a name the provider lacks, both
SYN001 (the synth error) and PY002 (the import, found statically, with a did-you-mean) describe
one mistake. The report must list it once: the PY failure is kept (it is more specific and
suggests the fix), records "SYN001" in `merged`, and carries the real synth error text.

A finding on the synthesized Terraform can also be the consequence of a source mistake a PY rule
names: a route dict whose keys the provider dropped (PY005) synthesizes to a route with no
destination (AWS006). Such pairs, declared in `CONSEQUENCES`, are folded the same way when both
point at the same statement: the PY failure stays, with the deploy-time error of the other.

The rules that judge one call of a provider class (an unknown keyword, a missing argument, a
value of the wrong shape, a dict that loses its keys) can each fire on the same call, and on the
struct calls nested in it. One statement is one thing to fix: its failures become one that lists
every problem, under the most severe.
"""

from __future__ import annotations

import re

from iacgrade.harness.core.findings import Location
from iacgrade.harness.core.results import Failure

SYNTH_RULE = "SYN001"
# Blockers met past the first in the worker's repair rounds: folded like the synth error.
BLOCKER_RULE = "SYN004"

# A JSON-level rule -> the PY rules whose mistake, at the same statement, produces what it sees.
CONSEQUENCES: dict[str, frozenset[str]] = {
    "AWS006": frozenset({"PY005"}),
}

# The rules that judge one provider call, in the order Python meets their errors at the call:
# binding the arguments (unknown keyword, missing one), then the bindings' type checks, then
# the kernel reading a dict. On a tie of severity, the first is the one the synth would show.
CALL_RULES = ("PY003", "PY006", "PY004", "PY005")

# Names a Python or jsii error message quotes: 'S3BucketVersioning', 'replica_region', 'identity_get'.
_QUOTED = re.compile(r"'([A-Za-z_][\w.]*)'")
_JSII_KEY = re.compile(r"Key '(\w+)'")
_TYPE_WORDS = frozenset(
    {"str", "int", "float", "bool", "dict", "list", "tuple", "object", "NoneType", "module"}
)


def merge_failures(failures: list[Failure]) -> list[Failure]:
    """Fold the findings on one provider call into one, then each SYN001 failure into the PY
    failure about the same culprit, then each declared consequence into its cause, then repeats of
    one mistake across stacks, then identical failures at several places into one; keep the order
    otherwise."""
    return merge_places(_fold_repeats(_fold_consequences(_fold_synth(fold_calls(list(failures))))))


def merge_places(failures: list[Failure]) -> list[Failure]:
    """One failure for one problem met at several places (four route tables given the same dict):
    the report lists it once with its count and every place, as a reviewer does, and the score
    counts it once. The first place in reading order speaks for the group."""
    groups: dict[tuple[str, ...], list[Failure]] = {}
    for f in failures:
        groups.setdefault(_problem_key(f), []).append(f)
    out: list[Failure] = []
    for f in failures:
        group = groups[_problem_key(f)]
        if len(group) == 1:
            out.append(f)
            continue
        if f is not group[0]:
            continue
        members = sorted(group, key=_reading_key)
        # The place whose error a synth run printed speaks for the group; else the first one.
        lead = min(members, key=lambda m: (not (m.error and m.error_kind.observed), _reading_key(m)))
        places = [place for m in members for place in (m.places or [m.location])]
        out.append(
            lead.model_copy(
                update={
                    "message": _every_subject(lead.message, members),
                    "title": _title_without_subject(lead) if len(_subjects(members)) > 1 else lead.title,
                    "places": places,
                    "occurrences": sum(m.occurrences for m in members),
                    "merged": list(dict.fromkeys(r for m in members for r in m.merged)),
                }
            )
        )
    return out


def _problem_key(f: Failure) -> tuple[str, ...]:
    """Two failures are the same problem when one rule says the same thing about each: the same
    title and the same message once each one's own place (address, stack, line) is left out. The
    message names the values at fault (a version, a key, a name), so two different values stay
    two failures; the error text is not compared, since a synth run may have printed it at one
    place while a rule predicts it at the others."""
    said = _SUBJECT.sub("In <class>, ", _without_place(f.message, f.location))
    return (f.rule_id, _title_without_subject(f), f.severity.value, f.category.value, f.note, said)


def _title_without_subject(f: Failure) -> str:
    # "Wrong value shape for KmsKey `provider`": the class is the place, as in the message.
    match = _SUBJECT_NAME.match(f.message)
    return re.sub(rf"\b{re.escape(match[1])}\s+", "", f.title) if match else f.title


# The class a provider-API finding is about (`In `KmsKey`, `provider` is a string...`): the same
# mistake made on nine classes is one problem at nine places, as a reviewer writes it.
_SUBJECT = re.compile(r"^In `[\w.]+`, ")
_SUBJECT_NAME = re.compile(r"^In `([\w.]+)`, ")


def _subjects(members: list[Failure]) -> list[str]:
    """The classes a group's provider-API findings are about, in order."""
    return list(dict.fromkeys(m[1] for f in members if (m := _SUBJECT_NAME.match(f.message))))


def _every_subject(message: str, members: list[Failure]) -> str:
    """The lead's message naming every class the group is about, when they differ."""
    subjects = _subjects(members)
    if len(subjects) < 2:
        return message
    named = ", ".join(f"`{s}`" for s in subjects[:-1]) + f" and `{subjects[-1]}`"
    return _SUBJECT.sub(f"In {named}, ", message, count=1)


def _without_place(text: str, loc: Location) -> str:
    tokens = [loc.address, loc.address.split(".", 1)[-1] if loc.address else None, loc.stack]
    if loc.path and loc.line:
        tokens.insert(0, f"{loc.path}:{loc.line}")
    for token in (t for t in tokens if t):
        # Whole names only: the construct `a` must not eat the a of `RouteTable`.
        text = re.sub(rf"(?<![\w-]){re.escape(token)}(?![\w-])", "<place>", text)
    return text


def order_failures(failures: list[Failure]) -> list[Failure]:
    """The order a reviewer meets them in: the synth error first, then the other synth blockers,
    then the rest by severity; within each, by file and numeric line."""
    return sorted(failures, key=_reading_key)


def _reading_key(f: Failure) -> tuple[int, int, str, int, str]:
    rules = {f.rule_id, *f.merged}
    if SYNTH_RULE in rules:
        stage = 0
    elif BLOCKER_RULE in rules or (f.rule_id.startswith(("PY", "SYN")) and f.severity.rank == 0):
        stage = 1
    else:
        stage = 2
    return stage, f.severity.rank, f.location.path or "", f.location.line or 0, f.rule_id


def fold_calls(failures: list[Failure]) -> list[Failure]:
    """One failure per provider call: the findings of `CALL_RULES` on one call (same file, same
    construct, same statement end) become the most severe of them, whose message then lists the
    others and whose `merged` names their rules."""
    groups: dict[tuple[str, str, int], list[Failure]] = {}
    for f in failures:
        key = _call_key(f)
        if key is not None:
            groups.setdefault(key, []).append(f)
    out: list[Failure] = []
    for f in failures:
        key = _call_key(f)
        group = groups[key] if key is not None else [f]
        if len(group) == 1:
            out.append(f)
            continue
        lead = min(group, key=lambda g: (g.severity.rank, CALL_RULES.index(g.rule_id), g.location.line or 0))
        if f is lead:
            out.append(_one_call(lead, [g for g in group if g is not lead]))
    return out


def _call_key(f: Failure) -> tuple[str, str, int] | None:
    loc = f.location
    if f.rule_id not in CALL_RULES or not (loc.path and loc.line and f.anchor):
        return None
    return loc.path, f.anchor, loc.end_line or loc.line


def _one_call(lead: Failure, others: list[Failure]) -> Failure:
    # The same problem in several nested calls (three rules given one wrong struct) is told once,
    # with its lines.
    items: dict[tuple[str, str], list[int]] = {}
    for g in [lead, *sorted(others, key=lambda g: g.location.line or 0)]:
        items.setdefault((g.rule_id, g.message), []).append(g.location.line or 0)
    parts = []
    for n, ((rule_id, message), lines) in enumerate(items.items(), start=1):
        tag = "" if rule_id == lead.rule_id else f", {rule_id}"
        where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"
        parts.append(f"({n}{tag}, {where}) {message}")
    count = sum(len(lines) for lines in items.values())
    folded = dict.fromkeys(r for g in others for r in (g.rule_id, *g.merged) if r != lead.rule_id)
    more = count - 1
    return lead.model_copy(
        update={
            "title": f"{lead.title} (and {more} more problem{'s' if more > 1 else ''} in the statement)",
            "message": f"This statement has {count} problems. {' '.join(parts)}",
            "merged": [*lead.merged, *(r for r in folded if r not in lead.merged)],
            "error": lead.error or next((g.error for g in others if g.error), ""),
        }
    )


def _fold_repeats(failures: list[Failure]) -> list[Failure]:
    """One failure per mistake in the source: a construct built in several stacks (a primary and a
    secondary region from one class) gives one JSON finding per stack, all quoting the same line;
    the report lists it once, says where else it recurs, and the score counts it once."""
    groups: dict[tuple[str, str, str, int], list[Failure]] = {}
    for f in failures:
        key = _repeat_key(f)
        if key is not None:
            groups.setdefault(key, []).append(f)
    out: list[Failure] = []
    for f in failures:
        key = _repeat_key(f)
        group = groups[key] if key is not None else [f]
        if len(group) == 1:
            out.append(f)
        elif f is group[0]:
            again = "; ".join(other.message.rstrip(".") for other in group[1:])
            update = {
                "message": f"{f.message} The same code is built again: {again}.",
                "occurrences": len(group),
            }
            out.append(f.model_copy(update=update))
    return out


def _repeat_key(f: Failure) -> tuple[str, str, str, int] | None:
    # Only findings on a stack's JSON repeat per stack; a source finding is one per mistake already.
    loc = f.location
    return (f.rule_id, f.anchor, loc.path, loc.line) if loc.stack and loc.path and loc.line else None


def _fold_consequences(failures: list[Failure]) -> list[Failure]:
    out = list(failures)
    for effect in [f for f in failures if f.rule_id in CONSEQUENCES]:
        causes = CONSEQUENCES[effect.rule_id]
        cause = next((f for f in out if f.rule_id in causes and _same_statement(f, effect)), None)
        if cause is None:
            continue
        folded = cause.model_copy(
            update={
                "merged": [*cause.merged, effect.rule_id, *effect.merged],
                "error": cause.error or effect.error,
                "error_kind": cause.error_kind if cause.error else effect.error_kind,
                "location": cause.location.model_copy(
                    update={
                        "address": cause.location.address or effect.location.address,
                        "stack": cause.location.stack or effect.location.stack,
                    }
                ),
            }
        )
        out = [folded if f is cause else f for f in out if f is not effect]
    return out


def _same_statement(a: Failure, b: Failure) -> bool:
    la, lb = a.location, b.location
    return bool(la.path and la.line and la.path == lb.path and la.line == lb.line)


def _fold_synth(failures: list[Failure]) -> list[Failure]:
    synth = [f for f in failures if f.rule_id in (SYNTH_RULE, BLOCKER_RULE)]
    if not synth:
        return failures
    out = list(failures)
    for syn in synth:
        pool = [f for f in out if f.rule_id.startswith("PY")]
        # A later blocker only folds into a PY failure at its own statement, never elsewhere.
        target = _culprit(syn, pool) if syn.rule_id == SYNTH_RULE else _at_statement(syn, pool)
        if target is None:
            continue
        # What a synth run printed beats what a rule predicted; a rule's own observed text stays.
        take_syn = bool(syn.error) and (not target.error or not target.error_kind.observed)
        update: dict[str, object] = {
            "merged": [*target.merged, syn.rule_id],
            "error": syn.error if take_syn else target.error,
            "error_kind": syn.error_kind if take_syn else target.error_kind,
        }
        if not target.error and syn.impact:
            # The rule predicted no synth error here (keys dropped in silence), yet synth stopped
            # at this statement: the impact is the blocker's, not "no error at synth".
            update["impact"] = list(syn.impact)
        merged = target.model_copy(update=update)
        out = [merged if f is target else f for f in out if f is not syn]
    return out


def _culprit(syn: Failure, candidates: list[Failure]) -> Failure | None:
    """The PY failure at the synth error's statement, preferring the one naming what the error names."""
    names = _names(syn.error)
    at_line = [f for f in candidates if _within(f, syn)]
    for pool in (at_line, candidates):
        named = [f for f in pool if names and _mentions(f, names)]
        if named:
            return min(named, key=_rank)
    if at_line:
        return min(at_line, key=_rank)
    return None


def _at_statement(syn: Failure, candidates: list[Failure]) -> Failure | None:
    at_line = [f for f in candidates if _within(f, syn)]
    return min(at_line, key=_rank) if at_line else None


def _within(f: Failure, syn: Failure) -> bool:
    loc, span = f.location, syn.location
    if not (loc.path and span.path and loc.path == span.path and loc.line and span.line):
        return False
    end = span.end_line or span.line
    return span.line <= loc.line <= end


def _names(error: str) -> set[str]:
    """What an error message is about: quoted identifiers, jsii struct keys (as Python spells them)."""
    head = error.strip().splitlines()[0] if error.strip() else ""
    found = {m.group(1).rsplit(".", 1)[-1] for m in _QUOTED.finditer(head)}
    for key in _JSII_KEY.findall(error):
        found.add(
            re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
        )  # globalSecondaryIndex -> global_secondary_index
    # Builtin type names ("'str' object has no attribute ...") say nothing about the culprit.
    return {n for n in found if n and n not in _TYPE_WORDS}


def _mentions(f: Failure, names: set[str]) -> bool:
    text = f"{f.message}\n{f.error}"
    return any(f"`{n}`" in text or f"'{n}'" in text or f"`{n}[" in text or f"`{n}." in text for n in names)


def _rank(f: Failure) -> tuple[int, int]:
    return f.severity.rank, f.location.line or 0
