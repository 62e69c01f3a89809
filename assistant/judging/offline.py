"""The default judge: deterministic, offline, learned from labelled examples.

Each indicator is judged on its own evidence: the checklist features of the passages retrieved for it
(``features.py``, ``checklist.py``) and the lexical reader's score of those same passages
(``lexical.py``: do they read like a finished answer or like a gap?) go into one ordinal model
(``ordinal.py``, trained by ``evals/train_judge.py``, shipped as plain JSON). The verdict is the
ordinal decision; its confidence is the probability of that verdict, and a verdict below the review
threshold is marked « à vérifier ».
When the document shows the element on one page and defers it on another, the verdict drops one level
and both passages are quoted. Every verdict carries its features, probabilities, the features that
pulled hardest, and a sentence naming the elements found and missing.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from assistant.judging.base import IndicatorContext, IndicatorResult
from assistant.judging.checklist import ChecklistResult
from assistant.judging.explain import checklist_quotes, explain
from assistant.judging.features import FEATURES
from assistant.judging.grounding import shorten
from assistant.judging.lexical import LexicalReader, passage_text
from assistant.judging.ordinal import LEVELS, decide, probabilities

MODEL_FILE = "judge_model.json"
TEXT_FEATURE = "text_gap"  # the lexical reader's score, computed by the judge from the passages


def fingerprint(referentiel_id: str) -> str:
    """A digest of everything data-side that changes a verdict: the trained model, the référentiel's
    hints and checklists, and the generic rules. Two results with the same fingerprint are comparable."""
    import hashlib

    from assistant.config.prompting import load_yaml, prompt_exists

    parts = [json.dumps(load_model(), sort_keys=True)]
    for name in (f"hints/{referentiel_id}.yaml", "rules/generic.yaml", "rules/checklist.yaml"):
        parts.append(json.dumps(load_yaml(name), sort_keys=True, default=str) if prompt_exists(name) else "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def drops_a_level(features: dict[str, float]) -> bool:
    """An « evidenced » verdict drops to « partial » when the best passages also defer the indicator's own
    subject, or when one page shows it and another defers it: both are quoted and a juror decides."""
    return features.get("defer_key", 0.0) > 0 or features.get("conflict", 0.0) > 0


@lru_cache(maxsize=1)
def load_model() -> dict:
    path = resources.files("assistant").joinpath("data", MODEL_FILE)
    return json.loads(path.read_text(encoding="utf-8"))


class OfflineJudge:
    name = "offline"

    def __init__(self, model: dict | None = None) -> None:
        self.model = model if model is not None else load_model()
        if self.model.get("kind") != "cumulative_logit":
            raise ValueError("judge model: expected a cumulative_logit model (retrain with evals/train_judge.py)")
        missing = [f for f in self.model["features"] if f not in (*FEATURES, TEXT_FEATURE)]
        if missing:
            raise ValueError(f"judge model uses unknown features: {missing}")
        self.reader = LexicalReader(self.model["lexical"]) if self.model.get("lexical") else None
        if TEXT_FEATURE in self.model["features"] and self.reader is None:
            raise ValueError("judge model: the text_gap feature needs its lexical reader (retrain)")

    def with_text(self, features: dict[str, float], candidates) -> dict[str, float]:  # noqa: ANN001
        """The context's features plus the lexical reader's score of the same passages."""
        if self.reader is None:
            return dict(features)
        return {**features, TEXT_FEATURE: self.reader.score(passage_text(candidates))}

    def decide(self, features: dict[str, float], criterion_id: str, check: ChecklistResult | None):  # noqa: ANN201
        """(verdict, confidence, probabilities, pulls, conflict_applied) for one indicator."""
        import numpy as np

        probs, pulls = probabilities(self.model, features, criterion_id)
        level = int(decide(np.array(probs), self.model.get("shifts", (0.0, 0.0))))
        conflict = level == 2 and self.model.get("conflict_drop", True) and drops_a_level(features)
        if conflict:
            level = 1
        return LEVELS[level], probs[level], probs, pulls, conflict

    def judge(self, ctx: IndicatorContext) -> IndicatorResult:
        check = ctx.checklist if isinstance(ctx.checklist, ChecklistResult) else None
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
        features = self.with_text(ctx.features, ctx.candidates)
        verdict, confidence, probs, pulls, conflict = self.decide(features, ctx.criterion.id, check)
        signals = {k: round(v, 3) for k, v in features.items()}
        signals.update({f"p_{name}": round(p, 3) for name, p in zip(LEVELS, probs, strict=True)})
        top = sorted(pulls.items(), key=lambda kv: -abs(kv[1]))[:3]
        signals.update({f"pull_{k}": round(v, 3) for k, v in top})
        if conflict:
            signals["conflict_drop"] = 1.0
        evidence = [e.model_copy(update={"quote": shorten(e.quote)}) for e in checklist_quotes(check, verdict)]
        return IndicatorResult(
            verdict=verdict,
            confidence=round(float(confidence), 3),
            signals=signals,
            evidence=evidence if verdict != "not_evidenced" else [e for e in evidence if check and any(
                e.quote == shorten(d.text) for d in check.deferrals)],
            elements_found=[e.label for e in check.checklist.elements if check.found.get(e.id)] if check else [],
            elements_missing=check.unmet() if check else [],
            explanation=explain(verdict, check),
            review=confidence < self.model.get("review_below", 0.5) or conflict,
            **base,
        )
