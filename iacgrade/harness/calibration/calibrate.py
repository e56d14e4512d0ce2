"""Calibration: how iacgrade's failures agree with analyses written by human reviewers.

For each task of a run whose corpus task carries a written analysis (`MODEL_FAILURES.md`), every
written item is matched to the task's failures, in order of confidence:

1. code: the item quotes lines of the model answer (or names them in a `**Location**` field), a
   failure points at them, and the item names something the failure names; else the item's
   quoted code holds two names the failure is about (a class and its keyword), when the quote is
   not literal enough to find;
2. error: an error message the item quotes shares its exception and names with a failure's error;
3. keyword: the item's title or quoted errors use a phrase the rule declares in its metadata
   (`RuleMeta.keywords`); when several failures of the rule qualify, those whose message shares
   the most words with the item win.

Items nothing matches are kept and grouped by topic (the reviewers' words), so the report shows
what iacgrade cannot see yet; failures no item matches are candidates for what reviewers missed.
The rank correlation between iacgrade's score and the reviewer's `training_quality` is reported
for what it is, however weak.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iacgrade.graders.wording import counted
from iacgrade.harness.calibration.written import (
    WrittenAnalysis,
    WrittenItem,
    find_written_analysis,
    parse_written,
)
from iacgrade.harness.core.errors import HarnessError
from iacgrade.harness.core.findings import Severity, check_id_of
from iacgrade.harness.core.results import Failure, TaskResult, TaskStatus

log = logging.getLogger(__name__)

SEVERITY_ORDER = [s.value for s in sorted(Severity, key=lambda s: s.rank)]
UNRATED = "unrated"
# A quoted line found in more places than this says nothing about where the item points.
MAX_CITATIONS_PER_LINE = 3
# Lines of slack around a failure's span: reviewers quote a line or two of context.
SPAN_SLACK = 2
MIN_LINE_CHARS = 10
PERMUTATIONS = 10_000
_GENERIC_LINES = {
    "self,",
    "super().__init__(scope,id)",
    "app.synth()",
    "app=App()",
    "fromconstructsimportConstruct",
    # The skeleton of every HCL module and CloudFormation template.
    "terraform{",
    "required_providers{",
    "Resources:",
    "Properties:",
    "Parameters:",
    "Outputs:",
    "AWSTemplateFormatVersion:'2010-09-09'",
    'AWSTemplateFormatVersion:"2010-09-09"',
    '"AWSTemplateFormatVersion":"2010-09-09"',
    '"Resources":{',
    '"Properties":{',
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")
_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b")
_IDENT_ANY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The answers' source files on every platform: Python, HCL, CloudFormation templates, TypeScript.
_SOURCE_EXT = r"(?:py|tf|tfvars|hcl|ya?ml|json|ts|js)"
_PATH_IN_TEXT = re.compile(r"[\w.-]*(?:/[\w.-]+)+(?::\d+)?|[\w-]+\." + _SOURCE_EXT + r"\b(?::\d+)?")
_PLACE = re.compile(r"(?P<path>[\w./-]+\." + _SOURCE_EXT + r"):(?P<line>\d+)")
# cfn-lint's check ids as reviewers quote them ("E3012") and as its failures carry them ("CFN:E3012").
_LINT_CODE = re.compile(r"\b[EWI]\d{4}\b")
# Words of any failure message or item: they tell no two failures apart.
_STOP_WORDS = {
    "about",
    "after",
    "answer",
    "argument",
    "attribute",
    "because",
    "before",
    "boolean",
    "cdktf",
    "class",
    "configuration",
    "construct",
    "created",
    "defined",
    "deployment",
    "enabled",
    "ensure",
    "error",
    "function",
    "given",
    "incorrect",
    "instead",
    "invalid",
    "issue",
    "keyword",
    "missing",
    "model",
    "names",
    "naming",
    "number",
    "other",
    "parameter",
    "parameters",
    "passed",
    "place",
    "places",
    "properties",
    "property",
    "provider",
    "python",
    "resource",
    "resources",
    "response",
    "should",
    "stack",
    "stops",
    "string",
    "synth",
    "synthesis",
    "takes",
    "terraform",
    "there",
    "these",
    "using",
    "value",
    "where",
    "which",
    "while",
    "without",
    "would",
    "written",
}
# Words too common in CDKTF errors to say two errors are the same.
_COMMON_IDENTS = {"self", "scope", "error", "None", "True", "False", "line", "file", "from", "import", "init"}


@dataclass(frozen=True)
class Topic:
    name: str
    phrases: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class ErrorKind:
    """A kind of validate or deploy error, in the words reviewers quote and the failures carry."""

    name: str
    written: tuple[str, ...]
    failure: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    def in_item(self, item: WrittenItem) -> bool:
        text = "\n".join((item.title, *item.errors, *item.quoted_code))
        return any(_has_phrase(text, p) for p in self.written)

    def of_failure(self, failure: Failure) -> bool:
        if failure.rule_id in self.rules:
            return True
        text = f"{failure.error}\n{failure.message}"
        return any(_has_phrase(text, p) for p in (*self.written, *self.failure))


def load_error_kinds() -> tuple[ErrorKind, ...]:
    """The built-in error kinds (`data/error_kinds.toml`)."""
    path = package_files("iacgrade.harness.calibration") / "data" / "error_kinds.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        ErrorKind(name, tuple(k.get("written", ())), tuple(k.get("failure", ())), tuple(k.get("rules", ())))
        for name, k in data.get("kinds", {}).items()
    )


@dataclass(frozen=True)
class Vocabulary:
    """Rule keywords (the registered rules' metadata), item topics (`calibration_keywords.toml`) and
    error kinds (`error_kinds.toml`)."""

    rules: dict[str, tuple[str, ...]]
    topics: tuple[Topic, ...]
    kinds: tuple[ErrorKind, ...] = ()

    @classmethod
    def load(cls, path: Path | None = None) -> Vocabulary:
        """Topics from `path` (default: the built-in file); keywords from the rule catalogue, plus
        any [rules] table of `path` for rules the catalogue lacks or declares none for."""
        text = (
            path.read_text(encoding="utf-8")
            if path is not None
            else (
                package_files("iacgrade.harness.calibration") / "data" / "calibration_keywords.toml"
            ).read_text(encoding="utf-8")
        )
        data = tomllib.loads(text)
        rules = {rid: words for rid, words in rule_keywords().items() if words}
        rules.update({k.upper(): tuple(v) for k, v in data.get("rules", {}).items()})
        topics = tuple(
            Topic(name, tuple(t.get("phrases", ())), t.get("hint", ""))
            for name, t in data.get("topics", {}).items()
        )
        return cls(rules=rules, topics=topics, kinds=load_error_kinds())

    def keywords_of(self, rule_id: str) -> tuple[str, ...]:
        """A finding's keywords: its rule's, or for a check id (SEC:CKV_AWS_18) those of the rule
        that ran the check."""
        return self.rules.get(rule_id) or self.rules.get(_declaring_rule(rule_id), ())

    def topic_of(self, item: WrittenItem) -> Topic:
        """The first topic (in file order) the title names; else the one the prose names most often;
        "other" when none is named."""
        for topic in self.topics:
            if any(_has_phrase(item.title, p) for p in topic.phrases):
                return topic
        counts = [
            (sum(_count_phrase(item.text, p) for p in t.phrases), -k) for k, t in enumerate(self.topics)
        ]
        best = max(counts, default=(0, 0))
        return self.topics[-best[1]] if best[0] else Topic("other", (), "")


def rule_keywords() -> dict[str, tuple[str, ...]]:
    """Each registered rule's declared keywords; empty when the catalogue cannot be imported (a
    stored run is still calibrated by quoted code and errors)."""
    from iacgrade.graders.registry import load_rules

    try:
        return {rid: r.meta.keywords for rid, r in load_rules().items()}
    except (ImportError, SyntaxError, OSError, ValueError) as exc:
        log.warning("rule catalogue unavailable, matching without rule keywords: %s", exc)
        return {}


def _declaring_rule(rule_id: str) -> str:
    """The registered rule of a check id; the id itself when the catalogue cannot be imported."""
    if not check_id_of(rule_id):
        return rule_id
    try:
        from iacgrade.graders.registry import declaring_rule

        return declaring_rule(rule_id)
    except (ImportError, SyntaxError, OSError, ValueError):
        return rule_id


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Phrases match at the start of a word ("synth" finds "synthesis"), case-insensitively.
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(phrase), re.IGNORECASE)


def _has_phrase(text: str, phrase: str) -> bool:
    return _phrase_pattern(phrase).search(text) is not None


def _count_phrase(text: str, phrase: str) -> int:
    return len(_phrase_pattern(phrase).findall(text))


@dataclass(frozen=True)
class Match:
    item: int  # WrittenItem.number
    failure: int  # index into TaskResult.failures
    method: str  # code | error | keyword


@dataclass
class TaskCalibration:
    """One task: its result, the written analysis, and what matched what."""

    task_id: str
    result: TaskResult
    analysis: WrittenAnalysis | None = None
    analysis_path: Path | None = None
    training_quality: float | None = None
    matches: list[Match] = field(default_factory=list)
    cited: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Items no failure matched but a finding the reference shares did (index into result.shared):
    # iacgrade saw the problem and did not count it against the model, because the reference has it too.
    shared_matches: list[Match] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        """Graded and carrying a written analysis with items: the tasks agreement is measured on."""
        return self.result.status is TaskStatus.GRADED and bool(self.analysis and self.analysis.items)

    def failures_of(self, item: int) -> list[int]:
        return sorted({m.failure for m in self.matches if m.item == item})

    def items_of(self, failure: int) -> list[int]:
        return sorted({m.item for m in self.matches if m.failure == failure})

    def method_of(self, item: int) -> str:
        return next((m.method for m in self.matches if m.item == item), "")


# ---------------------------------------------------------------------------------------------
# Matching one task


def _normalise(line: str) -> str:
    """A code line without its comment, spaces and trailing comma, so reformatted quotes still match."""
    code = line
    hash_at = _comment_start(code)
    if hash_at >= 0:
        code = code[:hash_at]
    return re.sub(r"\s+", "", code).rstrip(",")


def _comment_start(line: str) -> int:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return i
    return -1


def _distinctive(norm: str) -> bool:
    return len(norm) >= MIN_LINE_CHARS and norm not in _GENERIC_LINES and any(c.isalnum() for c in norm)


def _line_index(model_files: dict[str, str]) -> dict[str, list[tuple[str, int]]]:
    index: dict[str, list[tuple[str, int]]] = {}
    for path, text in model_files.items():
        for n, line in enumerate(text.splitlines(), start=1):
            norm = _normalise(line)
            if _distinctive(norm):
                index.setdefault(norm, []).append((path, n))
    return index


def cite_lines(item: WrittenItem, model_files: dict[str, str]) -> list[tuple[str, int]]:
    """The model answer's lines the item quotes: whole quoted lines, or inline `code` within a line."""
    return _cite(item, _line_index(model_files))


