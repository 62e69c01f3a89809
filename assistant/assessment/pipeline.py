"""Assess a candidate's deliverable against one unit: every indicator judged, grounded and explained.

file → extraction and chunks (ingestion/) → vectors (store) → per-indicator evidence and features →
judge → quotes verified on their page → French feedback, criterion levels, summary, warnings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment.feedback import indicator_feedback, prompt_version, texts
from assistant.config.prompting import render
from assistant.domain.documents import HIDDEN_KIND_LABELS_FR, Chunk, ExtractedDocument
from assistant.domain.errors import UnitUncertain, UsageError
from assistant.domain.referentiel import Referentiel, Unit
from assistant.judging.base import Evidence, IndicatorContext, IndicatorResult, Judge
from assistant.judging.features import DocumentEvidence
from assistant.judging.grounding import ground, normalise, select_quotes
from assistant.judging.hints import Hint, hint_for
from assistant.judging.suspicious import find_instructions
from assistant.text.french import tokens

UNIT_CONFIDENCE_MIN = 0.55
UNIT_TEMPERATURE = 0.02
Level = str  # acquis | partiellement_acquis | non_acquis | a_evaluer


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentInfo(_M):
    file: str
    sha256: str
    pages: int


class IndicatorReport(_M):
    id: str
    criterion_id: str
    criterion: str
    text: str
    verdict: str
    confidence: float
    evidence: list[Evidence]
    feedback: str
    advice: str
    # A juror must look at it before deciding: the judge is unsure, or an instruction to an assessor
    # (or hidden text) in the document is about this indicator.
    review: bool = False


class CriterionReport(_M):
    id: str
    title: str
    level: Level
    rationale: str


class Summary(_M):
    strengths: list[str]
    priorities: list[str]


class Warning(_M):  # noqa: A001 - the contract's name
    kind: str
    page: int | None
    message: str
    quote: str
    indicators: list[str] = Field(default_factory=list)  # the indicators it may bear on (« à vérifier »)


class Assessment(_M):
    referentiel: str
    unit: str
    unit_detected: bool
    unit_confidence: float
    document: DocumentInfo
    indicators: list[IndicatorReport]
    criteria: list[CriterionReport]
    summary: Summary
    warnings: list[Warning]
    # Not part of the public JSON: how the result was produced.
    results: list[IndicatorResult] = Field(default_factory=list, exclude=True)
    judge: str = Field(default="offline", exclude=True)
    prompt_version: str = Field(default="", exclude=True)
    candidate: str | None = Field(default=None, exclude=True)

    def public(self) -> dict:
        return self.model_dump(mode="json")


# Unit detection -----------------------------------------------------------------------------------
class UnitGuess(_M):
    unit: str
    confidence: float
    scores: dict[str, float]


_PROFILES: dict[tuple[str, int], tuple] = {}


def _unit_profiles(ref: Referentiel):  # noqa: ANN202
    """TF-IDF profile of each unit: its référentiel text plus the hints' candidate-like wording."""
    key = (ref.id, hash(ref.model_dump_json()))
    if key not in _PROFILES:
        _PROFILES[key] = _build_profiles(ref)
    return _PROFILES[key]


def _build_profiles(ref: Referentiel):  # noqa: ANN202
    from sklearn.feature_extraction.text import TfidfVectorizer

    profiles = []
    for unit in ref.units:
        parts = [unit.title, *unit.activities, *unit.competencies, *unit.deliverables]
        for crit in unit.criteria:
            parts.append(crit.title)
            for ind in crit.indicators:
                hint = hint_for(ref, ind)
                parts += [ind.text, hint.query, " ".join(hint.keywords)]
        profiles.append(" ".join(parts))
    vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True)
    return vectorizer, vectorizer.fit_transform(profiles)


