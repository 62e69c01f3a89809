"""Quotes: chosen from the retrieved passages, and always verified against the page they name.

A quote is a verbatim span of the page text (whitespace-insensitive). A verdict whose quotes cannot
be found is downgraded, never shown with invented evidence — whichever judge produced it.
"""

from __future__ import annotations

import re

from assistant.domain.documents import ExtractedDocument
from assistant.judging.base import Candidate, Evidence, IndicatorResult
from assistant.judging.hints import Hint
from assistant.judging.signals import count_signals
from assistant.text.french import tokens

MAX_QUOTE = 400  # a quote is a whole sentence; only a longer one is cut, at a clause boundary
_CLAUSE_END = re.compile(r"[;,:)»]\s|\s[—–-]\s")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text.replace("’", "'")).strip()


def quote_is_on_page(doc: ExtractedDocument, page: int, quote: str) -> bool:
    if not quote.strip() or page < 1 or page > len(doc.pages):
        return False
    return normalise(quote) in normalise(doc.pages[page - 1].text)


def shorten(sentence: str) -> str:
    """The sentence itself when it fits; otherwise it is cut at its last clause boundary within the limit
    (never mid-clause such as « conformes au »), at a word boundary only when no clause ends early enough."""
    sentence = sentence.strip()
    if len(sentence) <= MAX_QUOTE:
        return sentence
    head = sentence[:MAX_QUOTE]
    ends = [m.start() + 1 for m in _CLAUSE_END.finditer(head) if m.start() >= MAX_QUOTE // 2]
    cut = head[: ends[-1]] if ends else head.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—–-")


def is_lead_in(sentence: str) -> bool:
    """A line that announces the evidence instead of carrying it (« …les objectifs suivants : »)."""
    return sentence.rstrip().endswith(":")


MIN_SENTENCE = 12  # shorter pieces (a table cell such as « 12 janvier ») are never quoted on their own


def pieces(text: str) -> list[str]:
    """A passage cut at sentence ends and line breaks, short pieces included."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def sentences(text: str) -> list[str]:
    return [s for s in pieces(text) if len(s) >= MIN_SENTENCE]


def select_quotes(
    candidates: list[Candidate],
    hint: Hint,
    *,
    topic: str = "",
    max_quotes: int = 3,
    avoid: tuple[str, ...] = (),
) -> list[Evidence]:
    """The sentences of the top passages that best show the indicator: its words and keywords first,
    then the kinds of specific content it calls for. Short fragments (table cells) are avoided."""
    if not candidates:
        return []
    keywords = set().union(*(set(tokens(k)) for k in hint.keywords)) if hint.keywords else set()
    topic_words = set(tokens(topic))
    query_words = set(tokens(hint.query))
    floor = candidates[0].dense - 0.06
    scored: list[tuple[float, Evidence]] = []
    for rank, cand in enumerate(candidates[:5]):
        if cand.dense < floor and cand.lexical <= 0:
            continue
        best, best_score = None, 0.0
        for sent in sentences(cand.chunk.text):
            if overlaps(sent, avoid) or len(sent.split()) < 5:  # headings and table cells make poor quotes
                continue
            toks = set(tokens(sent))
            counts = count_signals(sent)
            score = 2.0 * len(toks & keywords) + 1.5 * len(toks & topic_words) + 0.5 * len(toks & query_words)
            score += 1.5 * sum(counts.get(k, 0) > 0 for k in hint.signals)
            score -= 0.3 * rank + (3.0 if is_lead_in(sent) else 0.0)  # a lead-in only as a last resort
            if score > best_score:
                best, best_score = sent, score
        if best and all(normalise(best) != normalise(e.quote) for _, e in scored):
            scored.append((best_score, Evidence(page=cand.chunk.page, quote=shorten(best))))
    if not scored:
        return []
    scored.sort(key=lambda se: -se[0])
    top = scored[0][0]
    return [e for score, e in scored if score >= 0.5 * top][:max_quotes]


def overlaps(quote: str, flagged: tuple[str, ...]) -> bool:
    q = normalise(quote)
    return any(f and (normalise(f) in q or q in normalise(f)) for f in flagged)


def ground(
    result: IndicatorResult, doc: ExtractedDocument, downgrade_note: str, *, avoid: tuple[str, ...] = ()
) -> IndicatorResult:
    """Keep only quotes found verbatim on their page and not taken from flagged text (instructions to
    an assessor, hidden text); downgrade a positive verdict left without any."""
    kept = [
        e for e in result.evidence if quote_is_on_page(doc, e.page, e.quote) and not overlaps(e.quote, avoid)
    ][:3]
    update: dict = {"evidence": kept}
    if result.verdict in {"evidenced", "partial"} and not kept:
        update.update(
            verdict="not_evidenced",
            note=((result.note or "") + downgrade_note).strip(),
            confidence=min(result.confidence, 0.5),
        )
    return result.model_copy(update=update)