def _cite(item: WrittenItem, index: dict[str, list[tuple[str, int]]]) -> list[tuple[str, int]]:
    cited: set[tuple[str, int]] = set()
    for block in item.quoted_code:
        for line in block.splitlines():
            norm = _normalise(line)
            if not _distinctive(norm):
                continue
            # A reviewer may re-wrap a long line (an import split over several lines): a quoted
            # line not found whole is looked for inside the answer's lines.
            places = index.get(norm) or _containing(norm.rstrip("(\\"), index)
            if len(places) <= MAX_CITATIONS_PER_LINE:
                cited.update(places)
    for span in item.inline_code:
        needle = re.sub(r"\s+", "", span)
        if len(needle) < MIN_LINE_CHARS:
            continue
        places = _containing(needle, index)
        if len(places) <= MAX_CITATIONS_PER_LINE:
            cited.update(places)
    return sorted(cited)


def _containing(needle: str, index: dict[str, list[tuple[str, int]]]) -> list[tuple[str, int]]:
    if len(needle) < MIN_LINE_CHARS:
        return []
    return [p for norm, places in index.items() if needle in norm for p in places]


def failure_span(failure: Failure) -> tuple[str, int, int] | None:
    """The file and line range a failure points at, from its location and its quoted model code."""
    quote = failure.model_code
    path = failure.location.path or (quote.path if quote else "")
    start = failure.location.line or (quote.line if quote else None)
    if not path or start is None:
        return None
    end = failure.location.end_line or start
    if quote and quote.line and quote.code and (quote.path or path) == path:
        start = min(start, quote.line)
        end = max(end, quote.line + len(quote.code.splitlines()) - 1)
    return path, start, end


