"""The référentiel as searchable passages: one per indicator, criterion, activity, competency,
deliverable and assessment method, each with its unit, part and ids in its metadata."""

from __future__ import annotations

import hashlib
from functools import cached_property

import numpy as np

from assistant.domain.referentiel import PART_LABELS_FR, Referentiel
from assistant.judging.hints import hint_for
from assistant.knowledge.store import Store, collection_name
from assistant.models.embeddings import embed_array
from assistant.text.french import tokens
from assistant.text.retrieval import BM25, Hit, Passage, rrf


def referentiel_passages(ref: Referentiel) -> list[Passage]:
    out: list[Passage] = []

    def add(unit_id: str, part: str, key: str, verbatim: str, embedded: str, **ids: str | None) -> None:
        digest = hashlib.sha256(f"{ref.id}|{unit_id}|{part}|{key}|{embedded}".encode()).hexdigest()[:24]
        meta = {
            "referentiel": ref.id,
            "unit": unit_id,
            "part": part,
            "key": key,
            "verbatim": verbatim,
            "criterion_id": ids.get("criterion_id"),
            "indicator_id": ids.get("indicator_id"),
        }
        out.append(Passage(id=digest, text=embedded, metadata=meta))

    for unit in ref.units:
        head = f"Unité {unit.id} {unit.title}"
        for part in ("activities", "competencies", "assessment_methods"):
            for n, text in enumerate(getattr(unit, part), 1):
                add(unit.id, part, f"{part}.{n}", text, f"{head} — {PART_LABELS_FR[part]} : {text}")
        intro = ""
        for n, text in enumerate(unit.deliverables, 1):
            if text.endswith(":"):
                intro = text
                embedded = f"{head} — le candidat doit présenter : {text}"
            else:
                embedded = f"{head} — le candidat doit présenter : {intro} {text}".replace("  ", " ")
            add(unit.id, "deliverables", f"deliverables.{n}", text, embedded)
        for crit in unit.criteria:
            add(
                unit.id, "criteria", crit.id, crit.title,
                f"{head} — critère d'évaluation : {crit.title}", criterion_id=crit.id,
            )
            for ind in crit.indicators:
                add(
                    unit.id, "criteria", ind.id, ind.text,
                    f"{head} — {crit.title} : {ind.text}",
                    criterion_id=crit.id, indicator_id=ind.id,
                )
                hint = hint_for(ref, ind)
                if hint.source == "referentiel":
                    # How a candidate would write about it: helps questions in everyday words.
                    add(
                        unit.id, "criteria", f"{ind.id}.hint", ind.text,
                        f"{head} — {crit.title} : {hint.query} ({', '.join(hint.keywords)})",
                        criterion_id=crit.id, indicator_id=ind.id,
                    )
    return out


class ReferentielIndex:
    """Hybrid search over one référentiel: dense vectors in Chroma, BM25 in memory."""

    def __init__(self, store: Store, ref: Referentiel) -> None:
        self.store = store
        self.ref = ref
        self.collection = collection_name("ref", ref.id)
        self.passages = referentiel_passages(ref)
        self._by_id = {p.id: p for p in self.passages}

    @cached_property
    def bm25(self) -> BM25:
        return BM25([tokens(p.text) for p in self.passages])

    def ensure_indexed(self, *, rebuild: bool = False) -> dict[str, int]:
        """Index the passages (idempotent: content-hash ids; stale passages removed)."""
        if rebuild:
            self.store.drop(self.collection)
        existing = set(self.store.get(self.collection)["ids"])
        wanted = {p.id for p in self.passages}
        missing = [p for p in self.passages if p.id not in existing]
        added = 0
        if missing:
            added = self.store.upsert(
                self.collection,
                [p.id for p in missing],
                [p.text for p in missing],
                [p.metadata for p in missing],
            )
        stale = sorted(existing - wanted)
        if stale:
            self.store.collection(self.collection).delete(ids=stale)
        return {"passages": len(self.passages), "added": added, "removed": len(stale)}

    def search(
        self,
        query: str,
        k: int = 8,
        *,
        unit: str | None = None,
        part: str | None = None,
        mode: str = "hybrid",
        lexical_query: str | None = None,
    ) -> list[Hit]:
        """Best passages for a query, optionally restricted to one unit and/or one part (the same
        metadata filter is applied by Chroma to the dense search and here to BM25)."""
        filters = {"unit": unit, "part": part}
        allowed = [
            i for i, p in enumerate(self.passages)
            if all(v is None or p.metadata.get(k) == v for k, v in filters.items())
        ]
        if not allowed:
            return []
        qvec = embed_array(self.store.embeddings, [query], query=True)[0]
        dense_hits = self.store.query(self.collection, qvec, k=len(allowed), filters=filters)
        dense = np.zeros(len(self.passages), dtype=np.float32)
        index_of = {p.id: i for i, p in enumerate(self.passages)}
        for pid, sim in dense_hits:
            if pid in index_of:
                dense[index_of[pid]] = sim
        lex = self.bm25.scores(tokens(lexical_query or query))
        dense_rank = sorted(allowed, key=lambda i: -dense[i])
        lex_rank = [i for i in sorted(allowed, key=lambda i: -lex[i]) if lex[i] > 0]
        if mode == "dense":
            fused = {i: float(dense[i]) for i in allowed}
        elif mode == "bm25":
            fused = {i: float(lex[i]) for i in lex_rank}
        else:
            fused = rrf([dense_rank, lex_rank])
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(self.passages[i], fused[i], float(dense[i]), float(lex[i])) for i in order]