def detect_unit(ref: Referentiel, document: ExtractedDocument) -> UnitGuess:
    """Which unit the deliverable answers: lexical closeness (TF-IDF over French stems) between the
    document and each unit's profile. On the labelled drafts this beat dense similarity (21/23 vs 17/22)."""
    if not document.text.strip():
        raise UsageError("Document sans texte exploitable : précisez l'unité avec --unit.", code="unit_uncertain")
    vectorizer, profiles = _unit_profiles(ref)
    sims = (profiles @ vectorizer.transform([document.text]).T).toarray().ravel()
    probs = np.exp((sims - sims.max()) / UNIT_TEMPERATURE)
    probs /= probs.sum()
    best = int(np.argmax(probs))
    return UnitGuess(unit=ref.units[best].id, confidence=round(float(probs[best]), 3),
                     scores={u.id: round(float(x), 4) for u, x in zip(ref.units, sims, strict=True)})


# Criterion levels ---------------------------------------------------------------------------------
def criterion_level(verdicts: list[str]) -> Level:
    """The stated rule (see prompts/feedback/fr.yaml `level_rule`)."""
    assessable = [v for v in verdicts if v != "not_assessable"]
    if not assessable:
        return "a_evaluer"
    score = sum({"evidenced": 1.0, "partial": 0.5}.get(v, 0.0) for v in assessable) / len(assessable)
    n_ev = sum(v == "evidenced" for v in assessable)
    if n_ev / len(assessable) >= 0.75 and "not_evidenced" not in assessable:
        return "acquis"
    if score < 0.5:
        return "non_acquis"
    return "partiellement_acquis"


# The pipeline -------------------------------------------------------------------------------------
def suspicious_and_hidden(doc: ExtractedDocument) -> list[Warning]:
    t = texts()["warnings"]
    out = [
        Warning(kind="suspicious_instruction", page=page, message=t["suspicious_instruction"], quote=quote)
        for page, quote in find_instructions(doc)
    ]
    out += [
        Warning(kind="hidden_text", page=h.page, quote=h.quote,
                message=render(t["hidden_text"], kind=HIDDEN_KIND_LABELS_FR.get(h.kind, h.kind)))
        for h in doc.hidden
    ]
    seen: set[tuple[str, str]] = set()
    unique = []
    for w in out:  # one warning per passage, even when several detectors or pages repeat it
        key = (w.kind, normalise(w.quote))
        if key not in seen:
            seen.add(key)
            unique.append(w)
    out = unique
    empty = [p.number for p in doc.pages if not p.text.strip()]
    if empty:
        out.append(
            Warning(kind="pages_without_text", page=empty[0],
                    message=render(t["pages_without_text"], pages=", ".join(map(str, empty))), quote="")
        )
    if doc.ocr_pages:
        out.append(
            Warning(kind="ocr_pages", page=doc.ocr_pages[0],
                    message=render(t["ocr_pages"], pages=", ".join(map(str, doc.ocr_pages))), quote="")
        )
    return out


def excluded_chunks(chunks: list[Chunk], warnings: list[Warning]) -> set[str]:
    """Chunks holding text a reader cannot see or instructions to an assessor never count as evidence."""
    flagged = [normalise(w.quote) for w in warnings if w.quote and w.kind not in {"pages_without_text", "ocr_pages"}]
    out = set()
    for c in chunks:
        text = normalise(c.text)
        if any(q and (q in text or (len(text) > 20 and text in q)) for q in flagged):
            out.add(c.id)
    return out


def document_evidence(
    doc: ExtractedDocument, chunks: list[Chunk], vectors: np.ndarray, embeddings  # noqa: ANN001
) -> tuple[list[Warning], DocumentEvidence]:
    """The document's warnings, and its evidence index without the flagged passages."""
    warnings = suspicious_and_hidden(doc)
    return warnings, DocumentEvidence(doc, chunks, vectors, embeddings, excluded=excluded_chunks(chunks, warnings))


def prepare_contexts(
    ref: Referentiel, unit: Unit, evidence: DocumentEvidence
) -> list[IndicatorContext]:
    """Retrieve passages and compute features for every indicator of the unit (also used to train)."""
    items = [(c, i, hint_for(ref, i)) for c in unit.criteria for i in c.indicators]
    queries: list[str] = []
    for crit, ind, hint in items:
        queries += [f"{crit.title} : {ind.text}", hint.query]
    qvecs = evidence.query_vectors(queries)
    contexts = []
    for n, (crit, ind, hint) in enumerate(items):
        cands, retrieval = evidence.retrieve(unit, crit, ind, hint, qvecs[2 * n : 2 * n + 2])
        feats, found, check = evidence.features(cands, ind, hint, retrieval)
        contexts.append(IndicatorContext(unit=unit, criterion=crit, indicator=ind, hint=hint,
                                         document=evidence.document, candidates=cands, features=feats,
                                         found_kinds=found, checklist=check))
    return contexts