def failure_spans(failure: Failure) -> list[tuple[str, int, int]]:
    """Every place a failure points at: its own span, the other places of a failure merged from
    identical ones, and the `path:line` places its message lists (PY001 names each shadowing,
    PY007 the definition besides the call)."""
    main = failure_span(failure)
    places = [main] if main else []
    places.extend(
        (p.path, p.line, p.end_line or p.line) for p in failure.places[1:] if p.path and p.line is not None
    )
    places.extend((m["path"], int(m["line"]), int(m["line"])) for m in _PLACE.finditer(failure.message))
    return places


def _salient(text: str) -> tuple[set[str], set[str]]:
    """Exception names, and the names an error mentions (classes, keywords, attributes)."""
    exceptions = set(_EXCEPTION.findall(text))
    names = {w for w in _IDENT.findall(text) if w not in exceptions and w not in _COMMON_IDENTS}
    # Only names that look like code, not English words: CamelCase, snake_case, or quoted.
    quoted = set(re.findall(r"['\"`]([A-Za-z_][\w.]*)['\"`]", text))
    names = {
        w
        for w in names
        if "_" in w
        or (w[0].isupper() and any(c.islower() for c in w[1:]) and any(c.isupper() for c in w[1:]))
        or w in quoted
    }
    return exceptions, names


def errors_agree(quoted: Sequence[str], error: str) -> bool:
    """Whether an error an item quotes is the failure's error: same exception and a shared name,
    or two shared names."""
    if not error.strip() or not quoted:
        return False
    f_exc, f_names = _salient(error)
    for text in quoted:
        q_exc, q_names = _salient(text)
        shared = f_names & q_names
        if shared and (f_exc & q_exc or len(shared) >= 2):
            return True
    return False


def _failure_names(failure: Failure, vocabulary: Vocabulary) -> set[str]:
    """What a failure names: code-like names in its message, error and anchor, and its rule's keywords."""
    # The files a message lists are where, not what: "lib/dynamodb_construct.py" names no topic.
    message = _PATH_IN_TEXT.sub(" ", failure.message)
    _, names = _salient("\n".join((message, failure.error, failure.anchor)))
    quoted = re.findall(r"`([^`\n]{3,60})`", message)
    found = names | {q for q in quoted if len(q) >= 3}
    # Dunder names (`__init__`) are in every constructor problem: they tell nothing apart.
    return {n for n in found if not n.startswith("__")} | set(vocabulary.keywords_of(failure.rule_id))


def _subject_names(failure: Failure) -> set[str]:
    """The code names a failure's message is about (`Eip`, `vpc`): the parts of its `quoted` names."""
    names: set[str] = set()
    for quoted in re.findall(r"`([A-Za-z_][\w.]*)`", failure.message):
        names.update(part for part in quoted.split(".") if len(part) >= 3 and not part.startswith("__"))
    return names - _COMMON_IDENTS - {"TypeError", "AttributeError", "ImportError", "NameError"}


def _words(text: str) -> set[str]:
    """Content words of prose (lower case, five letters or more), for telling failures of one rule apart."""
    return {w for w in re.findall(r"[a-z]{5,}", text.lower()) if w not in _STOP_WORDS}


def _same_file(a: str, b: str) -> bool:
    # Reviewers shorten paths ("tap_stack.py" for "lib/tap_stack.py").
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _keyword_hit(item: WrittenItem, phrases: Iterable[str]) -> bool:
    # Title and quoted errors only: the prose of a synth-failing task says "synth" about everything.
    text = "\n".join((item.title, *item.errors))
    return any(_has_phrase(text, p) for p in phrases)


