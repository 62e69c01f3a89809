"""Hybrid retrieval: dense similarity + BM25 over French-normalised tokens, fused by RRF."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
