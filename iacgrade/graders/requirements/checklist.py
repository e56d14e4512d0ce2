"""The task prompt as a checklist: each explicit requirement the REQ rules can check, with the line
that states it.

What phrase states which requirement is data (`data/requirement_phrases.toml`, fitted on the dev
corpus prompts); this module reads the prompt's lines in context (`prompt.py`), applies the
phrases, and pulls out the values a check needs: the regions named, a number of zones or days,
the tag keys and values, the outputs listed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from iacgrade.graders.constraints import all_regions
from iacgrade.graders.requirements.prompt import GenericText, PromptLine, prompt_lines

# Each kind of requirement is judged by one rule, so a reviewer's words about it pair with that rule.
KINDS: dict[str, str] = {
    "region": "REQ001",
    "availability": "REQ002",
    "encryption": "REQ003",
    "monitoring": "REQ004",
    "tags": "REQ005",
    "outputs": "REQ006",
    "backups": "REQ007",
    "destroy": "REQ008",
    "subnets": "REQ009",
    "least_privilege": "REQ010",
    "replication": "REQ011",
}
# What the report calls each kind.
KIND_LABELS: dict[str, str] = {
    "region": "region",
    "availability": "multi-AZ / failover",
    "encryption": "encryption",
    "monitoring": "monitoring",
    "tags": "tags",
    "outputs": "outputs",
    "backups": "backups",
    "destroy": "destroyability",
    "subnets": "subnets / NAT",
    "least_privilege": "least privilege",
    "replication": "replication",
}
# What the report calls an aspect, where its kind's label would not tell two rows of a line apart.
ASPECT_LABELS: dict[str, str] = {
    "zones": "availability zones",
    "multi_az": "Multi-AZ",
    "auto_failover": "automatic failover",
    "failover_routing": "DNS failover",
    "health_checks": "health checks",
    "at_rest": "encryption at rest",
    "customer_key": "customer-managed keys",
    "key_rotation": "key rotation",
    "alarms": "alarms",
    "alarm_actions": "alarm actions",
    "dashboard": "dashboard",
    "log_retention": "log retention",
    "backup_retention": "backup retention",
    "point_in_time": "point-in-time recovery",
    "backup_plan": "backup plan",
    "versioning": "S3 versioning",
    "force_destroy": "S3 force_destroy",
    "nat_per_az": "NAT per zone",
    "nat_single": "single NAT",
    "no_nat": "no NAT",
    "s3_replication": "S3 replication",
    "dynamodb_global": "DynamoDB global tables",
}
_NUMBERS = {"two": 2, "three": 3, "four": 4, "multiple": 2}


@dataclass(frozen=True)
class Requirement:
    """One requirement the prompt states: its kind, the line that states it, and what to check
    (`params["aspect"]`, and per aspect `subjects`, `count`, `days`, `regions`, `tags`, `items`)."""

    kind: str
    line_no: int
    line_text: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def aspect(self) -> str:
        return str(self.params.get("aspect", ""))

    @property
    def rule_id(self) -> str:
        return KINDS[self.kind]

    @property
    def quote(self) -> str:
        """The line as the prompt's reader sees it: list markers and emphasis left out."""
        return _shown(self.line_text)


@dataclass(frozen=True)
class Phrase:
    kind: str
    aspect: str
    pattern: re.Pattern[str]
    subject: tuple[str, ...] = ()
    not_subject: tuple[str, ...] = ()
    unless: re.Pattern[str] | None = None
    targets: bool = False  # read the subjects named after the phrase as what it is to cover


@dataclass(frozen=True)
class Phrasebook:
    """The phrase data, compiled."""

    phrases: tuple[Phrase, ...]
    subjects: Mapping[str, re.Pattern[str]]
    generic: GenericText
    tag_lead: re.Pattern[str]
    outputs: Mapping[str, re.Pattern[str]]

    def subjects_in(self, text: str) -> tuple[str, ...]:
        return tuple(name for name, rx in self.subjects.items() if rx.search(text))


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@cache
def phrasebook() -> Phrasebook:
    """`data/requirement_phrases.toml`, compiled once."""
    text = (files("iacgrade.graders.requirements") / "data" / "requirement_phrases.toml").read_text(
        encoding="utf-8"
    )
    data = tomllib.loads(text)
    gen = data["generic"]
    phrases = tuple(
        Phrase(
            kind=p["kind"],
            aspect=p["aspect"],
            pattern=_rx(p["pattern"]),
            subject=tuple(p.get("subject", ())),
            not_subject=tuple(p.get("not_subject", ())),
            unless=_rx(p["unless"]) if p.get("unless") else None,
            targets=bool(p.get("targets", False)),
        )
        for p in data["phrase"]
    )
    unknown = {p.kind for p in phrases} - set(KINDS)
    if unknown:
        raise ValueError(f"requirement_phrases.toml: unknown kinds {sorted(unknown)}")
    return Phrasebook(
        phrases=phrases,
        subjects={name: _rx(pattern) for name, pattern in data["subjects"].items()},
        generic=GenericText(
            within=_rx(gen["within"]) if gen.get("within") else None,
            sections=_rx(gen["sections"]),
            anywhere=_rx(gen["anywhere"]),
            lines=_rx(gen["lines"]),
            parents=_rx(gen["parents"]),
        ),
        tag_lead=_rx(data["tags"]["lead"]),
        outputs={key: _rx(data["outputs"][key]) for key in ("inline", "lead", "heading")},
    )


