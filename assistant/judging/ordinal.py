"""One ordinal decision per indicator: a cumulative-link (proportional odds) logistic model.

    P(verdict <= k | x) = sigmoid(cut_k - (w . z + offset[criterion]))     k = 0 (not evidenced), 1 (partial)

``z`` is the standardised feature vector; ``offset`` is a small, strongly regularised per-criterion
shift (zero for a criterion the model never saw, e.g. a new référentiel). The three probabilities
come from the two cumulative ones, so "partial" lies between the others by construction. Fitting
(``fit``) is used by ``evals/train_judge.py``; the product only calls ``probabilities``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LEVELS = ("not_evidenced", "partial", "evidenced")


def _sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _cuts(theta0: float, log_gap: float) -> tuple[float, float]:
    return theta0, theta0 + math.exp(log_gap)


def class_probabilities(eta: np.ndarray, cut0: float, cut1: float) -> np.ndarray:
    """(n, 3) probabilities of not evidenced / partial / evidenced for linear scores ``eta``."""
    c0 = _sigmoid(cut0 - eta)
    c1 = _sigmoid(cut1 - eta)
    return np.stack([c0, np.maximum(c1 - c0, 1e-12), 1.0 - c1], axis=-1)


def fit(
    X: np.ndarray,
    y: np.ndarray,
    criteria: Sequence[str],
    *,
    l2: float = 1.0,
    l2_offset: float = 8.0,
    sample_weight: np.ndarray | None = None,
    feature_names: Sequence[str] = (),
) -> dict:
    """Fit by penalised maximum likelihood (L-BFGS); returns a JSON-able model."""
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=int)
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = (X - mean) / scale
    crit_names = sorted(set(criteria))
    crit_index = np.array([crit_names.index(c) for c in criteria])
    n, d = Z.shape
    m = len(crit_names)
    w8 = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    onehot = np.zeros((n, m))
    onehot[np.arange(n), crit_index] = 1.0

    def unpack(p: np.ndarray):  # noqa: ANN202
        return p[:d], p[d : d + m], p[d + m], p[d + m + 1]

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        w, off, theta0, log_gap = unpack(p)
        gap = math.exp(log_gap)
        eta = Z @ w + onehot @ off
        a0 = theta0 - eta
        a1 = theta0 + gap - eta
        s0, s1 = _sigmoid(a0), _sigmoid(a1)
        p0, p1, p2 = s0, np.maximum(s1 - s0, 1e-12), np.maximum(1.0 - s1, 1e-12)
        p0 = np.maximum(p0, 1e-12)
        lik = np.where(y == 0, p0, np.where(y == 1, p1, p2))
        nll = -np.sum(w8 * np.log(lik)) / w8.sum()
        # d log-lik / d a0, d a1 per class
        ds0, ds1 = s0 * (1 - s0), s1 * (1 - s1)
        g_a0 = np.where(y == 0, ds0 / p0, np.where(y == 1, -ds0 / p1, 0.0))
        g_a1 = np.where(y == 0, 0.0, np.where(y == 1, ds1 / p1, -ds1 / p2))
        g_a0, g_a1 = -w8 * g_a0 / w8.sum(), -w8 * g_a1 / w8.sum()
        g_eta = -(g_a0 + g_a1)
        grad_w = Z.T @ g_eta + 2 * l2 * w / n
        grad_off = onehot.T @ g_eta + 2 * l2_offset * off / n
        grad = np.concatenate([grad_w, grad_off, [g_a0.sum() + g_a1.sum()], [g_a1.sum() * gap]])
        value = nll + (l2 * np.sum(w**2) + l2_offset * np.sum(off**2)) / n
        return value, grad

    p0 = np.concatenate([np.zeros(d + m), [-0.5, 0.0]])
    res = minimize(loss, p0, jac=True, method="L-BFGS-B")
    w, off, theta0, log_gap = unpack(res.x)
    cut0, cut1 = _cuts(float(theta0), float(log_gap))
    return {
        "kind": "cumulative_logit",
        "features": list(feature_names),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": w.tolist(),
        "offsets": {c: float(o) for c, o in zip(crit_names, off, strict=True)},
        "cuts": [cut0, cut1],
    }


def linear_scores(model: dict, X: np.ndarray, criteria: Sequence[str]) -> np.ndarray:
    Z = (np.asarray(X, dtype=float) - np.array(model["mean"])) / np.array(model["scale"])
    offsets = np.array([model["offsets"].get(c, 0.0) for c in criteria])
    return Z @ np.array(model["coef"]) + offsets


def predict_proba(model: dict, X: np.ndarray, criteria: Sequence[str]) -> np.ndarray:
    cut0, cut1 = model["cuts"]
    return class_probabilities(linear_scores(model, X, criteria), cut0, cut1)


def decide(probs: np.ndarray, shifts: Sequence[float] = (0.0, 0.0)) -> np.ndarray:
    """Ordinal decision on the cumulative probabilities: a verdict is at most k when P(<= k) is above
    one half, moved by ``shifts`` (chosen in cross-validation to trade leniency against severity)."""
    c0 = probs[..., 0]
    c1 = probs[..., 0] + probs[..., 1]
    return np.where(c0 >= 0.5 + shifts[0], 0, np.where(c1 >= 0.5 + shifts[1], 1, 2))


def probabilities(model: dict, features: dict[str, float], criterion: str) -> tuple[list[float], dict[str, float]]:
    """One indicator's class probabilities and each feature's pull on its score (for explanations)."""
    x = np.array([[features[f] for f in model["features"]]])
    probs = predict_proba(model, x, [criterion])[0]
    z = (x[0] - np.array(model["mean"])) / np.array(model["scale"])
    pulls = {f: float(wi * zi) for f, wi, zi in zip(model["features"], model["coef"], z, strict=True)}
    return [float(p) for p in probs], pulls
