"""Retrieval of a document's passages for an indicator, and the features a judge looks at.

One ``DocumentEvidence`` per assessed document: its chunks, their vectors (from the store), a BM25
index and document-wide signal counts, all computed once. For each indicator it retrieves candidate
passages (dense on the indicator's wording and on the hint's candidate-like query, plus BM25 on the
indicator and its keywords, fused by RRF) and turns them into a small feature vector.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.domain.documents import Chunk, ExtractedDocument
from assistant.domain.referentiel import Criterion, Indicator, Unit
from assistant.judging.base import Candidate
from assistant.judging.checklist import ChecklistResult, checklist_for, evaluate
from assistant.judging.hints import Hint
from assistant.judging.signals import count_signals, words
from assistant.models.embeddings import embed_array
from assistant.text.french import tokens
from assistant.text.retrieval import BM25, rrf

SPECIFIC_KINDS = ("figures", "percent", "amounts", "dates", "names", "sources")
TOP_K = 3
CHECK_K = 8  # passages whose sentences the checklist reads
CHECK_MARGIN = 0.08  # ... when their dense score is within this of the best one, or they match lexically

# Every feature is local to the indicator: computed on the passages retrieved for it. The document as
# a whole only serves as a normaliser (dense_z, spec_rel), never as evidence.
FEATURES = (
    "dense_hint",
    "dense_z",
    "lex_top",
    "kw_cov",
    "ck_cov",
    "ck_missing",
    "ck_strength",
    "ck_pair",
    "ck_plural",
    "defer_top",
    "defer_key",
    "conflict",
    "vague_top",
    "hedge_top",
    "topic_sents",
    "topic_spec",
    "topic_hedged",
    "spec_rel",
    "n_relevant",
)
def _per100(count: float, n_words: int) -> float:
    return math.log1p(100.0 * count / max(n_words, 20))


class DocumentEvidence:
    def __init__(
        self,
        document: ExtractedDocument,
        chunks: list[Chunk],
        vectors: np.ndarray,
        embeddings: Embeddings,
        *,
        excluded: set[str] | None = None,
    ) -> None:
        self.document = document
        self.embeddings = embeddings
        keep = [i for i, c in enumerate(chunks) if c.id not in (excluded or set())]
        self.chunks = [chunks[i] for i in keep]
        self.index = {c.id: i for i, c in enumerate(self.chunks)}
        self.vectors = np.asarray(vectors, dtype=np.float32)[keep] if len(keep) else np.zeros((0, 384))
        self.bm25 = BM25([tokens(f"{c.heading or ''} {c.text}") for c in self.chunks])
        self.chunk_signals = [count_signals(c.text) for c in self.chunks]
        self.chunk_words = [words(c.text) for c in self.chunks]
        total: Counter[str] = Counter()
        for s in self.chunk_signals:
            total.update(s)
        self.doc_signals = dict(total)
        self.doc_words = sum(self.chunk_words)

    def query_vectors(self, texts: list[str]) -> np.ndarray:
        return embed_array(self.embeddings, texts, query=True)

    def retrieve(
        self, unit: Unit, criterion: Criterion, indicator: Indicator, hint: Hint, qvecs: np.ndarray, k: int = 8
    ) -> tuple[list[Candidate], dict[str, float]]:
        """Candidate passages for one indicator, best first, and the retrieval features."""
        if not self.chunks:
            return [], {"dense_ind": 0.0, "dense_hint": 0.0, "dense_z": 0.0, "lex_top": 0.0}
        sims_ind = self.vectors @ qvecs[0]
        sims_hint = self.vectors @ qvecs[1]
        dense = np.maximum(sims_ind, sims_hint)
        lex_query = tokens(" ".join([indicator.text, *hint.keywords]))
        lex = self.bm25.scores(lex_query)
        order_dense = list(np.argsort(-dense))
        order_lex = [int(i) for i in np.argsort(-lex) if lex[i] > 0]
        fused = rrf([order_dense, order_lex])
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        cands = [Candidate(self.chunks[i], fused[i], float(dense[i]), float(lex[i])) for i in order]
        std = float(sims_hint.std()) or 1e-6
        feats = {
            "dense_ind": float(sims_ind.max()),
            "dense_hint": float(sims_hint.max()),
            "dense_z": float((sims_hint.max() - sims_hint.mean()) / std) if len(sims_hint) > 1 else 0.0,
            "lex_top": float(lex.max() / max(len(set(lex_query)), 1)),
        }
        close = (dense >= dense.max() - 0.03) & (lex > 0)
        feats["n_relevant"] = math.log1p(int(close.sum()))
        return cands, feats

    def checklist_passages(self, cands: list[Candidate]) -> list[Candidate]:
        """The retrieved passages the checklist reads: the best ones, wherever they sit in the document."""
        if not cands:
            return []
        best = max(c.dense for c in cands)
        return [c for c in cands[:CHECK_K] if c.dense >= best - CHECK_MARGIN or c.lexical > 0]

    def features(
        self, cands: list[Candidate], indicator: Indicator, hint: Hint, retrieval: dict[str, float]
    ) -> tuple[dict[str, float], list[str], ChecklistResult]:
        """The feature vector for one indicator, the signal kinds found in its passages, and its checklist."""
        top = cands[:TOP_K]
        top_counts: Counter[str] = Counter()
        top_words = 0
        text = []
        for cand in top:
            i = self.index[cand.chunk.id]
            top_counts.update(self.chunk_signals[i])
            top_words += self.chunk_words[i]
            text.append(f"{cand.chunk.heading or ''} {cand.chunk.text}")
        found = [k for k in hint.signals if top_counts.get(k, 0) > 0]
        kw = [set(tokens(k)) for k in hint.keywords]
        top_tokens = set(tokens(" ".join(text)))
        kw_cov = sum(1 for k in kw if k and k <= top_tokens) / len(kw) if kw else 0.0
        topic = set(tokens(" ".join([indicator.text, *hint.keywords])))
        keys = set(tokens(" ".join(hint.keywords))) or topic
        check = evaluate(checklist_for(indicator, hint), self.checklist_passages(cands), topic, keys)
        spec_top = _per100(sum(top_counts.get(k, 0) for k in SPECIFIC_KINDS), top_words)
        spec_doc = _per100(sum(self.doc_signals.get(k, 0) for k in SPECIFIC_KINDS), self.doc_words)
        feats = dict(retrieval)
        feats.update(
            {
                "kw_cov": kw_cov,
                "ck_cov": check.coverage,
                "ck_missing": float(len(check.missing)),
                "ck_strength": check.strength,
                "ck_pair": check.pair_ratio,
                "ck_plural": check.plural_shortfall,
                "defer_top": math.log1p(len(check.deferrals)),
                "defer_key": math.log1p(len(check.key_deferrals)),
                "conflict": float(check.conflict),
                "vague_top": _per100(top_counts.get("vague", 0), top_words),
                "spec_rel": spec_top - spec_doc,
                "hedge_top": _per100(top_counts.get("hedge", 0), top_words),
                "topic_sents": math.log1p(len(check.on_topic)),
                "topic_spec": (math.log1p(sum(x.specific for x in check.on_topic) / len(check.on_topic))
                               if check.on_topic else 0.0),
                "topic_hedged": (sum(x.hedged for x in check.on_topic) / len(check.on_topic)
                                 if check.on_topic else 0.0),
            }
        )
        feats.setdefault("n_relevant", 0.0)
        return {name: float(feats.get(name, 0.0)) for name in FEATURES}, found, check