def checklist(prompt: str) -> list[Requirement]:
    """Every explicit requirement the prompt states, in the order of its lines."""
    return list(_checklist(prompt))


# Every REQ rule and the report read the same prompt: it is read once (a few recent prompts).
@lru_cache(maxsize=16)
def _checklist(prompt: str) -> tuple[Requirement, ...]:
    book = phrasebook()
    lines = prompt_lines(prompt, book.generic)
    found: list[Requirement] = []
    regions = _regions(lines)
    for line in lines:
        if line.generic:
            continue
        for phrase in book.phrases:
            if phrase.kind in ("region", "tags", "outputs"):
                continue  # read below: they need more than one line
            params = _match(phrase, line, book)
            if params is not None:
                found.append(Requirement(phrase.kind, line.number, line.text, params))
        tags = _tags(line, lines, book)
        if tags:
            found.append(Requirement("tags", line.number, line.text, {"aspect": "tags", "tags": tags}))
        items = _outputs(line, book)
        if items:
            found.append(
                Requirement("outputs", line.number, line.text, {"aspect": "outputs", "items": items})
            )
    if regions is not None:
        found.append(regions)
    return tuple(sorted(found, key=lambda r: (r.line_no, list(KINDS).index(r.kind))))


def _match(phrase: Phrase, line: PromptLine, book: Phrasebook) -> dict[str, Any] | None:
    match = phrase.pattern.search(line.text)
    if match is None or (phrase.unless is not None and phrase.unless.search(line.text)):
        return None
    own = book.subjects_in(line.text)
    if any(s in own for s in phrase.not_subject):
        return None
    params: dict[str, Any] = {"aspect": phrase.aspect}
    # The subject the line names itself, else its parent item's, else its headings'.
    for text in (line.text, line.parent, *reversed(line.headings)):
        named = tuple(s for s in book.subjects_in(text) if s not in phrase.not_subject)
        if named:
            params["subjects"] = named
            break
    subjects = params.get("subjects", ())
    if phrase.subject and not any(s in subjects for s in phrase.subject):
        return None
    for key, value in match.groupdict().items():
        if value:
            name = key.rstrip("0123456789")
            params[name] = _NUMBERS.get(value.lower(), value) if name == "count" else value
    for name in ("count", "days", "upto"):
        if name in params:
            params[name] = int(params[name])
    if "upto" in params and "days" not in params:
        params["days"] = params.pop("upto")
    if "days" in params:
        _day_counts(line.text, params)
    if phrase.targets:
        # "alarms for Lambda errors and queue depths": what the alarms are to watch.
        params["targets"] = book.subjects_in(line.text[match.end() :])
    return params


def _day_counts(text: str, params: dict[str, Any]) -> None:
    """Marks a line that asks several retentions ("7 days dev, 30 days staging"), one that asks a
    minimum ("30 days ..., longer for compliance"), and one about a single purpose ("for audit")."""
    counts = {int(n) for n in re.findall(r"\b(\d+)[- ]days?\b", text)}
    if len(counts - {params["days"], params.get("upto")}) > 0 or re.search(r"\bvar(y|ies)\b", text, re.I):
        params["varies"] = True
    if re.search(r"\b(at least|minimum|or more|longer)\b", text, re.I):
        params["at_least"] = True
    if re.search(r"\bfor (?!all\b|each\b|every\b)(the )?[a-z]", text[text.lower().find("retention") :], re.I):
        params["one_purpose"] = True


def _regions(lines: list[PromptLine]) -> Requirement | None:
    """One requirement for every region the task text names: resources go to those regions only.
    It quotes the first line that says so with a deployment word, else the first that names one."""
    known = all_regions()
    pattern = next(p.pattern for p in phrasebook().phrases if p.kind == "region")
    named: list[str] = []
    first: PromptLine | None = None
    for line in lines:
        if line.generic:
            continue
        codes = [c for c in pattern.findall(line.text) if c in known]
        # A region inside a host name (an ECR image URI) is where the image is, not the stack.
        codes = [c for c in codes if not re.search(rf"\.{re.escape(c)}\.amazonaws", line.text)]
        if not codes:
            continue
        named.extend(c for c in codes if c not in named)
        if first is None or (not _DEPLOY.search(first.text) and _DEPLOY.search(line.text)):
            first = line
    if first is None:
        return None
    return Requirement("region", first.number, first.text, {"aspect": "regions", "regions": tuple(named)})


