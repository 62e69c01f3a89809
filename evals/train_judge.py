"""Train the offline judge on the dev split and write ``assistant/data/judge_model.json``.

    python -m evals.train_judge [--dry-run]

One ordinal model (cumulative logit, ``assistant/judging/ordinal.py``) over the checklist features and
the lexical reader's score (``assistant/judging/lexical.py``). The reader is trained first; the score
each training row gets comes from a reader that did not see that row's group (cross-fitting, 4 grouped
folds), so the ordinal model learns how far to trust it on text it has not read.
Honest figures, all on the dev split (the held-out split is never read here):
- grouped cross-validation: 10 folds of whole document groups (a minimal pair stays together); inside
  each training fold, the reader is refitted, cross-fitted, and the decision shifts are chosen by an inner
  grouped cross-validation;
- leave-one-unit-out: each unit judged by a model trained on the five others (a unit the model never
  saw is what a new référentiel looks like); its criteria get no offset;
- leave-one-batch-out: the drafts were written in several sessions, by different writers from different
  briefs; each session judged by a model trained on the others (what new writers look like).
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.judging import lexical, ordinal
from assistant.judging.features import FEATURES as CONTEXT_FEATURES
from assistant.judging.offline import TEXT_FEATURE, drops_a_level
from evals.metrics import ORDER, batch_order, line, scores

MODEL_PATH = Path(__file__).parents[1] / "assistant" / "data" / "judge_model.json"
ROWS_CACHE = Path(__file__).parent / "results" / "judge_rows.json"
L2, L2_OFFSET = 2.0, 5.0
SHIFT_GRID = np.round(np.arange(-0.25, 0.251, 0.05), 2)
INNER_FOLDS = 4
CV_FOLDS = 10
REVIEW_BELOW = 0.5
FEATURES = (*CONTEXT_FEATURES, TEXT_FEATURE)
TEXT_C, TEXT_FOLDS = 1.0, 4


def load_rows(split: str = "dev") -> list[dict]:
    from assistant.assessment.coach import Coach
    from assistant.config.settings import Settings
    from evals.judge_dataset import feature_rows, labelled_docs

    docs = labelled_docs(split)
    with tempfile.TemporaryDirectory() as home:
        return feature_rows(Coach(Settings(home=Path(home))), docs)


def arrays(rows: list[dict]):  # noqa: ANN201
    """Features (the text score, last, left at 0 and filled by ``with_text``), labels, criteria, groups."""
    X = np.array([[r[f] for f in CONTEXT_FEATURES] + [0.0] for r in rows], dtype=float)
    y = np.array([ORDER[r["label"]] for r in rows])
    return X, y, [r["criterion"] for r in rows], np.array([r["group"] for r in rows])


def class_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y, minlength=3).astype(float)
    w = (len(y) / (3 * np.maximum(counts, 1))) ** 0.5  # half-way to balanced
    return w[y]


def fit(X, y, crits, *, offsets: bool = True) -> dict:  # noqa: ANN001
    return ordinal.fit(X, y, crits if offsets else ["all"] * len(y), l2=L2, l2_offset=L2_OFFSET,
                       sample_weight=class_weights(y), feature_names=FEATURES)


def objective(y: np.ndarray, pred: np.ndarray) -> float:
    s = scores(y, pred)
    return s["kappa"]


def folds_of(groups: np.ndarray, k: int) -> list[np.ndarray]:
    """Deterministic grouped folds: groups sorted by name, dealt round-robin."""
    names = sorted(set(groups))
    return [np.isin(groups, names[i::k]) for i in range(min(k, len(names)))]


def choose_shifts(X, y, crits, groups, *, offsets: bool = True) -> tuple[float, float]:  # noqa: ANN001
    """Decision shifts maximising kappa on inner out-of-fold probabilities (training rows only)."""
    probs = np.zeros((len(y), 3))
    crits = np.array(crits)
    for test in folds_of(groups, INNER_FOLDS):
        model = fit(X[~test], y[~test], list(crits[~test]), offsets=offsets)
        probs[test] = ordinal.predict_proba(model, X[test], list(crits[test]))
    best, best_score = (0.0, 0.0), -1.0
    for s0, s1 in itertools.product(SHIFT_GRID, SHIFT_GRID):
        score = objective(y, with_drop_rule(X, ordinal.decide(probs, (s0, s1))))
        if score > best_score + 1e-9:
            best, best_score = (float(s0), float(s1)), score
    return best


def with_drop_rule(X: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The product's rule on top of the model (``OfflineJudge``): a deferred subject is not « evidenced »."""
    drop = np.array([drops_a_level(dict(zip(FEATURES, x, strict=True))) for x in X], dtype=bool)
    return np.where((pred == 2) & drop, 1, pred)


