"""Each indicator as a checklist: the elements it demands, and which of them a document's passages show.

A checklist comes from the référentiel's hints file (``checklist:`` under an indicator) or, for any other
grid, from the indicator's own wording (``prompts/rules/checklist.yaml``), falling back to the hint's
signal kinds. It is evaluated sentence by sentence on the passages retrieved for that indicator only:
an element is found in a sentence that is not itself a deferral (« le budget sera défini plus tard »
names the budget but shows none); pairs ask both elements in the same sentence or table row (a figure
AND a date per objective); plurals ask several distinct sentences (two options, two providers).
A table arrives one cell per line: a short line is read with the short lines around it (« 12 janvier »
beside « Cahier des charges présenté »), so that a dated step in a table counts as one; the sentence
quoted stays the line itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.config.prompting import load_yaml
from assistant.domain.referentiel import Indicator
from assistant.judging.base import Candidate
from assistant.judging.grounding import MIN_SENTENCE, pieces
from assistant.judging.hints import Hint
from assistant.judging.signals import MISSING_FR, SIGNAL_KINDS, count_signals
from assistant.text.french import fold, tokens

SPECIFIC_KINDS = ("figures", "amounts", "dates", "names", "sources")


@dataclass(frozen=True)
class Element:
    id: str
    label: str
    missing: str
    kinds: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # regexes on folded text

    def matches(self, folded: str, counts: dict[str, int]) -> bool:
        if self.kinds and not any(counts.get(k, 0) > 0 for k in self.kinds):
            return False
        return not self.terms or any(re.search(t, folded) for t in self.terms)


@dataclass(frozen=True)
class Checklist:
    elements: tuple[Element, ...]
    pairs: tuple[tuple[str, str], ...] = ()
    plural: tuple[tuple[str, int], ...] = ()
    source: str = "generic"

    def element(self, ident: str) -> Element:
        return next(e for e in self.elements if e.id == ident)


def _element(data: dict) -> Element:
    kinds = tuple(k for k in data.get("kinds", []) if k in SIGNAL_KINDS)
    return Element(id=str(data["id"]), label=str(data["label"]), missing=str(data["missing"]),
                   kinds=kinds, terms=tuple(data.get("terms", [])))


def _from_data(data: dict, source: str) -> Checklist:
    elements = tuple(_element(e) for e in data.get("elements", []) if e.get("kinds") or e.get("terms"))
    ids = {e.id for e in elements}
    pairs = tuple((a, b) for a, b in data.get("pairs", []) if a in ids and b in ids)
    plural = tuple((k, int(v)) for k, v in (data.get("plural") or {}).items() if k in ids and int(v) > 1)
    return Checklist(elements=elements, pairs=pairs, plural=plural, source=source)


@lru_cache(maxsize=1)
def _rules() -> dict:
    return load_yaml("rules/checklist.yaml")


@lru_cache(maxsize=1)
def _kind_labels() -> dict[str, str]:
    return load_yaml("feedback/fr.yaml").get("found_kinds", {})


def _kind_element(kind: str) -> Element:
    label = _kind_labels().get(kind, kind)
    return Element(id=kind, label=label, missing=MISSING_FR.get(kind, f"aucun élément « {label} »"), kinds=(kind,))


def generic_checklist(indicator: Indicator, hint: Hint) -> Checklist:
    """Elements guessed from the indicator's wording; the hint's signal kinds when no rule matches."""
    rules = _rules()
    text = fold(indicator.text)
    elements: dict[str, dict] = {}
    pairs: list[tuple[str, str]] = []
    for rule in rules.get("rules", []):
        if re.search(rule["when"], text):
            for e in rule.get("elements", []):
                elements.setdefault(e["id"], e)
            pairs += [tuple(p) for p in rule.get("pairs", [])]
    if not elements:
        built = tuple(_kind_element(k) for k in hint.signals[:3])
    else:
        built = tuple(_element(e) for e in list(elements.values())[:4])
    ids = [e.id for e in built]
    plural = ()
    if ids and re.search(rules.get("plural_when", "$^"), text):
        plural = ((ids[0], 2),)
    return Checklist(elements=built, pairs=tuple((a, b) for a, b in pairs if a in ids and b in ids),
                     plural=plural, source="generic")


def checklist_for(indicator: Indicator, hint: Hint) -> Checklist:
    data = hint.extra.get("checklist") if hint.extra else None
    if data and data.get("elements"):
        checklist = _from_data(data, "referentiel")
        if checklist.elements:
            return checklist
    return generic_checklist(indicator, hint)


# Evaluation on the retrieved passages ---------------------------------------------------------------
@dataclass
class Sentence:
    page: int
    text: str
    rank: int  # rank of its passage among the retrieved ones
    deferral: bool
    topical: bool
    key: bool = False  # shares a word with the indicator's own keywords
    specific: int = 0  # figures, amounts, dates, names, sources in it
    hedged: bool = False
    elements: set[str] = field(default_factory=set)


@dataclass
class ChecklistResult:
    checklist: Checklist
    sentences: list[Sentence]
    found: dict[str, list[Sentence]]
    deferrals: list[Sentence]
    pair_ratio: float
    plural_shortfall: float

    @property
    def missing(self) -> list[Element]:
        return [e for e in self.checklist.elements if not self.found.get(e.id)]

    @property
    def coverage(self) -> float:
        n = len(self.checklist.elements)
        return (n - len(self.missing)) / n if n else 0.0

    @property
    def strength(self) -> float:
        els = self.checklist.elements
        return sum(math.log1p(min(len(self.found.get(e.id, [])), 6)) for e in els) / len(els) if els else 0.0

    @property
    def on_topic(self) -> list[Sentence]:
        """Sentences of the best passages that name the indicator's subject and defer nothing."""
        return [s for s in self.sentences if s.key and not s.deferral]

    @property
    def key_deferrals(self) -> list[Sentence]:
        """Deferrals in the best passages that name the indicator's own subject."""
        return [s for s in self.deferrals if s.key and s.rank <= 2]

    @property
    def conflict(self) -> bool:
        """Positive evidence and a deferral of the same topic on different pages."""
        pages_found = {s.page for ss in self.found.values() for s in ss}
        pages_defer = {s.page for s in self.deferrals}
        return bool(pages_found and pages_defer and pages_defer - pages_found)

    def unmet(self) -> list[str]:
        """French phrases for what keeps the indicator from being fully shown."""
        out = [e.missing for e in self.missing]
        for a, b in self.checklist.pairs:
            if self.found.get(a) and self.found.get(b) and self.pair_ratio < 1.0:
                out.append(f"{self.checklist.element(a).label} sans {self.checklist.element(b).label} "
                           f"pour chacun")
        for ident, need in self.checklist.plural:
            have = len(self.found.get(ident, []))
            if 0 < have < need:
                out.append(f"un seul élément « {self.checklist.element(ident).label} » là où plusieurs sont attendus")
        return out