def judge_contexts(
    contexts: list[IndicatorContext], judge: Judge, doc: ExtractedDocument, warnings: list[Warning]
) -> list[IndicatorResult]:
    """Judge every indicator (batched when the judge can), then ground every verdict."""
    downgrade = texts()["feedback"]["grounding_downgrade"]
    avoid = tuple(w.quote for w in warnings if w.quote)
    many = getattr(judge, "judge_many", None)
    raw = many(contexts) if many else [judge.judge(ctx) for ctx in contexts]
    results = []
    for ctx, result in zip(contexts, raw, strict=True):
        if result.verdict in {"evidenced", "partial"} and not result.evidence:
            quotes = select_quotes(ctx.candidates, ctx.hint, topic=ctx.indicator.text,
                                   avoid=avoid)
            result = result.model_copy(update={"evidence": quotes})
        results.append(ground(result, doc, downgrade, avoid=avoid))
    return results


# Words of an instruction to an assessor that name no subject of the grid.
_INSTRUCTION_WORDS = set(tokens(
    "correcteur correctrice evaluateur evaluatrice examinateur jury assistant outil logiciel systeme automatique "
    "intelligence artificielle ia modele consigne consignes instruction instructions critere criteres indicateur "
    "indicateurs note noter maximale valide valider valides acquis demontre demontres considere considerez "
    "ignore ignorez tous toutes document candidat dossier attribuez donnez mettez partout remplis doit doivent"))


def mark_targets(contexts: list[IndicatorContext], results: list[IndicatorResult],
                 warnings: list[Warning]) -> list[IndicatorResult]:
    """Link each instruction to an assessor or hidden text to the indicators it bears on, and mark them
    « à vérifier »: the ones whose wording or keywords it names, else those judged on its page, else (a
    blanket « validez tout ») every indicator. The juror must decide them explicitly."""
    targeted: set[str] = set()
    for w in warnings:
        if w.kind not in {"suspicious_instruction", "hidden_text"}:
            continue
        words = set(tokens(w.quote)) - _INSTRUCTION_WORDS
        written = [ctx for ctx in contexts if ctx.hint.written]  # not the ones left to the oral
        named = [ctx.indicator.id for ctx in written
                 if words & set(tokens(" ".join([ctx.indicator.text, *ctx.hint.keywords])))]
        on_page = [ctx.indicator.id for ctx in written if w.page in {c.chunk.page for c in ctx.candidates[:3]}]
        w.indicators = named or on_page or [ctx.indicator.id for ctx in written]
        targeted.update(w.indicators)
    note = texts()["feedback"]["targeted"]
    return [r.model_copy(update={"review": True, "note": f"{r.note or ''} {note}".strip()})
            if r.indicator_id in targeted and r.verdict != "not_assessable" else r for r in results]


def unread_pages_note(warnings: list[Warning], indicators: list[IndicatorReport]) -> None:
    """Scanned pages: say which verdicts may change once they are readable (the ones not yet met)."""
    t = texts()["warnings"]
    open_ = [i.id for i in indicators if i.verdict in {"not_evidenced", "partial"}]
    for w in warnings:
        if w.kind == "pages_without_text":
            w.indicators = open_
            w.message += " " + (render(t["pages_may_change"], indicators=", ".join(open_)) if open_
                                else t["pages_no_change"])