# "Cross-region replication from us-east-1" says where data comes from, not where the stack goes.
_DEPLOY = re.compile(r"\bdeploy\w*\b|(?<!-)\bregions?\b", re.IGNORECASE)

# --- tags ---------------------------------------------------------------------------------------

# `Key=Value`, `Key: Value`, `key='value'` (quotes and backticks optional).
_PAIR = re.compile(
    r"^[`'\"]?(?P<key>[A-Za-z][\w:./-]*?)[`'\"]?\s*[=:]\s*[`'\"]?(?P<value>[^`'\",;()]+?)[`'\"]?$"
)
# A tag key given alone: an identifier a person would not write as prose (`CostCenter`, `Owner`).
_KEY = re.compile(r"^[`'\"]?(?P<key>[A-Z][A-Za-z0-9_:-]*)[`'\"]?$")


def _tags(line: PromptLine, lines: list[PromptLine], book: Phrasebook) -> dict[str, str]:
    """The tags a line requires, key -> value ("" when only the key is given); a lead-in line
    ("All resources must be tagged with:") takes its items'."""
    match = book.tag_lead.search(line.text)
    if match is None:
        return {}
    rest = line.text[match.end() :].strip(" :*")
    named = re.search(r"\b([A-Z]\w+) tag:?\s*$", line.text[: match.end()])
    if named and rest:  # 'ManagedBy tag: "CDK"'
        return {named[1]: rest.strip("\"'` .")}
    tags = _tag_list(rest)
    if not tags and not rest:
        stripped = line.text.strip()
        for item in lines:
            if item.parent == stripped and item.number > line.number:
                for key, value in _tag_list(_shown(item.text)).items():
                    # One key given several values ("DR-Region: primary", "...: secondary") fixes none.
                    tags[key] = value if tags.get(key, value) == value else ""
    return tags


def _tag_list(text: str) -> dict[str, str]:
    text = re.sub(r"\([^)]*\)", "", text)  # "(for us-east-1 resources)"
    tags: dict[str, str] = {}
    keys: list[str] = []
    said_tags = re.search(r"\btags?\W*$", text.strip(" .")) is not None
    for piece in re.split(r",|;|\band\b", text):
        piece = re.sub(r"\s+tags?$", "", piece.strip().strip(".*").strip())
        if not piece:
            continue
        pair = _PAIR.match(piece)
        if pair:
            value = pair["value"].strip()
            # A placeholder value (`${environmentSuffix}`, `<env>`) fixes no value.
            tags[pair["key"]] = "" if re.search(r"[${}<>]", value) else value
            continue
        key = _KEY.match(piece)
        if key:
            keys.append(key["key"])
    # Keys alone are tags when they are a list or called tags ("Resource Tagging with Aspects" is
    # about CDKTF Aspects, not a tag named Aspects).
    if len(keys) >= 2 or (keys and said_tags):
        tags.update({k: "" for k in keys})
    return tags


# --- outputs ------------------------------------------------------------------------------------


def _outputs(line: PromptLine, book: Phrasebook) -> tuple[str, ...]:
    """The outputs a line lists: after "Outputs:" on the line, or the line itself when it is an
    item under an outputs heading or lead-in ("The stack should output useful values like:")."""
    text = _shown(line.text)
    inline = book.outputs["inline"].search(text)
    if inline and text[inline.end() :].strip():
        return _items(text[inline.end() :])
    is_item = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line.text) is not None
    under = (line.parent and book.outputs["lead"].search(_shown(line.parent))) or (
        not line.parent and line.headings and book.outputs["heading"].search(line.headings[-1])
    )
    if is_item and under:
        return _items(re.sub(r"^output\s+", "", text, flags=re.IGNORECASE))
    return ()


def _items(text: str) -> tuple[str, ...]:
    text = re.sub(r"\([^)]*\)|\b(exported|available)\b", "", text)
    parts = [p.strip(" .:*`") for p in re.split(r",|;|\band\b", text)]
    return tuple(p for p in parts if len(p) > 2)


def _shown(text: str) -> str:
    """A prompt line without its list marker and Markdown emphasis."""
    text = re.sub(r"^\s*(?:[-*+>]|\d+[.)])\s+", "", text)
    return re.sub(r"\*\*|__", "", text).strip()
