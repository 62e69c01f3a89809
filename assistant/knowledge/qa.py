"""Trainer Q&A over the référentiel, without any LLM.

Questions about the structure (counts, lists of one unit's parts) are answered from the model
itself; other questions by hybrid retrieval, quoting the most relevant passages verbatim with their
ids and part, plus a one-line summary built from them. No match: say so, never invent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from assistant.config.prompting import load_yaml
from assistant.domain.referentiel import PART_LABELS_FR, Criterion, Referentiel, Unit
from assistant.knowledge.referentiel_index import ReferentielIndex
from assistant.text.french import fold, tokens
from assistant.text.retrieval import Hit

# Below this cosine similarity (e5) with no lexical overlap, nothing in the référentiel is relevant.
MIN_DENSE = 0.80
PART_BOOST = 1.35


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str
    criterion_id: str | None
    indicator_id: str | None
    part: str
    text: str


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str
    citations: list[Citation]
    found: bool = True

    def public(self) -> dict:
        return {"answer": self.answer, "citations": [c.model_dump() for c in self.citations]}


_UNIT_RE = re.compile(r"\bunite\s*(?:n[°o]?\s*)?(\d(?:\.\d)?)\b|\b(\d\.\d)\b")
_BLOC_RE = re.compile(r"\bbloc\s*(?:n[°o]?\s*)?(\d)\b")
_COUNT_TARGETS = {
    "bloc": "blocs",
    "unite": "units",
    "critere": "criteria",
    "indicateur": "indicators",
    "activite": "activities",
    "competence": "competencies",
}
_LIST_WORDS = ("quels sont", "quelles sont", "liste", "lister", "enumere", "quels", "quelles")
_STRUCTURE_STOP = set(
    tokens(
        "combien compte comptent y a-t-il nombre total au total unité unités bloc blocs critère critères "
        "indicateur indicateurs référentiel quels quelles sont liste pour dans le la les des du sur"
        " activités compétences",
        keep_stop_words=True,
    )
)


def _units_mentioned(q: str, ref: Referentiel) -> list[Unit]:
    ids = [a or b for a, b in _UNIT_RE.findall(q)]
    known = {u.id: u for u in ref.units}
    return [known[i] for i in dict.fromkeys(ids) if i in known]


def _bloc_mentioned(q: str, ref: Referentiel) -> str | None:
    m = _BLOC_RE.search(q)
    if m and any(b.id == m.group(1) for b in ref.blocs):
        return m.group(1)
    return None


def _named_criterion(question: str, units: Iterable[Unit]) -> Criterion | None:
    """The criterion whose title the question names, if its content words clearly match one."""
    words = [t for t in tokens(question) if t not in _STRUCTURE_STOP]
    if not words:
        return None
    best, best_score = None, 0.0
    for unit in units:
        for crit in unit.criteria:
            title = set(tokens(crit.title)) - _STRUCTURE_STOP
            if not title:
                continue
            overlap = len(title & set(words))
            score = overlap / len(title)
            if overlap >= 1 and score > best_score:
                best, best_score = crit, score
    return best if best_score >= 0.34 else None


def _lexicon() -> dict:
    return load_yaml("qa/lexicon.yaml")


def preferred_part(question: str) -> str | None:
    folded = f" {fold(question)} "
    scores: dict[str, int] = {}
    for part, words in _lexicon()["parts"].items():
        for w in words:
            if re.search(rf"\b{re.escape(fold(w))}\b", folded):
                scores[part] = scores.get(part, 0) + 1
    if not scores:
        return None
    return max(scores, key=lambda p: scores[p])


def expand_query(question: str) -> str:
    """Add the référentiel's words for everyday ones (lexical search only)."""
    folded = fold(question)
    extra: list[str] = []
    for word, synonyms in _lexicon()["expansions"].items():
        if re.search(rf"\b{re.escape(fold(word))}\b", folded):
            extra.extend(synonyms)
    return question + (" " + " ".join(extra) if extra else "")


def _cite(ref: Referentiel, hit: Hit) -> Citation:
    m = hit.passage.metadata
    return Citation(
        unit=m["unit"],
        criterion_id=m.get("criterion_id"),
        indicator_id=m.get("indicator_id"),
        part=m["part"],
        text=m["verbatim"],
    )


