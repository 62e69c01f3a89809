"""A second judge: a chat model, asked per criterion for structured verdicts with quotes.

The model sees the indicators, the retrieved passages with their pages (as delimited data), the
offline signals as facts, and the document's warnings. Its output is validated (pydantic); invalid
output is retried once, then the offline verdict is used and marked. Every quote then goes through
the same grounding as the offline judge's, so unverifiable evidence downgrades the verdict.
"""

from __future__ import annotations

import re
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.config.prompting import load_yaml, render
from assistant.judging.base import Evidence, IndicatorContext, IndicatorResult, Judge
from assistant.judging.signals import MISSING_FR
from assistant.models.llm import ModelUnavailable, with_retries

PROMPT_FILE = "llm/judge.yaml"


class QuoteOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = Field(description="numéro de page (1 = première page)")
    quote: str = Field(description="extrait copié mot pour mot du passage")


class IndicatorVerdictOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_id: str
    verdict: Literal["evidenced", "partial", "not_evidenced"]
    quotes: list[QuoteOut] = Field(default_factory=list, max_length=3)
    reason: str = Field(default="", description="une phrase en français")


class CriterionVerdictsOut(BaseModel):
    """Structured answer of the model for one criterion."""

    model_config = ConfigDict(extra="forbid")
    verdicts: list[IndicatorVerdictOut]


def prompt_version() -> str:
    return f"llm-judge-v{load_yaml(PROMPT_FILE)['version']}"


def _facts(ctx: IndicatorContext) -> str:
    found = [k for k in ctx.found_kinds]
    missing = [MISSING_FR[k] for k in ctx.hint.signals if k not in found and k in MISSING_FR]
    parts = []
    if found:
        parts.append("éléments précis trouvés dans les passages : " + ", ".join(found))
    if missing:
        parts.append("; ".join(missing) + " dans les passages les plus proches")
    return "; ".join(parts) or "aucun fait particulier"


def _checklist(ctx: IndicatorContext) -> str:
    """The same checklist the offline judge uses: the elements demanded, and what it found missing."""
    from assistant.judging.checklist import ChecklistResult, checklist_for

    check = ctx.checklist if isinstance(ctx.checklist, ChecklistResult) else None
    items = check.checklist.elements if check else checklist_for(ctx.indicator, ctx.hint).elements
    text = "; ".join(e.label for e in items)
    if check and check.unmet():
        text += " — manquant d'après l'analyse automatique : " + "; ".join(check.unmet())
    return text or "aucun"


_DELIMITER = re.compile(r"<\s*/?\s*document\b[^>]*>", re.IGNORECASE)


def escape_document(text: str) -> str:
    """Candidate text can never close (or reopen) the ``<document>`` block it is pasted in."""
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def build_messages(contexts: list[IndicatorContext], warnings: list[str], referentiel_title: str) -> list:
    prompt = load_yaml(PROMPT_FILE)
    first = contexts[0]
    passages, seen = [], set()
    for ctx in contexts:
        for cand in ctx.candidates[:4]:
            if cand.chunk.id not in seen:
                seen.add(cand.chunk.id)
                passages.append({"page": cand.chunk.page, "text": escape_document(cand.chunk.text)})
    user = render(
        prompt["user"],
        unit_id=first.unit.id, unit_title=first.unit.title,
        criterion_id=first.criterion.id, criterion_title=first.criterion.title,
        indicators=[{"id": c.indicator.id, "text": c.indicator.text, "facts": _facts(c),
                     "checklist": _checklist(c)} for c in contexts],
        # flagged text is never pasted into the prompt, not even as a warning: only how many were removed
        warnings=len(warnings),
        passages=passages,
    )
    return [SystemMessage(render(prompt["system"], referentiel_title=referentiel_title)), HumanMessage(user)]


class LLMJudge:
    """Judge = chat model + offline fallback. Implements ``judge`` and the batched ``judge_many``."""

    name = "llm"

    def __init__(self, model: BaseChatModel, fallback: Judge, *, referentiel_title: str = "",
                 warnings: list[str] | None = None, retries: int = 1) -> None:
        self.model = model
        self.fallback = fallback
        self.referentiel_title = referentiel_title
        self.warnings = warnings or []
        self.retries = retries
        self.notices: list[str] = []

    def judge(self, ctx: IndicatorContext) -> IndicatorResult:
        return self.judge_many([ctx])[0]

    def _ask(self, contexts: list[IndicatorContext]) -> CriterionVerdictsOut:
        structured = self.model.with_structured_output(CriterionVerdictsOut)
        messages = build_messages(contexts, self.warnings, self.referentiel_title)
        last: Exception | None = None
        for _ in range(self.retries + 1):
            try:
                out = with_retries(lambda: structured.invoke(messages), retries=0)
                if isinstance(out, dict):
                    out = CriterionVerdictsOut.model_validate(out)
                if not isinstance(out, CriterionVerdictsOut):
                    raise ValidationError.from_exception_data("CriterionVerdictsOut", [])
                return out
            except (ValidationError, ValueError, TypeError, ModelUnavailable) as exc:
                last = exc
        raise ModelUnavailable(f"réponse invalide du modèle ({last.__class__.__name__})")

    def judge_many(self, contexts: list[IndicatorContext]) -> list[IndicatorResult]:
        """Judge contexts criterion by criterion (one model call each)."""
        out: list[IndicatorResult] = []
        groups: dict[str, list[IndicatorContext]] = {}
        for ctx in contexts:
            groups.setdefault(ctx.criterion.id, []).append(ctx)
        for group in groups.values():
            written = [c for c in group if c.hint.written]
            answers: dict[str, IndicatorVerdictOut] = {}
            failed = False
            if written:
                try:
                    answers = {v.indicator_id: v for v in self._ask(written).verdicts}
                except ModelUnavailable as exc:
                    failed = True
                    self.notices.append(f"{group[0].criterion.id} : {exc}")
            for ctx in group:
                base = self.fallback.judge(ctx)
                answer = answers.get(ctx.indicator.id)
                if not ctx.hint.written:
                    out.append(base)
                elif answer is None:
                    note = ("modèle indisponible ou réponse invalide : verdict hors ligne"
                            if failed else "indicateur absent de la réponse du modèle : verdict hors ligne")
                    out.append(base.model_copy(update={"judge": "offline-fallback", "note": note}))
                else:
                    out.append(base.model_copy(update={
                        "verdict": answer.verdict,
                        "evidence": [Evidence(page=q.page, quote=q.quote) for q in answer.quotes],
                        "judge": self.name,
                        "note": None,
                        "signals": {**base.signals, "offline_verdict": base.verdict},  # type: ignore[dict-item]
                    }))
        return out
