"""French feedback rendered from the verdicts, with texts from ``prompts/feedback/fr.yaml``."""

from __future__ import annotations

from functools import lru_cache

from assistant.config.prompting import load_yaml, render
from assistant.domain.referentiel import Indicator
from assistant.judging.base import IndicatorResult
from assistant.judging.hints import Hint

FEEDBACK_FILE = "feedback/fr.yaml"


@lru_cache(maxsize=1)
def texts() -> dict:
    return load_yaml(FEEDBACK_FILE)


def prompt_version() -> str:
    return f"feedback-fr-v{texts()['version']}"


def pages_label(pages: list[int]) -> str:
    pages = sorted(set(pages))
    if not pages:
        return ""
    if len(pages) == 1:
        return f"p. {pages[0]}"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"p. {pages[0]}–{pages[-1]}"
    return "p. " + ", ".join(str(p) for p in pages)


def missing_clause(result: IndicatorResult, hint: Hint) -> str:
    """What is missing: the hint's own words, plus the signal kinds not found in the passages."""
    from assistant.judging.signals import MISSING_FR

    if result.elements_missing:
        return " ; ".join(result.elements_missing[:3])
    absent = [MISSING_FR[k] for k in result.looked_for if k not in result.found and k in MISSING_FR]
    if result.verdict == "not_evidenced" or not absent:
        return hint.missing
    return " ni ".join(absent[:2]) if len(absent) > 1 else absent[0]


def indicator_feedback(result: IndicatorResult, indicator: Indicator, hint: Hint) -> tuple[str, str]:
    """(feedback line, advice) for one indicator."""
    t = texts()
    label = t["verdict_label"][result.verdict]
    pages = pages_label([e.page for e in result.evidence] or result.pages_examined)
    found = ", ".join(t["found_kinds"][k] for k in result.found if k in t["found_kinds"]) or "passages pertinents"
    line = render(
        t["feedback"][result.verdict],
        label=label,
        indicator=indicator.text,
        pages=pages,
        found=found,
        missing=missing_clause(result, hint),
        looked=t["looked_for"],
        explanation=result.explanation or "",
    )
    if result.note:
        line += " " + result.note
    if result.review and result.verdict != "not_assessable" and "À vérifier" not in (result.note or ""):
        line += " " + render(t["review"], confidence=f"{result.confidence:.2f}")
    if result.verdict == "not_assessable":
        return line, ""
    return line, t["advice_prefix"].get(result.verdict, "") + hint.advice
