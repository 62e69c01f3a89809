"""A lexical reader of the passages retrieved for one indicator: how much they read like a gap.

The checklist (``checklist.py``) asks whether each element the indicator demands is *there*; a juror's
« partiel » is mostly about *how* it is there: announced for later (« il faudra », « sera défini »),
generic (« les réseaux sociaux », « plusieurs actions »), or stated with the precise, reasoned wording
of a finished answer (« chaque », « trois », « pourquoi », « sans »). This reader is a TF-IDF logistic
model over the words and word pairs of the indicator's own best passages, trained by
``evals/train_judge.py`` on labelled drafts (gap = juror « partiel » or « non démontré ») and shipped
inside the judge model as plain numbers. Its score is one feature of the ordinal decision, never a
verdict on its own; it reads only the indicator's passages, never the whole document.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from assistant.judging.base import Candidate
from assistant.text.french import fold

PASSAGES = 5  # the best passages of an indicator the reader reads
_WORD = re.compile(r"\b\w\w+\b")


def passage_text(candidates: Sequence[Candidate], n: int = PASSAGES) -> str:
    """The text the reader reads for one indicator: its best passages, headings included."""
    return "\n".join(f"{c.chunk.heading or ''} {c.chunk.text}".strip() for c in candidates[:n])


def terms(text: str) -> list[str]:
    """Folded words of two letters or more, and each pair of consecutive words."""
    words = _WORD.findall(fold(text))
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def vector(text_terms: list[str], vocabulary: dict[str, int], idf: Sequence[float]) -> dict[int, float]:
    """Sparse TF-IDF vector (sublinear tf, l2-normalised) of a text's ``terms`` over a fixed vocabulary."""
    counts = Counter(t for t in text_terms if t in vocabulary)
    weights = {vocabulary[t]: (1.0 + math.log(c)) * idf[vocabulary[t]] for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {i: w / norm for i, w in weights.items()} if norm else {}


class LexicalReader:
    """The trained reader: ``score`` is the log-odds that a juror finds a gap in these passages."""

    def __init__(self, data: dict) -> None:
        vocab = data["vocabulary"]
        if not (len(vocab) == len(data["idf"]) == len(data["coef"])):
            raise ValueError("lexical reader: vocabulary, idf and coef differ in length")
        self.vocabulary = {t: i for i, t in enumerate(vocab)}
        self.idf = list(data["idf"])
        self.coef = list(data["coef"])
        self.intercept = float(data["intercept"])

    def score(self, text: str) -> float:
        return self.score_terms(terms(text))

    def score_terms(self, text_terms: list[str]) -> float:
        vec = vector(text_terms, self.vocabulary, self.idf)
        return self.intercept + sum(self.coef[i] * w for i, w in vec.items())


def _given(text_terms: list[str]) -> list[str]:
    return text_terms


def fit(texts: Sequence[str] | Sequence[list[str]], gap: Sequence[int], *, c: float = 1.0, min_df: int = 3,
        max_terms: int = 20000, analyzed: bool = False) -> dict:
    """Train a reader (scikit-learn, at training time only) and return it as plain JSON-able numbers.
    ``analyzed``: the texts are given as their ``terms`` already."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=_given if analyzed else terms, min_df=min_df, sublinear_tf=True,
                          max_features=max_terms)
    X = vec.fit_transform(list(texts))
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(X, np.asarray(gap))
    vocab = vec.get_feature_names_out()
    return {"kind": "tfidf_logistic", "vocabulary": [str(t) for t in vocab],
            "idf": [round(float(x), 5) for x in vec.idf_], "coef": [round(float(x), 5) for x in lr.coef_[0]],
            "intercept": float(lr.intercept_[0]), "c": c, "min_df": min_df}
