"""Cut an extracted document into page- and heading-aware chunks.

Invariants (tested): every chunk is an exact, non-empty, stripped slice of the cleaned text of one
page, ``chunk.text == doc.page(chunk.page).text[chunk.start:chunk.end]``; chunks never cross pages;
a chunk has at most ``max_words`` words (except a single word longer than that, which cannot exist
in practice); ids are deterministic, ``sha256(doc.sha256:page:start:end)[:32]``.

A heading (a short line without final punctuation, see :func:`is_heading`) starts a new chunk and
names the chunks that follow, across pages, until the next heading. Lines and paragraphs are grouped
up to ``target_words``; a paragraph longer than ``max_words`` is split at sentence boundaries (and a
sentence longer than that at word boundaries).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.domain.documents import Chunk, ExtractedDocument

MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 120

_NUMBERED = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.|[A-H][.)])\s+\S")
_FINAL_PUNCTUATION = (".", ",", ";", ":", "?", "!", "…", "-")
_SENTENCE_END = (".", "!", "?", "…", '."', ".»", '!"', '?"', ".)")
_FUNCTION_WORDS = frozenset(
    [
        "de", "la", "le", "les", "des", "du", "d'", "l'", "et", "ou", "à", "au", "aux", "en", "pour", "par",
        "avec", "sur", "dans", "un", "une", "son", "sa", "ses", "leur", "leurs", "ce", "cette", "ces", "que",
        "qui", "dont", "mais", "ni", "car"
    ]
)
_SECTION_WORDS = frozenset(
    [
        "introduction", "conclusion", "contexte", "objectifs", "objectif", "annexe", "annexes", "sommaire",
        "bibliographie", "webographie", "sources", "remerciements", "budget", "planning", "calendrier",
        "rétroplanning", "retroplanning", "synthèse", "résumé", "méthodologie", "méthode", "recommandations",
        "préconisations", "bilan", "diagnostic", "cibles", "cible", "stratégie", "présentation", "perspectives",
        "glossaire", "évaluation", "indicateurs", "problématique", "enjeux", "moyens", "actions", "résultats",
        "benchmark", "swot", "pestel", "démarche", "organisation"
    ]
)
_SENTENCE_BREAK = re.compile(r"[.!?…]+[\"»)]*\s+(?=[«\"(\[A-ZÀ-ÖØ-Þ0-9])")
_ABBREVIATIONS = frozenset(
    ["m", "mm", "mme", "mmes", "mlle", "dr", "pr", "me", "p", "pp", "cf", "ex", "art", "fig", "n", "no", "vol", "st"]
    + ["janv", "fév", "févr", "avr", "juil", "sept", "oct", "nov", "déc", "env", "sem", "hab", "tél"]
)
_WORD = re.compile(r"\S+")


def _letters(text: str) -> list[str]:
    return [c for c in text if c.isalpha()]


def is_heading(line: str, *, after_sentence_end: bool = True) -> bool:
    """Whether ``line`` looks like a section heading.

    Numbered (``2. Objectifs``, ``II. Budget``) and upper-case (``BUDGET PRÉVISIONNEL``) short lines
    always are. Other short capitalised lines without final punctuation (``Analyse de la concurrence``)
    are headings only when they follow the end of a sentence or the top of a page
    (``after_sentence_end``): in tables extracted as text, cells are short lines too, but they follow
    other cells. A single word is a heading only if it is a usual section name (``Introduction``...).
    """
    s = line.strip()
    words = s.split()
    if not words or len(words) > MAX_HEADING_WORDS or len(s) > MAX_HEADING_CHARS:
        return False
    if s.rstrip("»\"') ").endswith(_FINAL_PUNCTUATION) or s.endswith(("%", "€")):
        return False
    if s.count("(") != s.count(")") or s.count("«") != s.count("»"):  # a cut-off table cell
        return False
    letters = _letters(s)
    if len(letters) < 2:
        return False
    if _NUMBERED.match(s):
        rest = s.split(None, 1)[1] if len(words) > 1 else ""
        return bool(rest) and (rest[0].isupper() or rest[0] in "«\"'(")
    if not s[0].isupper():
        return False
    if all(c.isupper() for c in letters) and (len(words) >= 2 or len(letters) >= 6):
        return True
    if not after_sentence_end:
        return False
    if sum(c.isdigit() for c in s) > 0.3 * len(s.replace(" ", "")):
        return False
    if len(words) == 1:
        return words[0].casefold() in _SECTION_WORDS
    if s.count(",") > 1:  # an enumeration: a sentence or a table cell
        return False
    last = words[-1].casefold()
    return last not in _FUNCTION_WORDS and not last.endswith("'")


def _ends_sentence(line: str) -> bool:
    """Whether ``line`` ends a sentence (``M.`` or ``cf.`` at the end does not)."""
    if not line.endswith(_SENTENCE_END):
        return False
    last = line.split()[-1].rstrip(".").casefold().strip("(«\"")
    return not (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()))


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    words: int
    heading: bool


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as stripped spans (abbreviations such as ``M.`` do not split)."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _SENTENCE_BREAK.finditer(text, start, end):
        before = text[cursor : m.start()].split()
        last = before[-1].casefold().strip("(«\"") if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        spans.append(_strip_span(text, cursor, m.end()))
        cursor = m.end()
    spans.append(_strip_span(text, cursor, end))
    return [(s, e) for s, e in spans if e > s]


def _word_pieces(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut every ``size`` words."""
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    return [(words[i][0], words[min(i + size, len(words)) - 1][1]) for i in range(0, len(words), size)]


