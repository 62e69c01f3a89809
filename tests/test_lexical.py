"""The lexical reader: its terms, its TF-IDF arithmetic, what training learns, how the judge uses it,
and the cross-fitting that keeps its training scores honest. Small texts written here; no evaluation
document and no verdict of the shipped model is asserted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.domain.documents import Chunk
from assistant.judging import lexical
from assistant.judging.base import Candidate
from assistant.judging.lexical import LexicalReader, passage_text, terms


def cand(text: str, n: int = 0, heading: str | None = None) -> Candidate:
    return Candidate(Chunk(id=f"c{n}", index=n, page=n + 1, start=0, end=len(text), text=text, heading=heading),
                     score=1.0, dense=0.9, lexical=1.0)


def test_terms_are_folded_words_and_word_pairs():
    assert terms("Échéance fixée à Lyon") == ["echeance", "fixee", "lyon", "echeance fixee", "fixee lyon"]


def test_passage_text_reads_the_best_passages_with_their_headings():
    cands = [cand("Premier passage.", 0, heading="Objectifs"), cand("Deuxième.", 1), cand("Troisième.", 2)]
    assert passage_text(cands, n=2) == "Objectifs Premier passage.\nDeuxième."


def test_score_is_intercept_plus_weights_of_the_normalised_tfidf():
    reader = LexicalReader({"vocabulary": ["sera", "chaque"], "idf": [2.0, 1.0], "coef": [3.0, -1.0],
                            "intercept": -0.5})
    assert reader.score("rien de connu ici") == pytest.approx(-0.5)
    assert reader.score("sera") == pytest.approx(-0.5 + 3.0)  # one term: its normalised weight is 1
    # « sera » twice (tf 1 + ln 2, idf 2) and « chaque » once (tf 1, idf 1), l2-normalised
    a, b = (1 + math.log(2)) * 2.0, 1.0
    norm = math.hypot(a, b)
    assert reader.score("sera sera chaque") == pytest.approx(-0.5 + 3.0 * a / norm - 1.0 * b / norm)


def test_a_reader_with_mismatched_lengths_is_refused():
    with pytest.raises(ValueError, match="differ in length"):
        LexicalReader({"vocabulary": ["a"], "idf": [1.0, 2.0], "coef": [1.0], "intercept": 0.0})


def test_training_learns_which_wording_goes_with_gaps():
    gap_texts = ["le budget sera défini plus tard", "il faudra encore fixer le calendrier plus tard",
                 "les objectifs seront précisés plus tard"] * 3
    met_texts = ["chaque action a son coût et sa date", "trois étapes datées, chaque jalon a son responsable",
                 "chaque objectif est chiffré et daté"] * 3
    reader = LexicalReader(lexical.fit(gap_texts + met_texts, [1] * 9 + [0] * 9))
    assert reader.score("le plan sera complété plus tard") > 0 > reader.score("chaque étape a sa date")


def test_cross_fitted_scores_never_come_from_a_reader_that_saw_the_row():
    from evals.train_judge import cross_fitted

    # Each group has its own word, perfectly tied to its label: a reader that saw the group would score
    # its gap rows above its other rows; one that did not sees no known word and gives them one score.
    texts, gap, groups = [], [], []
    for g in range(8):
        for i in range(4):
            texts.append(terms(f"mot{g} commun"))
            gap.append((g + i) % 2)
            groups.append(f"g{g}")
    scores = cross_fitted(texts, np.array(gap), np.array(groups), np.arange(len(texts)))
    for g in range(8):
        rows = [i for i in range(len(texts)) if groups[i] == f"g{g}"]
        assert len({round(scores[i], 9) for i in rows}) == 1


def test_the_judge_adds_the_reader_score_and_it_moves_the_verdict():
    from assistant.judging.base import IndicatorContext
    from assistant.judging.features import FEATURES
    from assistant.judging.hints import hint_for
    from assistant.judging.offline import TEXT_FEATURE, OfflineJudge
    from assistant.knowledge.registry import bundled_referentiel

    names = [*FEATURES, TEXT_FEATURE]
    model = {"kind": "cumulative_logit", "features": names, "mean": [0.0] * len(names),
             "scale": [1.0] * len(names), "coef": [0.0] * len(FEATURES) + [-4.0], "offsets": {},
             "cuts": [-1.0, 1.0], "shifts": [0.0, 0.0], "review_below": 0.0,
             "lexical": {"vocabulary": ["plus tard"], "idf": [1.0], "coef": [2.0], "intercept": -1.0}}
    ref = bundled_referentiel()
    crit = ref.unit("2").criteria[0]
    ind = crit.indicators[0]
    judge = OfflineJudge(model)

    def verdict(text: str) -> tuple[str, float]:
        ctx = IndicatorContext(unit=ref.unit("2"), criterion=crit, indicator=ind, hint=hint_for(ref, ind),
                               document=None, candidates=[cand(text)], features=dict.fromkeys(FEATURES, 0.0))
        result = judge.judge(ctx)
        return result.verdict, result.signals[TEXT_FEATURE]

    assert verdict("Le budget est arrêté poste par poste.") == ("evidenced", -1.0)
    assert verdict("Le budget sera arrêté plus tard.") == ("not_evidenced", 1.0)
    without = {k: v for k, v in model.items() if k != "lexical"}
    with pytest.raises(ValueError, match="lexical reader"):
        OfflineJudge(without)


def test_the_shipped_model_reads_text_with_its_own_reader():
    from assistant.judging.offline import TEXT_FEATURE, load_model

    model = load_model()
    assert TEXT_FEATURE in model["features"]
    reader = LexicalReader(model["lexical"])
    assert len(reader.vocabulary) > 1000
