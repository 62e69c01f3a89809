"""Contracts between retrieval, judges and feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.domain.documents import Chunk, ExtractedDocument
from assistant.domain.referentiel import Criterion, Indicator, Unit

Verdict = Literal["evidenced", "partial", "not_evidenced", "not_assessable"]


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int
    quote: str


class IndicatorResult(BaseModel):
    """One indicator's verdict, with the evidence and the signals that produced it."""

    model_config = ConfigDict(extra="forbid")
    indicator_id: str
    criterion_id: str
    verdict: Verdict
    confidence: float
    evidence: list[Evidence] = Field(default_factory=list)
    signals: dict[str, float] = Field(default_factory=dict)
    looked_for: list[str] = Field(default_factory=list)  # signal kinds the indicator calls for
    found: list[str] = Field(default_factory=list)  # of those, the kinds found in the passages
    pages_examined: list[int] = Field(default_factory=list)
    judge: str = "offline"
    note: str | None = None
    # The checklist behind the verdict: elements shown, elements missing (French phrases), and whether
    # the judge is unsure enough that a juror should look first (« à vérifier »).
    elements_found: list[str] = Field(default_factory=list)
    elements_missing: list[str] = Field(default_factory=list)
    explanation: str | None = None
    review: bool = False


@dataclass
class Candidate:
    """A passage of the document retrieved for an indicator, with its scores."""

    chunk: Chunk
    score: float
    dense: float
    lexical: float


@dataclass
class IndicatorContext:
    """Everything a judge may look at for one indicator."""

    unit: Unit
    criterion: Criterion
    indicator: Indicator
    hint: object  # hints.Hint
    document: ExtractedDocument
    candidates: list[Candidate]
    features: dict[str, float] = field(default_factory=dict)
    found_kinds: list[str] = field(default_factory=list)
    checklist: object | None = None  # checklist.ChecklistResult


class Judge(Protocol):
    """A judge decides one indicator from its context; it never invents evidence (grounding checks)."""

    name: str

    def judge(self, ctx: IndicatorContext) -> IndicatorResult: ...