def _unit_label(unit: Unit) -> str:
    return f"unité {unit.id} « {unit.title} »"


def _structure_answer(question: str, ref: Referentiel) -> Answer | None:
    q = fold(question)
    units = _units_mentioned(q, ref)
    bloc_id = _bloc_mentioned(q, ref)
    scope_units = units or ([u for u in ref.units if u.bloc == bloc_id] if bloc_id else ref.units)
    if "combien" in q or "nombre" in q:
        asked = re.findall(r"(?:combien|nombre)\s+(?:de\s+|d')(\w+)", q)
        targets = [t for a in asked for w, t in _COUNT_TARGETS.items() if a.startswith(w)]
        if not targets:
            return None
        crit = _named_criterion(question, scope_units)
        parts: list[str] = []
        cites: list[Citation] = []
        for target in dict.fromkeys(targets):
            if target == "blocs":
                parts.append(f"Le référentiel compte {len(ref.blocs)} blocs de compétences")
            elif target == "units":
                scoped = scope_units if (bloc_id or units) else ref.units
                where = f"le bloc {bloc_id}" if bloc_id else "le référentiel"
                ids = ", ".join(f"{u.id} ({u.title})" for u in scoped)
                parts.append(f"{where[0].upper()}{where[1:]} compte {len(scoped)} unités : {ids}")
                cites += [Citation(unit=u.id, criterion_id=None, indicator_id=None, part="activities",
                                   text=u.title) for u in scoped]
            elif target == "criteria":
                scoped = scope_units
                n = sum(len(u.criteria) for u in scoped)
                where = _unit_label(scoped[0]) if len(scoped) == 1 else (
                    f"le bloc {bloc_id}" if bloc_id else "le référentiel")
                listed = "; ".join(f"{c.id} {c.title}" for u in scoped for c in u.criteria)
                parts.append(f"{where[0].upper()}{where[1:]} compte {n} critères d'évaluation : {listed}")
                cites += [Citation(unit=u.id, criterion_id=c.id, indicator_id=None, part="criteria",
                                   text=c.title) for u in scoped for c in u.criteria]
            elif target == "indicators":
                if crit is not None:
                    unit = next(u for u in ref.units if crit in u.criteria)
                    parts.append(
                        f"Le critère {crit.id} « {crit.title} » ({_unit_label(unit)}) compte "
                        f"{len(crit.indicators)} indicateurs"
                    )
                    cites += [Citation(unit=unit.id, criterion_id=crit.id, indicator_id=i.id,
                                       part="criteria", text=i.text) for i in crit.indicators]
                else:
                    n = sum(len(u.indicators) for u in scope_units)
                    where = _unit_label(scope_units[0]) if len(scope_units) == 1 else (
                        f"le bloc {bloc_id}" if bloc_id else "le référentiel")
                    detail = ", ".join(f"{c.id} : {len(c.indicators)}" for u in scope_units for c in u.criteria)
                    parts.append(f"{where[0].upper()}{where[1:]} compte {n} indicateurs ({detail})")
            else:
                n = sum(len(getattr(u, target)) for u in scope_units)
                where = _unit_label(scope_units[0]) if len(scope_units) == 1 else "le référentiel"
                parts.append(f"{where[0].upper()}{where[1:]} compte {n} {PART_LABELS_FR[target]}")
        return Answer(answer=". ".join(parts) + ".", citations=cites)
    if len(units) == 1 and any(w in q for w in _LIST_WORDS):
        unit = units[0]
        part = preferred_part(question)
        if "indicateur" in q:
            crit = _named_criterion(question, [unit])
            crits = [crit] if crit else unit.criteria
            cites = [Citation(unit=unit.id, criterion_id=c.id, indicator_id=i.id, part="criteria", text=i.text)
                     for c in crits for i in c.indicators]
            head = f"Indicateurs ({_unit_label(unit)})"
            return Answer(answer=f"{head} : " + " ; ".join(f"{c.indicator_id} {c.text}" for c in cites) + ".",
                          citations=cites)
        if "critere" in q or part == "criteria":
            cites = [Citation(unit=unit.id, criterion_id=c.id, indicator_id=None, part="criteria", text=c.title)
                     for c in unit.criteria]
            return Answer(
                answer=f"L'{_unit_label(unit)} est évaluée sur {len(cites)} critères : "
                + " ; ".join(f"{c.criterion_id} {c.text}" for c in cites) + ".",
                citations=cites,
            )
        if part in {"deliverables", "assessment_methods", "activities", "competencies"}:
            items = getattr(unit, part)
            cites = [Citation(unit=unit.id, criterion_id=None, indicator_id=None, part=part, text=t)
                     for t in items]
            return Answer(
                answer=f"{PART_LABELS_FR[part].capitalize()} de l'{_unit_label(unit)} : "
                + " ; ".join(items) + ".",
                citations=cites,
            )
    return None