def _places(
    item: WrittenItem, cited: list[tuple[str, int]], model_files: dict[str, str]
) -> tuple[list[tuple[str, int, int, str]], set[str]]:
    """The line ranges an item points at, each with the answer's text there when the item quotes it
    (quoted lines, then `**Location**` lines), and the files it names without usable lines (a line
    past the end of the file counts lines of the reviewer's markdown, not of the file)."""
    ranges = [(path, n, n, model_files[path].splitlines()[n - 1]) for path, n in cited]
    whole_files: set[str] = set()
    for path, start, end in item.locations:
        known = next((p for p in model_files if _same_file(p, path)), path)
        length = len(model_files[known].splitlines()) if known in model_files else None
        if start is None or end is None or (length is not None and start > length):
            whole_files.add(known)
        else:
            ranges.append((known, start, end, ""))
    return ranges, whole_files


def _names_in(text: str, names: Iterable[str]) -> bool:
    # Code names match whole (`id` is not "ideal"); keyword phrases at the start of a word.
    return any(
        re.search(
            r"(?<![\w])" + re.escape(n) + (r"(?![\w])" if re.fullmatch(r"[\w.]+", n) else ""), text, re.I
        )
        for n in names
    )


def match_items(
    items: Sequence[WrittenItem],
    failures: Sequence[Failure],
    model_files: dict[str, str],
    vocabulary: Vocabulary,
) -> tuple[list[Match], dict[int, list[tuple[str, int]]]]:
    """Match written items to failures of the same task; returns the matches and each item's cited lines."""
    spans = [failure_spans(f) for f in failures]
    names = [_failure_names(f, vocabulary) for f in failures]
    subjects = [_subject_names(f) for f in failures]
    # Paths in a message ("lib/dynamodb_construct.py:9") are where, not what: they share no topic.
    failure_words = [_words(_PATH_IN_TEXT.sub(" ", f"{f.title}\n{f.message}")) for f in failures]
    matches: list[Match] = []
    cited_by_item: dict[int, list[tuple[str, int]]] = {}
    index = _line_index(model_files)
    for item in items:
        cited = _cite(item, index)
        cited_by_item[item.number] = cited
        ranges, whole_files = _places(item, cited, model_files)
        prose = "\n".join((item.text, *item.errors))
        item_words = _words(item.text)

        def on_lines(i: int, ranges: list[tuple[str, int, int, str]] = ranges, prose: str = prose) -> bool:
            # Lines often hold more than one problem (a `def` line, a class header): the item's prose,
            # or the quoted line itself, must also name something the failure names.
            return any(
                _same_file(p, fp)
                and fs - SPAN_SLACK <= e
                and s <= fe + SPAN_SLACK
                and _names_in(f"{prose}\n{line}", names[i])
                for p, s, e, line in ranges
                for fp, fs, fe in spans[i]
            )

        def related(i: int, prose: str = prose, item_words: set[str] = item_words) -> bool:
            long_names = [n for n in names[i] if len(n) >= 4]
            return _names_in(prose, long_names) or bool(item_words & failure_words[i])

        by_code = {i for i in range(len(failures)) if on_lines(i)}
        by_code |= {
            i
            for i, places in enumerate(spans)
            if any(_same_file(p, fp) for p in whole_files for fp, _, _ in places) and related(i)
        }
        if not by_code:
            # A quote shortened with "..." or re-wrapped is not found line by line; two of the
            # failure's own names in it (`Eip(..., vpc=True)`) still say it is that code.
            quoted = set(_IDENT_ANY.findall("\n".join((*item.quoted_code, *item.inline_code))))
            by_code = {
                i
                for i in range(len(failures))
                if len(subjects[i] & quoted) >= 2 and (related(i) or _names_in(prose, subjects[i]))
            }
        by_error = {i for i, f in enumerate(failures) if errors_agree(item.errors, f.error)}
        if not by_error:
            by_error = _same_kind(item, failures, names, vocabulary)
        # An item whose quoted code is found in the answer, but not where a failure points, is about
        # something else: keywords may only tie it to failures that point at no line.
        by_keyword = _narrowed(
            {
                i
                for i, f in enumerate(failures)
                if (not ranges or not spans[i]) and _keyword_hit(item, vocabulary.keywords_of(f.rule_id))
            },
            item_words,
            failure_words,
        )
        for method, chosen in (("code", by_code), ("error", by_error), ("keyword", by_keyword)):
            if chosen:
                matches.extend(Match(item.number, i, method) for i in sorted(chosen))
                break
    return matches, cited_by_item


def _same_kind(
    item: WrittenItem, failures: Sequence[Failure], names: list[set[str]], vocabulary: Vocabulary
) -> set[int]:
    """Failures of an error kind the item quotes (Terraform's "Unsupported argument", cfn-lint's
    `E3012`): those that share a name with the item, or the task's only failure of that kind when
    the quoted error names nothing to compare."""
    text = "\n".join((item.title, item.text, *item.errors, *item.quoted_code))
    # A lint code is specific enough to be read in the prose too ("would fail cfn-lint (E3504)").
    codes = set(_LINT_CODE.findall(text))
    chosen: set[int] = set()
    # An error that names things (an argument, a resource) is another error when it shares none of them.
    names_quoted = bool(_salient("\n".join((*item.errors, *item.quoted_code)))[1])
    kinds = [k for k in vocabulary.kinds if k.in_item(item)]
    for kind in kinds:
        of_kind = [i for i, f in enumerate(failures) if kind.of_failure(f)]
        sharing = {i for i in of_kind if _names_in(text, _code_names(failures[i], names[i], vocabulary))}
        only = set(of_kind) if len(of_kind) == 1 and not names_quoted else set()
        chosen |= sharing or only
    chosen |= {i for i, f in enumerate(failures) if check_id_of(f.rule_id) in codes}
    return chosen


