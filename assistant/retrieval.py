"""Hybrid retrieval: dense similarity + BM25 over French-normalised tokens, fused by RRF."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.french import tokens

RRF_K = 60


@dataclass(frozen=True)
class Passage:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused score (RRF)
    dense: float  # cosine similarity (0 when not computed)
    lexical: float  # BM25 score


class BM25:
    """Okapi BM25 over pre-tokenised documents, with an inverted index."""

    def __init__(self, docs: Sequence[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if self.n else 0.0
        self.norm = k1 * (1 - b + b * lengths / avg) if avg else lengths
        self.k1 = k1
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        tmp: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(docs):
            for t, f in Counter(d).items():
                tmp.setdefault(t, []).append((i, f))
        for t, plist in tmp.items():
            idx = np.array([i for i, _ in plist], dtype=np.int64)
            tf = np.array([f for _, f in plist], dtype=np.float32)
            self.postings[t] = (idx, tf)
        self.idf = {t: math.log(1 + (self.n - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for t in set(query):
            posting = self.postings.get(t)
            if posting is None:
                continue
            idx, tf = posting
            out[idx] += self.idf[t] * tf * (self.k1 + 1) / (tf + self.norm[idx])
        return out


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion of several rankings (lists of indices, best first)."""
    fused: dict[int, float] = {}
    for r, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[r]
        for rank, idx in enumerate(ranking):
            fused[idx] = fused.get(idx, 0.0) + w / (k + rank + 1)
    return fused


class PassageIndex:
    """An in-memory hybrid index over a small set of passages with their vectors.

    Used for one candidate document (dense vectors come from the store) and for the référentiel.
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        vectors: np.ndarray,
        *,
        lexical_text: Callable[[Passage], str] | None = None,
    ) -> None:
        self.passages = list(passages)
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(len(self.passages), -1)
        get_text = lexical_text or (lambda p: p.text)
        self.bm25 = BM25([tokens(get_text(p)) for p in self.passages])

    def __len__(self) -> int:
        return len(self.passages)

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        if not self.passages:
            return np.zeros(0, dtype=np.float32)
        return self.vectors @ np.asarray(query_vector, dtype=np.float32)

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        k: int = 8,
        *,
        where: Callable[[Passage], bool] | None = None,
        lexical_weight: float = 1.0,
        mode: str = "hybrid",
    ) -> list[Hit]:
        allowed = [i for i, p in enumerate(self.passages) if where is None or where(p)]
        if not allowed:
            return []
        dense = self.dense_scores(query_vector)
        lex = self.bm25.scores(tokens(query))
        dense_rank = sorted(allowed, key=lambda i: -dense[i])
        lex_rank = [i for i in sorted(allowed, key=lambda i: -lex[i]) if lex[i] > 0]
        if mode == "dense":
            fused = {i: float(dense[i]) for i in allowed}
        elif mode == "bm25":
            fused = {i: float(lex[i]) for i in lex_rank}
        else:
            fused = rrf([dense_rank, lex_rank], weights=[1.0, lexical_weight])
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(self.passages[i], fused[i], float(dense[i]), float(lex[i])) for i in order]