CITED = 3  # an answer names (and cites) its three best items, no more


def _summary(ref: Referentiel, cites: list[Citation]) -> tuple[str, list[Citation]]:
    """The answer's sentence and the citations it uses, best first: the best item with those of the same
    criterion (or the same part of the same unit) among the best three, then the others as « voir
    aussi », each named in the text. Nothing is cited that the answer does not mention."""
    used = cites[:CITED]
    top = used[0]
    unit = ref.unit(top.unit)
    if top.part == "criteria" and top.criterion_id:
        crit = unit.criterion(top.criterion_id)
        main = [c for c in used if c.criterion_id == top.criterion_id and c.indicator_id]
        if main:
            inds = " ; ".join(f"« {c.text} » ({c.indicator_id})" for c in main)
            line = (f"Dans l'{_unit_label(unit)}, le critère « {crit.title} » ({crit.id}) "
                    f"prévoit notamment : {inds}.")
        else:
            main = [top]
            line = f"Dans l'{_unit_label(unit)}, cela relève du critère « {crit.title} » ({crit.id})."
    else:
        main = [c for c in used if c.unit == top.unit and c.part == top.part]
        label = PART_LABELS_FR[top.part]
        line = f"Pour l'{_unit_label(unit)} ({label}) : " + " ; ".join(c.text for c in main) + "."
    also = [c for c in used if c not in main]
    if also:
        line += " Voir aussi : " + " ; ".join(
            f"{c.indicator_id or c.criterion_id or PART_LABELS_FR.get(c.part, c.part)} (unité {c.unit}) « {c.text} »"
            for c in also) + "."
    return line, used


def ask(question: str, index: ReferentielIndex, *, k: int = 5, mode: str = "hybrid") -> Answer:
    """Answer a trainer's question from the référentiel alone."""
    ref = index.ref
    question = question.strip()
    if not question:
        return Answer(answer="Posez une question sur le référentiel (unités, critères, productions…).",
                      citations=[], found=False)
    structured = _structure_answer(question, ref)
    if structured is not None:
        return structured
    units = _units_mentioned(fold(question), ref)
    hits = index.search(
        question,
        k=40,
        unit=units[0].id if len(units) == 1 else None,
        mode=mode,
        lexical_query=expand_query(question),
    )
    content = [t for t in tokens(question) if t not in _STRUCTURE_STOP]
    if not hits or (max(h.dense for h in hits) < MIN_DENSE and max(h.lexical for h in hits) <= 0) or not content:
        return Answer(
            answer="Je ne trouve rien dans le référentiel qui réponde à cette question. Reformulez-la avec "
            "les termes du métier (unité, critère, production attendue…), ou consultez "
            "« rncp-coach referentiel show ».",
            citations=[],
            found=False,
        )
    part = (preferred_part(question) or "criteria") if mode == "hybrid" else None
    if part:
        hits = sorted(hits, key=lambda h: -(h.score * (PART_BOOST if h.passage.metadata["part"] == part else 1)))
    cites: list[Citation] = []
    for h in hits:
        cite = _cite(ref, h)
        if cite not in cites:  # an indicator found through its wording and its hint is cited once
            cites.append(cite)
        if len(cites) == k:
            break
    text, used = _summary(ref, cites)
    return Answer(answer=text, citations=used)

