"""The default judge: deterministic, offline, learned from labelled examples.

Two logistic heads over the features of ``features.py`` (trained by ``evals/train_judge.py``, shipped
as plain JSON): P(the indicator is at least partly evidenced) and P(it is fully evidenced). The
verdict follows thresholds chosen on the training documents; every verdict carries its features and
the weight each one pulled with, so feedback can explain it and jurors can trust it.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

from assistant.judging.base import IndicatorContext, IndicatorResult
from assistant.judging.features import FEATURES

MODEL_FILE = "judge_model.json"


@lru_cache(maxsize=1)
def load_model() -> dict:
    path = resources.files("assistant").joinpath("data", MODEL_FILE)
    return json.loads(path.read_text(encoding="utf-8"))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


class OfflineJudge:
    name = "offline"

    def __init__(self, model: dict | None = None) -> None:
        self.model = model if model is not None else load_model()
        missing = [f for f in self.model["features"] if f not in FEATURES]
        if missing:
            raise ValueError(f"judge model uses unknown features: {missing}")

    def probabilities(self, features: dict[str, float]) -> tuple[float, float, dict[str, float]]:
        m = self.model
        x = [(features[f] - mu) / sd for f, mu, sd in zip(m["features"], m["mean"], m["scale"], strict=True)]
        contrib = {}
        heads = []
        for head in ("any", "full"):
            w, b = m[head]["coef"], m[head]["intercept"]
            z = b + sum(wi * xi for wi, xi in zip(w, x, strict=True))
            heads.append(_sigmoid(z))
            if head == "any":
                contrib = {f: wi * xi for f, wi, xi in zip(m["features"], w, x, strict=True)}
        p_any, p_full = heads
        return p_any, min(p_full, p_any), contrib

    def judge(self, ctx: IndicatorContext) -> IndicatorResult:
        base = {
            "indicator_id": ctx.indicator.id,
            "criterion_id": ctx.criterion.id,
            "looked_for": list(ctx.hint.signals),
            "found": list(ctx.found_kinds),
            "pages_examined": sorted({c.chunk.page for c in ctx.candidates[:3]}),
            "judge": self.name,
        }
        if not ctx.hint.written:
            return IndicatorResult(verdict="not_assessable", confidence=1.0, **base)
        p_any, p_full, contrib = self.probabilities(ctx.features)
        t_any, t_full = self.model["thresholds"]["any"], self.model["thresholds"]["full"]
        if p_any < t_any:
            verdict, confidence = "not_evidenced", 1.0 - p_any
        elif p_full >= t_full:
            verdict, confidence = "evidenced", p_full
        else:
            verdict, confidence = "partial", max(p_any - p_full, 0.34)
        signals = {k: round(v, 3) for k, v in ctx.features.items()}
        signals.update({"p_any": round(p_any, 3), "p_full": round(p_full, 3)})
        top = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:3]
        signals.update({f"pull_{k}": round(v, 3) for k, v in top})
        return IndicatorResult(verdict=verdict, confidence=round(float(confidence), 3), signals=signals, **base)
