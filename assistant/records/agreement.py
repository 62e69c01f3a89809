"""Agreement metrics shared by the evals and the juror statistics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def weighted_kappa(a: Sequence[int], b: Sequence[int], n_classes: int = 3) -> float:
    """Cohen's kappa with linear weights between two ordinal ratings (0..n_classes-1)."""
    a, b = np.asarray(a, dtype=int), np.asarray(b, dtype=int)
    if len(a) == 0:
        return float("nan")
    obs = np.zeros((n_classes, n_classes))
    for x, y in zip(a, b, strict=True):
        obs[x, y] += 1
    obs /= obs.sum()
    exp = np.outer(obs.sum(axis=1), obs.sum(axis=0))
    idx = np.arange(n_classes)
    w = np.abs(idx[:, None] - idx[None, :]) / (n_classes - 1)
    denom = (w * exp).sum()
    return float(1 - (w * obs).sum() / denom) if denom > 0 else 1.0