def _units(text: str, target_words: int, max_words: int) -> list[_Unit]:
    units: list[_Unit] = []
    previous_ends_sentence = True  # the top of a page counts as after a sentence end
    offset = 0
    for line in text.split("\n"):
        start, end = _strip_span(text, offset, offset + len(line))
        offset += len(line) + 1
        if start == end:
            continue
        stripped = text[start:end]
        n = len(stripped.split())
        # Right after a heading only numbered or upper-case headings stack: a title-like line there is
        # a subtitle or the header row of a table.
        if n <= max_words and is_heading(stripped, after_sentence_end=previous_ends_sentence):
            units.append(_Unit(start, end, n, True))
            previous_ends_sentence = False
            continue
        previous_ends_sentence = _ends_sentence(stripped)
        if n <= max_words:
            units.append(_Unit(start, end, n, False))
            continue
        for s, e in _sentence_spans(text, start, end):
            k = len(text[s:e].split())
            if k <= max_words:
                units.append(_Unit(s, e, k, False))
            else:
                for ps, pe in _word_pieces(text, s, e, target_words):
                    units.append(_Unit(ps, pe, len(text[ps:pe].split()), False))
    return units


def chunk_id(doc_sha256: str, page: int, start: int, end: int) -> str:
    """Deterministic id of the slice ``[start:end]`` of a page of a document."""
    return hashlib.sha256(f"{doc_sha256}:{page}:{start}:{end}".encode()).hexdigest()[:32]


def chunk_document(doc: ExtractedDocument, *, target_words: int = 70, max_words: int = 140) -> list[Chunk]:
    """Page- and heading-aware chunks of ``doc`` (see the module docstring for the invariants)."""
    if target_words < 1 or max_words < target_words:
        raise ValueError(f"need 1 <= target_words <= max_words, got {target_words} and {max_words}")
    chunks: list[Chunk] = []
    heading: str | None = None

    def make(page_number: int, text: str, units: list[_Unit], name: str | None) -> Chunk:
        start, end = units[0].start, units[-1].end
        return Chunk(
            id=chunk_id(doc.sha256, page_number, start, end),
            index=len(chunks),
            page=page_number,
            heading=name,
            text=text[start:end],
            start=start,
            end=end,
        )

    for page in doc.pages:
        text = page.text
        current: list[_Unit] = []
        words = 0
        for unit in _units(text, target_words, max_words):
            only_headings = bool(current) and all(u.heading for u in current)
            if unit.heading:
                if current and (not only_headings or words + unit.words > max_words):
                    chunks.append(make(page.number, text, current, heading))
                    current, words = [], 0
                heading = text[unit.start : unit.end]
            elif current:
                fits = words + unit.words <= max_words
                if not (fits and (words < target_words or only_headings)):
                    chunks.append(make(page.number, text, current, heading))
                    current, words = [], 0
            current.append(unit)
            words += unit.words
        if current:
            chunks.append(make(page.number, text, current, heading))
    return chunks
