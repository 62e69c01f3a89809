"""Verdicts explained by the checklist: what was found (with a short excerpt) and what is missing.

« Critère partiellement démontré : des valeurs cibles chiffrées (« +12 % de CA… » p. 2), mais aucune
échéance. »
"""

from __future__ import annotations

from assistant.domain.vocabulary import VERDICT_RANK
from assistant.judging.base import Evidence
from assistant.judging.checklist import ChecklistResult, Sentence
from assistant.judging.grounding import is_lead_in

EXCERPT = 70
MAX_QUOTES = 3


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _found_phrase(check: ChecklistResult) -> list[str]:
    out = []
    for element in check.checklist.elements:
        sentences = check.found.get(element.id) or []
        if sentences:
            first = sentences[0]
            out.append(f"{element.label} (« {excerpt(first.text)} » p. {first.page})")
    return out


def explain(verdict: str, check: ChecklistResult | None) -> str | None:
    """What the checklist found (with short excerpts) and what keeps the indicator from being met, as
    the body of a French sentence: « des valeurs cibles chiffrées (« +12 % de CA… » p. 2), mais aucune
    échéance ». The verdict's own label is put in front by the feedback."""
    if check is None or verdict not in VERDICT_RANK:
        return None
    found = _found_phrase(check)
    unmet = check.unmet()
    if check.deferrals and verdict != "evidenced":
        d = check.deferrals[0]
        unmet.append(f"le document le renvoie à plus tard ou l'écarte (« {excerpt(d.text)} » p. {d.page})")
    if verdict == "evidenced":
        return "; ".join(found) if found else None
    if verdict == "partial":
        head = "; ".join(found) if found else "le sujet est abordé"
        tail = "; ".join(unmet) if unmet else "les éléments restent trop généraux"
        return f"{head}, mais {tail}"
    return "; ".join(unmet) if unmet else None


def checklist_quotes(check: ChecklistResult | None, verdict: str) -> list[Evidence]:
    """Quotes for a verdict: the sentences that show the most elements, plus the candidate's own
    deferral when the verdict is not « démontré » (so that both sides of a conflict are quoted)."""
    if check is None:
        return []
    scored: dict[str, tuple[int, Sentence]] = {}
    for sentences in check.found.values():
        for s in sentences:
            key = " ".join(s.text.split())
            n = len(s.elements)
            if key not in scored or scored[key][0] < n:
                scored[key] = (n, s)
    # The sentences that carry the evidence itself: most elements, then specific content; never a heading,
    # a table cell or a lead-in line that only announces it.
    best = sorted(scored.values(), key=lambda ns: (-ns[0], -min(ns[1].specific, 2), ns[1].rank))
    long_enough = [s for _, s in best if len(s.text.split()) >= 5]
    picked = [s for s in long_enough if not is_lead_in(s.text)] or long_enough
    picked = picked[: MAX_QUOTES - (1 if check.deferrals else 0)]
    if check.deferrals and verdict != "evidenced":
        picked.append(check.deferrals[0])
    return [Evidence(page=s.page, quote=s.text) for s in picked]
