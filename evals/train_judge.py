"""Train the offline judge on the dev split and write ``assistant/data/judge_model.json``.

    python -m evals.train_judge [--cv]

Two logistic heads (scikit-learn) on standardised features: P(evidenced or partial) and
P(evidenced). Thresholds are chosen by leave-one-document-out cross-validation on the dev split to
maximise linear-weighted kappa; the held-out split is never read here.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.judging.features import FEATURES
from assistant.records.agreement import weighted_kappa
from evals.judge_dataset import feature_rows, labelled_docs

MODEL_PATH = Path(__file__).parents[1] / "assistant" / "data" / "judge_model.json"
ORDER = {"not_evidenced": 0, "partial": 1, "evidenced": 2}
C = 0.5


def fit_heads(X: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = (X - mean) / scale
    heads = {}
    for name, target in (("any", y >= 1), ("full", y >= 2)):
        lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(Z, target)
        heads[name] = {"coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])}
    return {"mean": mean.tolist(), "scale": scale.tolist(), **heads}


def predict(model: dict, X: np.ndarray, t_any: float, t_full: float) -> np.ndarray:
    Z = (X - np.array(model["mean"])) / np.array(model["scale"])
    p_any = 1 / (1 + np.exp(-(Z @ np.array(model["any"]["coef"]) + model["any"]["intercept"])))
    p_full = np.minimum(1 / (1 + np.exp(-(Z @ np.array(model["full"]["coef"]) + model["full"]["intercept"]))), p_any)
    return np.where(p_any < t_any, 0, np.where(p_full >= t_full, 2, 1))


def cross_validated(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Leave-one-document-out: the out-of-fold (p_any, p_full) for every row."""
    X = np.array([[r[f] for f in FEATURES] for r in rows])
    y = np.array([ORDER[r["label"]] for r in rows])
    docs = np.array([r["doc"] for r in rows])
    folds = []
    for d in sorted(set(docs)):
        test = docs == d
        folds.append((test, fit_heads(X[~test], y[~test])))
    return X, y, folds


def choose_thresholds(X: np.ndarray, y: np.ndarray, folds: list) -> tuple[float, float, float]:
    best = (0.5, 0.5, -1.0)
    for t_any in np.arange(0.3, 0.71, 0.05):
        for t_full in np.arange(0.3, 0.71, 0.05):
            pred = np.empty_like(y)
            for test, model in folds:
                pred[test] = predict(model, X[test], t_any, t_full)
            k = weighted_kappa(y, pred)
            if k > best[2]:
                best = (float(round(t_any, 2)), float(round(t_full, 2)), k)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="cross-validate only, write nothing")
    args = parser.parse_args()
    docs = labelled_docs("dev")
    with tempfile.TemporaryDirectory() as home:
        coach = Coach(Settings(home=Path(home)))
        rows = feature_rows(coach, docs)
    X, y, folds = cross_validated(rows)
    t_any, t_full, kappa = choose_thresholds(X, y, folds)
    pred = np.empty_like(y)
    for test, model in folds:
        pred[test] = predict(model, X[test], t_any, t_full)
    binary = float(np.mean((pred >= 1) == (y >= 1)))
    acc = float(np.mean(pred == y))
    print(f"dev rows: {len(rows)} from {len(docs)} documents; label counts: "
          f"{ {k: int((y == v).sum()) for k, v in ORDER.items()} }")
    print(f"leave-one-document-out on dev: binary {binary:.3f}, 3-class {acc:.3f}, kappa {kappa:.3f} "
          f"(thresholds any={t_any}, full={t_full}); 'evidenced everywhere' binary: {np.mean(y >= 1):.3f}")
    model = fit_heads(X, y)
    for head in ("any", "full"):
        ranked = sorted(zip(FEATURES, model[head]["coef"], strict=True), key=lambda kv: -abs(kv[1]))
        print(f"  {head}: " + ", ".join(f"{f}={w:+.2f}" for f, w in ranked[:6]))
    if args.dry_run:
        return
    out = {
        "version": datetime.now(UTC).strftime("%Y%m%d"),
        "trained_on": {"documents": len(docs), "rows": len(rows), "split": "dev"},
        "cv": {"binary": round(binary, 3), "accuracy": round(acc, 3), "kappa": round(kappa, 3)},
        "features": list(FEATURES),
        "thresholds": {"any": t_any, "full": t_full},
        **model,
    }
    MODEL_PATH.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(Path.cwd()) if MODEL_PATH.is_relative_to(Path.cwd()) else MODEL_PATH}")


if __name__ == "__main__":
    main()