_CLOSED = re.compile(r"[.!?;:]$")
SHORT_LINE = 80  # a line this short, not closed by punctuation, is a table cell or a heading


def reading_units(text: str) -> list[tuple[str, str]]:
    """The sentences of a passage, each with the text its elements are read in: the sentence itself, or,
    for a short line not closed by punctuation (a table cell), that line with the short lines just
    before and after it (its row)."""
    parts = pieces(text)

    def cell(i: int) -> bool:
        return 0 <= i < len(parts) and len(parts[i]) < SHORT_LINE and not _CLOSED.search(parts[i])

    out = []
    for i, part in enumerate(parts):
        if len(part) < MIN_SENTENCE:
            continue
        if cell(i):
            row = [parts[j] for j in (i - 1, i, i + 1) if j == i or cell(j)]
            out.append((part, " ".join(row)))
        else:
            out.append((part, part))
    return out


@lru_cache(maxsize=4096)
def _passage_tokens(heading: str, text: str) -> frozenset[str]:
    """A passage's tokens, heading included: computed once, not once per indicator that reads it."""
    return frozenset(tokens(f"{heading} {text}"))


@lru_cache(maxsize=8192)
def _analysed(text: str) -> tuple[str, dict[str, int], frozenset[str]]:
    """A sentence's folded text, signal counts and tokens: computed once per sentence, not once per
    indicator that reads it."""
    return fold(text), count_signals(text), frozenset(tokens(text))


def evaluate(
    checklist: Checklist, candidates: list[Candidate], topic_words: set[str], key_words: set[str] | None = None
) -> ChecklistResult:
    """Which elements the passages retrieved for one indicator show, sentence by sentence. The best
    passage is read whole; the others where the passage (or the sentence) names the indicator's subject."""
    sentences: list[Sentence] = []
    seen: set[str] = set()
    keys = key_words or topic_words
    for rank, cand in enumerate(candidates):
        on_subject = bool(_passage_tokens(cand.chunk.heading or "", cand.chunk.text) & keys)
        for text, context in reading_units(cand.chunk.text):
            key = " ".join(text.split())
            if key in seen:
                continue
            seen.add(key)
            folded, counts, toks = _analysed(text)
            in_row, row_counts, _ = _analysed(context) if context != text else (folded, counts, toks)
            sent = Sentence(page=cand.chunk.page, text=text, rank=rank, deferral=counts.get("deferral", 0) > 0,
                            topical=bool(toks & topic_words), key=bool(toks & keys))
            sent.specific = sum(counts.get(k, 0) for k in SPECIFIC_KINDS)
            sent.hedged = counts.get("hedge", 0) > 0 or counts.get("vague", 0) > 0
            if not sent.deferral and (rank == 0 or on_subject or sent.key):
                sent.elements = {e.id for e in checklist.elements if e.matches(in_row, row_counts)}
            sentences.append(sent)
    found = {e.id: [s for s in sentences if e.id in s.elements] for e in checklist.elements}
    ratios = []
    for a, b in checklist.pairs:
        with_a = found.get(a, [])
        ratios.append(sum(b in s.elements for s in with_a) / len(with_a) if with_a else 0.0)
    shortfalls = [max(0, need - len(found.get(ident, []))) / need for ident, need in checklist.plural]
    return ChecklistResult(
        checklist=checklist,
        sentences=sentences,
        found=found,
        deferrals=[s for s in sentences if s.deferral and s.topical],
        pair_ratio=min(ratios) if ratios else 1.0,
        plural_shortfall=max(shortfalls) if shortfalls else 0.0,
    )