def _code_names(failure: Failure, names: set[str], vocabulary: Vocabulary) -> list[str]:
    # The rule's keywords say what kind of failure it is, not which one.
    keywords = set(vocabulary.keywords_of(failure.rule_id))
    return [n for n in names if len(n) >= 4 and n not in keywords]


def _narrowed(chosen: set[int], item_words: set[str], failure_words: list[set[str]]) -> set[int]:
    """Of several failures a keyword ties an item to, those whose message shares the most words with it
    ("Missing KMS Key Rotation" is the checkov failure about rotation, not the one about public access)."""
    overlap = {i: len(item_words & failure_words[i]) for i in chosen}
    best = max(overlap.values(), default=0)
    return {i for i, n in overlap.items() if n == best} if best else chosen


# ---------------------------------------------------------------------------------------------
# Loading a run and its corpus


def load_results(run_dir: Path) -> list[TaskResult]:
    """Every `<task>/result.json` of a run directory; unreadable ones are skipped with a warning."""
    results: list[TaskResult] = []
    for path in sorted(run_dir.glob("*/result.json")):
        try:
            results.append(TaskResult.model_validate_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            log.warning("skipping %s: %s", path, exc)
    return results


def _training_quality(task_dir: Path, result: TaskResult) -> float | None:
    meta: Any = result.metadata
    meta_path = task_dir / "metadata.json"
    if meta_path.is_file():
        with contextlib.suppress(OSError, ValueError):  # unreadable metadata: fall back to the result's
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
    value = meta.get("training_quality") if isinstance(meta, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def model_files(task_dir: Path) -> dict[str, str]:
    """The model answer's files as the pipeline materialises them (same paths as the failures)."""
    from iacgrade.harness.core.tasks import load_task
    from iacgrade.harness.pipeline.materialise import build_workspace
    from iacgrade.harness.platforms.registry import platform_for

    task = load_task(task_dir)
    platform = platform_for(task.metadata)
    return dict(build_workspace(task, "model", platform).files) if platform else {}


Corpora = Path | Sequence[Path]


def corpus_dirs(corpora: Corpora) -> tuple[Path, ...]:
    """One corpus directory or several (a run may grade the tasks of several corpora)."""
    return (corpora,) if isinstance(corpora, Path) else tuple(corpora)


def calibrate_task(result: TaskResult, corpora: Corpora, vocabulary: Vocabulary) -> TaskCalibration:
    """Parse one task's written analysis (in the first corpus that holds the task) and match it to
    the task's failures."""
    tc = TaskCalibration(task_id=result.task_id, result=result)
    dirs = corpus_dirs(corpora)
    task_dir = next((d / result.task_id for d in dirs if (d / result.task_id).is_dir()), None)
    if task_dir is None:
        tc.notes.append(f"not in the corpus: {', '.join(str(d / result.task_id) for d in dirs)}")
        return tc
    tc.training_quality = _training_quality(task_dir, result)
    path = find_written_analysis(task_dir)
    if path is None:
        tc.notes.append("no written analysis")
        return tc
    tc.analysis_path = path
    tc.analysis = parse_written(path.read_text(encoding="utf-8", errors="replace"), path=str(path))
    tc.topics = {item.number: vocabulary.topic_of(item) for item in tc.analysis.items}
    if not tc.compared:
        return tc
    try:
        files = model_files(task_dir)
    except HarnessError as exc:  # no answer to cite lines in: errors and keywords still match
        tc.notes.append(f"model files unavailable: {exc}")
        files = {}
    tc.matches, tc.cited = match_items(tc.analysis.items, result.failures, files, vocabulary)
    unmatched = [item for item in tc.analysis.items if not tc.failures_of(item.number)]
    if unmatched and result.shared:
        tc.shared_matches, _ = match_items(unmatched, result.shared, files, vocabulary)
    return tc


# ---------------------------------------------------------------------------------------------
# The summary


@dataclass(frozen=True)
class RuleRow:
    rule_id: str
    title: str
    severity: str
    failures: int
    tasks: int
    matched_failures: int
    items_matched: int
    by_method: dict[str, int]

    @property
    def unwritten(self) -> int:
        return self.failures - self.matched_failures

    @property
    def precision(self) -> float | None:
        return self.matched_failures / self.failures if self.failures else None


@dataclass(frozen=True)
class TopicRow:
    topic: str
    hint: str
    items: int
    matched: int
    critical_high: int
    critical_high_matched: int
    rules: dict[str, int]  # rule id -> items of this topic it matched

    @property
    def recall(self) -> float | None:
        return self.matched / self.items if self.items else None


@dataclass(frozen=True)
class ItemRef:
    task_id: str
    number: int
    title: str
    severity: str
    topic: str
    link: str
    shared_rules: tuple[str, ...] = ()  # rules of reference-shared findings it matched, if any


@dataclass(frozen=True)
class MissRef:
    """A failure no written item matched: a candidate for what the reviewer missed."""

    task_id: str
    rule_id: str
    title: str
    severity: str
    location: str
    message: str
    analysis_link: str
    written_link: str


@dataclass(frozen=True)
class Correlation:
    n: int
    rho: float | None
    p_value: float | None
    distinct_quality: int
    statement: str


@dataclass(frozen=True)
class TrainingAgreement:
    """How often the archive rubric's training score equals the reviewers' training_quality, against
    the best constant guess (the most common training_quality)."""

    n: int
    exact: int
    within_one: int
    constant: float | None
    constant_exact: int
    constant_within_one: int
    correlation: Correlation


@dataclass
class CalibrationSummary:
    """Everything `calibration.md` and `calibration.csv` report, and the per-task detail behind it."""

    run_dir: Path
    corpus_dir: Path
    out_dir: Path
    tasks: list[TaskCalibration]
    shapes: dict[str, int]
    recall: dict[str, tuple[int, int]]  # written severity -> (matched, items)
    rules: list[RuleRow]
    topics: list[TopicRow]
    unmatched_groups: list[tuple[TopicRow, list[ItemRef]]]
    misses: list[MissRef]
    confusion: pd.DataFrame  # written severity (rows) x iacgrade severity (columns), items
    methods: dict[str, int]
    correlation: Correlation
    records: list[dict[str, Any]]  # the rows of calibration.csv
    training: TrainingAgreement | None = None
    platforms: tuple[str, ...] = ()  # the compared answers' platforms; empty: not all are registered
    corpus_dirs: tuple[Path, ...] = ()  # every corpus the run's tasks were looked up in; corpus_dir first

    @property
    def compared(self) -> list[TaskCalibration]:
        return [t for t in self.tasks if t.compared]

    def recall_of(self, *severities: str) -> tuple[int, int]:
        matched = sum(self.recall.get(s, (0, 0))[0] for s in severities)
        total = sum(self.recall.get(s, (0, 0))[1] for s in severities)
        return matched, total


class CalibrationError(HarnessError):
    """The inputs of a calibration are unusable: a missing directory, a run without results."""


def check_inputs(run_dir: Path, corpora: Corpora, keywords: Path | None = None) -> None:
    """Raise `CalibrationError` unless the run holds results and the corpora (and vocabulary) exist."""
    if not run_dir.is_dir():
        raise CalibrationError(f"no such run directory: {run_dir}")
    if not corpus_dirs(corpora):
        raise CalibrationError("no corpus directory given")
    for corpus_dir in corpus_dirs(corpora):
        if not corpus_dir.is_dir():
            raise CalibrationError(f"no such corpus directory: {corpus_dir}")
    if keywords is not None and not keywords.is_file():
        raise CalibrationError(f"no such vocabulary file: {keywords}")
    if keywords is not None:
        try:
            Vocabulary.load(keywords)
        except (ValueError, TypeError, AttributeError) as exc:  # not TOML, or tables of the wrong shape
            raise CalibrationError(f"vocabulary {keywords}: {exc}") from exc
    if next(run_dir.glob("*/result.json"), None) is None:
        raise CalibrationError(
            f"{run_dir} holds no results (<task>/result.json): run `iacgrade run ... --out {run_dir}` first"
        )


def summarise_run(
    run_dir: Path, corpora: Corpora, out_dir: Path | None = None, *, keywords: Path | None = None
) -> CalibrationSummary:
    """Measure agreement between a run's failures and the corpora's written analyses; links in the
    summary are relative to `out_dir` (default: the run directory), where iacgrade.harness.calibration.report
    writes it."""
    out = out_dir or run_dir
    vocabulary = Vocabulary.load(keywords)
    tasks = [calibrate_task(r, corpora, vocabulary) for r in load_results(run_dir)]
    return summarise(tasks, run_dir, corpora, out, vocabulary)


def _link(target: Path, out_dir: Path, line: int | None = None) -> str:
    rel = Path(os.path.relpath(target.resolve(), out_dir.resolve())).as_posix()
    return f"{rel}#L{line}" if line else rel


def _severity_key(item: WrittenItem) -> str:
    return item.severity.value if item.severity else UNRATED


def summarise(
    tasks: list[TaskCalibration], run_dir: Path, corpora: Corpora, out_dir: Path, vocabulary: Vocabulary
) -> CalibrationSummary:
    """Aggregate per-task matches into the report's tables."""
    compared = [t for t in tasks if t.compared]
    shapes = Counter(t.analysis.shape for t in tasks if t.analysis is not None)
    recall: dict[str, tuple[int, int]] = {}
    methods: Counter[str] = Counter()
    confusion = pd.DataFrame(0, index=[*SEVERITY_ORDER, UNRATED], columns=[*SEVERITY_ORDER, "not matched"])
    records: list[dict[str, Any]] = []
    topic_items: dict[str, list[tuple[TaskCalibration, WrittenItem]]] = {}
    for t in compared:
        assert t.analysis is not None
        for item in t.analysis.items:
            key = _severity_key(item)
            hits = t.failures_of(item.number)
            matched, total = recall.get(key, (0, 0))
            recall[key] = (matched + bool(hits), total + 1)
            ours = min((t.result.failures[i].severity for i in hits), key=lambda s: s.rank, default=None)
            confusion.loc[key, ours.value if ours else "not matched"] += 1
            if hits:
                methods[t.method_of(item.number)] += 1
            topic_items.setdefault(t.topics[item.number].name, []).append((t, item))
            records.append(_item_record(t, item, hits, ours, out_dir))
        for i, f in enumerate(t.result.failures):
            records.append(_failure_record(t, i, f, run_dir, out_dir))
    platforms = run_platforms(compared)
    rules = _rule_rows(compared, platforms)
    topics = _topic_rows(topic_items, vocabulary)
    by_name = {row.topic: row for row in topics}
    groups = []
    for name, pairs in topic_items.items():
        unmatched = [
            ItemRef(
                t.task_id,
                it.number,
                it.title,
                it.severity.value if it.severity else (it.severity_text or UNRATED),
                name,
                _written_link(t, it, out_dir),
                tuple(
                    sorted(
                        {t.result.shared[m.failure].rule_id for m in t.shared_matches if m.item == it.number}
                    )
                ),
            )
            for t, it in pairs
            if not t.failures_of(it.number)
        ]
        if unmatched:
            groups.append((by_name[name], unmatched))
    groups.sort(key=lambda g: (-len(g[1]), g[0].topic))
    return CalibrationSummary(
        run_dir=run_dir,
        corpus_dir=corpus_dirs(corpora)[0],
        corpus_dirs=corpus_dirs(corpora),
        out_dir=out_dir,
        tasks=tasks,
        shapes=dict(shapes.most_common()),
        recall=recall,
        rules=rules,
        topics=topics,
        unmatched_groups=groups,
        misses=_misses(compared, run_dir, out_dir),
        confusion=confusion,
        methods=dict(methods),
        correlation=correlate(tasks),
        training=agree_training(tasks),
        records=records,
        platforms=platforms,
    )


def _written_link(t: TaskCalibration, item: WrittenItem, out_dir: Path) -> str:
    return _link(t.analysis_path, out_dir, item.line) if t.analysis_path else ""


def _item_record(
    t: TaskCalibration, item: WrittenItem, hits: list[int], ours: Severity | None, out_dir: Path
) -> dict[str, Any]:
    shared = sorted({t.result.shared[m.failure].rule_id for m in t.shared_matches if m.item == item.number})
    return {
        "task_id": t.task_id,
        "record": "written",
        "ref": item.number,
        "rule_id": ";".join(sorted({t.result.failures[i].rule_id for i in hits})),
        "title": item.title,
        "severity_written": item.severity_text,
        "severity": item.severity.value if item.severity else UNRATED,
        "iacgrade_severity": ours.value if ours else "",
        "topic": t.topics[item.number].name,
        "matched": bool(hits),
        "method": t.method_of(item.number) or ("shared" if shared else ""),
        "matched_refs": ";".join(str(i + 1) for i in hits) or ";".join(f"shared:{r}" for r in shared),
        "location": ";".join(f"{p}:{n}" for p, n in t.cited.get(item.number, [])[:10]),
        "evidence": _written_link(t, item, out_dir),
    }


def _failure_record(
    t: TaskCalibration, index: int, f: Failure, run_dir: Path, out_dir: Path
) -> dict[str, Any]:
    items = t.items_of(index)
    methods = sorted({m.method for m in t.matches if m.failure == index})
    return {
        "task_id": t.task_id,
        "record": "iacgrade",
        "ref": index + 1,
        "rule_id": f.rule_id,
        "title": f.title,
        "severity_written": "",
        "severity": f.severity.value,
        "iacgrade_severity": f.severity.value,
        "topic": "",
        "matched": bool(items),
        "method": ";".join(methods),
        "matched_refs": ";".join(str(i) for i in items),
        "location": f.location_text,
        "evidence": _link(run_dir / t.task_id / "analysis.md", out_dir),
    }


def run_platforms(tasks: Iterable[TaskCalibration]) -> tuple[str, ...]:
    """The registered platforms of the tasks' answers (from each result's task metadata); empty when
    some task's platform is not registered here, so no rule is left out on a guess."""
    from iacgrade.harness.platforms.registry import platform_for

    found: set[str] = set()
    for t in tasks:
        platform = platform_for(t.result.metadata)
        if platform is None:
            return ()
        found.add(platform.name)
    return tuple(sorted(found))


def _catalogue(platforms: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    """Title and severity of every installed rule that applies to one of `platforms` (all when
    empty), so rules that never fired still get a row. A stored run is calibrated even when the rule
    catalogue cannot be imported: its failures carry their own titles."""
    from iacgrade.graders.registry import load_rules

    try:
        rules = load_rules()
    except (ImportError, SyntaxError) as exc:
        log.warning("rule catalogue unavailable, listing only the rules that fired: %s", exc)
        return {}
    # A rule that runs outside checks (SEC001) gets no row: its findings carry the checks' ids
    # (SEC:CKV_AWS_18), and each check gets a row of its own.
    return {
        rid: (r.meta.title, r.meta.severity.value)
        for rid, r in rules.items()
        if not r.meta.runs_checks and (not platforms or any(r.meta.applies_to(p) for p in platforms))
    }


def _rule_rows(compared: list[TaskCalibration], platforms: tuple[str, ...] = ()) -> list[RuleRow]:
    # Rules that fired always get a row; of the others, only those that could have fired on the run.
    catalogue = _catalogue(platforms)
    ids = set(catalogue) | {f.rule_id for t in compared for f in t.result.failures}
    rows = []
    for rid in sorted(ids):
        failures = matched = 0
        tasks: set[str] = set()
        items: set[tuple[str, int]] = set()
        methods: Counter[str] = Counter()
        title, severity = catalogue.get(rid, ("", ""))
        for t in compared:
            for i, f in enumerate(t.result.failures):
                if f.rule_id != rid:
                    continue
                failures += 1
                tasks.add(t.task_id)
                title, severity = title or f.title, severity or f.severity.value
                found = [m for m in t.matches if m.failure == i]
                matched += bool(found)
                items.update((t.task_id, m.item) for m in found)
                methods.update({m.method for m in found})
        rows.append(RuleRow(rid, title, severity, failures, len(tasks), matched, len(items), dict(methods)))
    return rows


def _topic_rows(
    topic_items: dict[str, list[tuple[TaskCalibration, WrittenItem]]], vocabulary: Vocabulary
) -> list[TopicRow]:
    hints = {t.name: t.hint for t in vocabulary.topics}
    rows = []
    for name, pairs in topic_items.items():
        rules: Counter[str] = Counter()
        matched = ch = ch_matched = 0
        for t, item in pairs:
            hits = t.failures_of(item.number)
            matched += bool(hits)
            rules.update({t.result.failures[i].rule_id for i in hits})
            if item.severity in (Severity.CRITICAL, Severity.HIGH):
                ch += 1
                ch_matched += bool(hits)
        rows.append(
            TopicRow(
                name, hints.get(name, ""), len(pairs), matched, ch, ch_matched, dict(rules.most_common())
            )
        )
    rows.sort(key=lambda r: (-r.items, r.topic))
    return rows


def _misses(compared: list[TaskCalibration], run_dir: Path, out_dir: Path) -> list[MissRef]:
    misses = []
    for t in compared:
        written = _link(t.analysis_path, out_dir) if t.analysis_path else ""
        for i, f in enumerate(t.result.failures):
            if not t.items_of(i):
                misses.append(
                    MissRef(
                        task_id=t.task_id,
                        rule_id=f.rule_id,
                        title=f.title,
                        severity=f.severity.value,
                        location=f.location_text,
                        message=f.message,
                        analysis_link=_link(run_dir / t.task_id / "analysis.md", out_dir),
                        written_link=written,
                    )
                )
    misses.sort(key=lambda m: (Severity(m.severity).rank, m.rule_id, m.task_id))
    return misses


# What each score `correlate` can rank is called in the report.
SCORE_NAMES = {"score": "iacgrade's score", "training": "the archive rubric's training score"}


def _score_of(result: TaskResult, which: str) -> float | None:
    score = result.training if which == "training" else result.score
    return score.value if score is not None else None


def correlate(
    tasks: list[TaskCalibration], permutations: int = PERMUTATIONS, *, which: str = "score"
) -> Correlation:
    """Spearman's rho between one of iacgrade's scores (`which`: the answer "score" or the archive
    rubric's "training" score) and the reviewer's training_quality, with a permutation p-value
    (two-sided), over graded tasks that carry both."""
    pairs = [
        (value, t.training_quality)
        for t in tasks
        if t.result.status is TaskStatus.GRADED
        and (value := _score_of(t.result, which)) is not None
        and t.training_quality is not None
    ]
    frame = pd.DataFrame(pairs, columns=["score", "quality"])
    n = len(frame)
    distinct = int(frame["quality"].nunique()) if n else 0
    name = SCORE_NAMES[which]
    if n < 3 or distinct < 2 or frame["score"].nunique() < 2:
        return Correlation(n, None, None, distinct, _statement(n, None, None, distinct, name))
    ranks = frame.rank()  # average ranks for ties, as Spearman's rho defines them
    rho = float(ranks["score"].corr(ranks["quality"]))
    rng = np.random.default_rng(0)
    x, y = ranks["score"].to_numpy(), ranks["quality"].to_numpy()
    shuffled = np.array([np.corrcoef(x, rng.permutation(y))[0, 1] for _ in range(permutations)])
    p_value = float((np.sum(np.abs(shuffled) >= abs(rho) - 1e-12) + 1) / (permutations + 1))
    return Correlation(n, rho, p_value, distinct, _statement(n, rho, p_value, distinct, name))


def _statement(
    n: int, rho: float | None, p_value: float | None, distinct: int, name: str = SCORE_NAMES["score"]
) -> str:
    if rho is None:
        return (
            f"No rank correlation can be computed for {name}: {counted(n, 'graded task')} "
            f"{'carries' if n == 1 else 'carry'} both it and a "
            f"training_quality, with {counted(distinct, 'distinct training_quality value')}."
        )
    size = abs(rho)
    strength = "no" if size < 0.1 else "a weak" if size < 0.3 else "a moderate" if size < 0.5 else "a strong"
    direction = "" if size < 0.1 else (" positive" if rho > 0 else " negative")
    significance = (
        "unlikely to be chance"
        if p_value is not None and p_value < 0.05
        else "not distinguishable from chance"
    )
    return (
        f"Spearman's rho = {rho:+.2f} over {n} tasks: {strength}{direction} association between "
        f"{name} and the reviewers' training_quality, {significance} "
        f"(permutation p = {p_value:.2f}). training_quality takes only {distinct} distinct values here, "
        "so ties limit what any ranking can show."
    )


def agree_training(tasks: list[TaskCalibration], permutations: int = PERMUTATIONS) -> TrainingAgreement:
    """Exact and within-one agreement of the training score with training_quality, and the same for
    the constant that agrees most often (the mode; the higher value on a tie)."""
    pairs = [
        (t.result.training.value, t.training_quality)
        for t in tasks
        if t.result.status is TaskStatus.GRADED
        and t.result.training is not None
        and t.training_quality is not None
    ]
    counts = Counter(quality for _, quality in pairs)
    constant = max(counts, key=lambda v: (counts[v], v)) if counts else None
    return TrainingAgreement(
        n=len(pairs),
        exact=sum(1 for ours, quality in pairs if ours == quality),
        within_one=sum(1 for ours, quality in pairs if abs(ours - quality) <= 1),
        constant=constant,
        constant_exact=counts[constant] if constant is not None else 0,
        constant_within_one=sum(1 for _, q in pairs if constant is not None and abs(constant - q) <= 1),
        correlation=correlate(tasks, permutations, which="training"),
    )
