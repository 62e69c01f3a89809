"""What each indicator calls for: per-indicator hints for a known référentiel, generic rules keyed on
the indicator's wording for any other. Both live in ``prompts/`` as data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.config.prompting import load_yaml, prompt_exists
from assistant.domain.referentiel import Indicator, Referentiel
from assistant.judging.signals import SIGNAL_KINDS
from assistant.text.french import fold


@dataclass(frozen=True)
class Hint:
    indicator_id: str
    query: str
    keywords: tuple[str, ...]
    signals: tuple[str, ...]
    written: bool
    missing: str
    advice: str
    source: str = "generic"  # "referentiel" when it comes from a per-indicator hints file
    extra: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def _generic() -> dict:
    return load_yaml("rules/generic.yaml")


@lru_cache(maxsize=8)
def _per_indicator(ref_id: str) -> dict:
    path = f"hints/{ref_id}.yaml"
    if not prompt_exists(path):
        return {}
    return load_yaml(path).get("indicators", {})


def _valid(kinds: list[str]) -> tuple[str, ...]:
    return tuple(k for k in kinds if k in SIGNAL_KINDS)


def generic_hint(indicator: Indicator) -> Hint:
    rules = _generic()
    text = fold(indicator.text)
    written = not any(re.search(p, text) for p in rules.get("not_written", []))
    signals: list[str] = []
    keywords: list[str] = []
    missing = advice = None
    for rule in rules.get("rules", []):
        if re.search(rule["match"], text):
            signals += [s for s in rule.get("signals", []) if s not in signals]
            keywords += rule.get("keywords", [])
            missing = missing or rule.get("missing")
            advice = advice or rule.get("advice")
    default = rules["default"]
    return Hint(
        indicator_id=indicator.id,
        query=indicator.text,
        keywords=tuple(dict.fromkeys(keywords)),
        signals=_valid(signals[:3] or default["signals"]),
        written=written,
        missing=missing or default["missing"],
        advice=advice or default["advice"],
    )


def hint_for(ref: Referentiel, indicator: Indicator) -> Hint:
    base = generic_hint(indicator)
    data = _per_indicator(ref.id).get(indicator.id)
    if not data:
        return base
    return Hint(
        indicator_id=indicator.id,
        query=data.get("query") or base.query,
        keywords=tuple(data.get("keywords") or base.keywords),
        signals=_valid(data.get("signals") or list(base.signals)) or base.signals,
        written=bool(data.get("written", base.written)),
        missing=data.get("missing") or base.missing,
        advice=data.get("advice") or base.advice,
        source="referentiel",
        extra={"checklist": data["checklist"]} if data.get("checklist") else {},
    )