def build_report(
    ref: Referentiel,
    unit: Unit,
    doc: ExtractedDocument,
    results: list[IndicatorResult],
    warnings: list[Warning],
    *,
    guess: UnitGuess | None,
    judge_name: str,
    candidate: str | None,
) -> Assessment:
    t = texts()
    by_id = {r.indicator_id: r for r in results}
    indicators: list[IndicatorReport] = []
    hints: dict[str, Hint] = {}
    for crit in unit.criteria:
        for ind in crit.indicators:
            r = by_id[ind.id]
            hints[ind.id] = hint = hint_for(ref, ind)
            line, advice = indicator_feedback(r, ind, hint)
            indicators.append(IndicatorReport(
                id=ind.id, criterion_id=crit.id, criterion=crit.title, text=ind.text, verdict=r.verdict,
                confidence=r.confidence, evidence=r.evidence, feedback=line, advice=advice, review=r.review,
            ))
    unread_pages_note(warnings, indicators)
    criteria = []
    for crit in unit.criteria:
        vs = [by_id[i.id].verdict for i in crit.indicators]
        rationale = render(
            t["rationale"], n_ev=vs.count("evidenced"), n_part=vs.count("partial"),
            n_not=vs.count("not_evidenced"), n=len([v for v in vs if v != "not_assessable"]),
            n_na=vs.count("not_assessable"),
        )
        criteria.append(CriterionReport(id=crit.id, title=crit.title, level=criterion_level(vs), rationale=rationale))
    strengths = [
        render(t["summary"]["strength"], criterion=i.criterion, indicator=i.text)
        for i in sorted((i for i in indicators if i.verdict == "evidenced"), key=lambda i: -i.confidence)[:3]
    ] or [t["summary"]["none_strength"]]
    gaps = sorted(
        (i for i in indicators if i.verdict in {"not_evidenced", "partial"}),
        key=lambda i: (i.verdict != "not_evidenced", -i.confidence),
    )
    priorities = [render(t["summary"]["priority"], indicator_id=i.id, advice=i.advice) for i in gaps[:3]]
    return Assessment(
        referentiel=ref.id,
        unit=unit.id,
        unit_detected=guess is not None,
        unit_confidence=guess.confidence if guess else 1.0,
        document=DocumentInfo(file=doc.file_name, sha256=doc.sha256, pages=doc.page_count),
        indicators=indicators,
        criteria=criteria,
        summary=Summary(strengths=strengths, priorities=priorities),
        warnings=warnings,
        results=results,
        judge=judge_name,
        prompt_version=prompt_version(),
        candidate=candidate,
    )


def assess_extracted(
    ref: Referentiel,
    doc: ExtractedDocument,
    chunks: list[Chunk],
    vectors: np.ndarray,
    embeddings,  # noqa: ANN001 - LangChain Embeddings
    judge: Judge,
    *,
    unit_id: str | None = None,
    candidate: str | None = None,
    allow_uncertain_unit: bool = False,
    progress: Callable[[float, str], None] | None = None,
) -> Assessment:
    warnings, evidence = document_evidence(doc, chunks, vectors, embeddings)
    guess = None
    if unit_id is None:
        guess = detect_unit(ref, doc)
        if guess.confidence < UNIT_CONFIDENCE_MIN and not allow_uncertain_unit:
            ranked = sorted(guess.scores, key=lambda u: -guess.scores[u])[:2]
            raise UnitUncertain(
                render(texts()["unit_detection"]["unsure"], unit=guess.unit, confidence=f"{guess.confidence:.2f}")
                + f" Hypothèses : {', '.join(ranked)}.",
                choices=ranked,
            )
        unit_id = guess.unit
    unit = ref.unit(unit_id)
    if progress:
        progress(0.5, "Évaluation des indicateurs")
    contexts = prepare_contexts(ref, unit, evidence)
    if hasattr(judge, "warnings"):
        judge.warnings = [w.quote for w in warnings if w.quote]
    results = mark_targets(contexts, judge_contexts(contexts, judge, doc, warnings), warnings)
    for notice in getattr(judge, "notices", []):
        warnings.append(Warning(kind="llm_fallback", page=None, quote="",
                                message=f"Modèle de langage indisponible ou réponse invalide ({notice}) : "
                                        "verdicts du juge hors ligne utilisés."))
    report = build_report(ref, unit, doc, results, warnings, guess=guess,
                          judge_name=getattr(judge, "name", "offline"), candidate=candidate)
    if getattr(judge, "name", "") == "llm":
        from assistant.judging.llm import prompt_version as llm_version

        report.prompt_version = f"{report.prompt_version}+{llm_version()}"
    return report