def reader_scores(texts: list[list[str]], gap: np.ndarray, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Scores of the ``test`` rows by a reader trained on the ``train`` rows only."""
    reader = lexical.LexicalReader(lexical.fit([texts[i] for i in train], gap[train], c=TEXT_C, analyzed=True))
    return np.array([reader.score_terms(texts[i]) for i in test])


def cross_fitted(texts: list[list[str]], gap: np.ndarray, groups: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Scores of ``rows``, each by a reader trained on the other groups among ``rows``."""
    out = np.zeros(len(rows))
    for test in folds_of(groups[rows], TEXT_FOLDS):
        out[test] = reader_scores(texts, gap, rows[~test], rows[test])
    return out


def with_text(X: np.ndarray, texts, gap, groups, train: np.ndarray, test: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """X with the text score filled in: cross-fitted on the training rows, by the training reader on the test ones."""
    X = X.copy()
    tr, te = np.where(train)[0], np.where(test)[0]
    X[tr, -1] = cross_fitted(texts, gap, groups, tr)
    X[te, -1] = reader_scores(texts, gap, tr, te)
    return X


def out_of_fold(X, y, crits, groups, tests: list[np.ndarray], *, offsets: bool = True, texts=None) -> np.ndarray:  # noqa: ANN001
    pred = np.full(len(y), -1)
    crits = np.array(crits)
    X0 = X
    for test in tests:
        train = ~test
        X = with_text(X0, texts, (y < 2).astype(int), groups, train, test) if texts is not None else X0
        shifts = choose_shifts(X[train], y[train], list(crits[train]), groups[train], offsets=offsets)
        model = fit(X[train], y[train], list(crits[train]), offsets=offsets)
        pred[test] = ordinal.decide(ordinal.predict_proba(model, X[test], list(crits[test])), shifts)
    return with_drop_rule(X0, pred)


def analysed(rows: list[dict]) -> list[list[str]]:
    return [lexical.terms(r["text"]) for r in rows]


def report(rows: list[dict], *, verbose: bool = True) -> dict:
    X, y, crits, groups = arrays(rows)
    texts = analysed(rows)
    units = np.array([r["unit"] for r in rows])
    batches = np.array([r.get("batch", "") for r in rows])
    batch_names = sorted(set(batches), key=batch_order)
    cv_tests = folds_of(groups, CV_FOLDS)
    cv = out_of_fold(X, y, crits, groups, cv_tests, texts=texts)
    louo = out_of_fold(X, y, crits, groups, [units == u for u in sorted(set(units))], offsets=False, texts=texts)
    lobo = out_of_fold(X, y, crits, groups, [batches == b for b in batch_names], texts=texts)
    out = {"cv": scores(y, cv), "louo": scores(y, louo), "lobo": scores(y, lobo),
           "cv_by_unit": {u: scores(y[units == u], cv[units == u]) for u in sorted(set(units))},
           "louo_by_unit": {u: scores(y[units == u], louo[units == u]) for u in sorted(set(units))},
           "lobo_by_batch": {b: scores(y[batches == b], lobo[batches == b]) for b in batch_names}}
    if verbose:
        print(f"dev: {len(rows)} labelled indicators from {len(set(r['doc'] for r in rows))} documents "
              f"({len(set(groups))} groups); labels not/partial/evidenced = {np.bincount(y, minlength=3).tolist()}")
        print(line(f"grouped CV ({CV_FOLDS} folds)", out["cv"]))
        print(line("leave-one-unit-out", out["louo"]))
        print(line("leave-one-batch-out (new writers)", out["lobo"]))
        for b in batch_names:
            print(line(f"  batch {b} unseen (LOBO)", out["lobo_by_batch"][b]))
        for u in sorted(set(units)):
            print(line(f"  unit {u} CV", out["cv_by_unit"][u]))
            print(line(f"  unit {u} unseen (LOUO)", out["louo_by_unit"][u]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="cross-validate only, write nothing")
    parser.add_argument("--cached", action="store_true", help="reuse the feature rows of the last run")
    args = parser.parse_args()
    if args.cached and ROWS_CACHE.exists():
        rows = json.loads(ROWS_CACHE.read_text())
    else:
        rows = load_rows("dev")
        ROWS_CACHE.parent.mkdir(parents=True, exist_ok=True)
        ROWS_CACHE.write_text(json.dumps(rows))
    figures = report(rows)
    X, y, crits, groups = arrays(rows)
    texts, gap = analysed(rows), (y < 2).astype(int)
    everything = np.arange(len(y))
    X[:, -1] = cross_fitted(texts, gap, groups, everything)
    shifts = choose_shifts(X, y, crits, groups)
    model = fit(X, y, crits)
    model["lexical"] = lexical.fit(texts, gap, c=TEXT_C, analyzed=True)
    ranked = sorted(zip(FEATURES, model["coef"], strict=True), key=lambda kv: -abs(kv[1]))
    print("  weights: " + ", ".join(f"{f}={w:+.2f}" for f, w in ranked))
    print(f"  decision shifts: {shifts}")
    if args.dry_run:
        return
    out = {
        "version": datetime.now(UTC).strftime("%Y%m%d"),
        "trained_on": {"documents": len({r['doc'] for r in rows}), "rows": len(rows), "split": "dev"},
        "cv": figures["cv"], "louo": figures["louo"], "lobo": figures["lobo"],
        **model,
        "shifts": list(shifts),
        "review_below": REVIEW_BELOW,
        "conflict_drop": True,
    }
    MODEL_PATH.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {MODEL_PATH.name}")


if __name__ == "__main__":
    main()
