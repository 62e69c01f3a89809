"""Domain model of a référentiel: Referentiel › Bloc › Unit › Criterion › Indicator.

Ids are stable and readable: a unit keeps its official number (``"2"``, ``"3.1"``), a criterion is
``<unit>.C<n>`` and an indicator ``<unit>.C<n>.I<m>``, both 1-based in document order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.domain.errors import NotFoundError

Part = Literal["activities", "competencies", "deliverables", "assessment_methods", "criteria"]
PARTS: tuple[Part, ...] = ("activities", "competencies", "deliverables", "assessment_methods", "criteria")
PART_LABELS_FR: dict[str, str] = {
    "activities": "activités",
    "competencies": "compétences",
    "deliverables": "productions attendues",
    "assessment_methods": "modalités d'évaluation",
    "criteria": "critères d'évaluation",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indicator(_Model):
    id: str
    text: str


class Criterion(_Model):
    id: str
    title: str
    indicators: list[Indicator]


class Unit(_Model):
    id: str
    bloc: str
    bloc_title: str
    title: str
    activities: list[str] = Field(default_factory=list)
    competencies: list[str] = Field(default_factory=list)
    deliverables: list[str] = Field(default_factory=list)
    assessment_methods: list[str] = Field(default_factory=list)
    criteria: list[Criterion]

    @property
    def indicators(self) -> list[Indicator]:
        return [i for c in self.criteria for i in c.indicators]

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise NotFoundError(
            f"Critère inconnu « {criterion_id} » pour l'unité {self.id}. "
            f"Critères possibles : {', '.join(c.id for c in self.criteria)}.",
            code="unknown_criterion",
        )

    def criterion_of(self, indicator_id: str) -> Criterion:
        for c in self.criteria:
            if any(i.id == indicator_id for i in c.indicators):
                return c
        raise NotFoundError(
            f"Indicateur inconnu « {indicator_id} » pour l'unité {self.id}.", code="unknown_indicator"
        )

    @property
    def oral_assessment(self) -> bool:
        """True when the assessment methods include an oral production."""
        return any("oral" in m.lower() for m in self.assessment_methods)


class Bloc(_Model):
    id: str
    title: str
    units: list[Unit]


REFERENTIEL_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"  # a file name under the home folder: no path, no dot


class Referentiel(_Model):
    id: str = Field(pattern=REFERENTIEL_ID)
    title: str
    notes: list[str] = Field(default_factory=list)
    blocs: list[Bloc]

    @model_validator(mode="after")
    def _unique_ids(self) -> Referentiel:
        seen: set[str] = set()
        for unit in self.units:
            for ident in [unit.id, *(c.id for c in unit.criteria), *(i.id for i in unit.indicators)]:
                if ident in seen:
                    raise ValueError(f"identifiant en double : {ident}")
                seen.add(ident)
        return self

    @property
    def units(self) -> list[Unit]:
        return [u for b in self.blocs for u in b.units]

    def unit(self, unit_id: str) -> Unit:
        for u in self.units:
            if u.id == unit_id:
                return u
        raise NotFoundError(
            f"Unité inconnue « {unit_id} ». Unités de ce référentiel : "
            f"{', '.join(u.id for u in self.units)}.",
            code="unknown_unit",
        )

    def iter_indicators(self) -> Iterator[tuple[Unit, Criterion, Indicator]]:
        for u in self.units:
            for c in u.criteria:
                for i in c.indicators:
                    yield u, c, i

    def find(self, ident: str) -> tuple[Unit, Criterion | None, Indicator | None]:
        """Resolve a unit, criterion or indicator id."""
        unit_id = ident.split(".C")[0]
        unit = self.unit(unit_id)
        if ".C" not in ident:
            return unit, None, None
        crit_id = ".".join(ident.split(".")[: len(unit_id.split(".")) + 1])
        crit = unit.criterion(crit_id)
        if ".I" not in ident:
            return unit, crit, None
        for ind in crit.indicators:
            if ind.id == ident:
                return unit, crit, ind
        raise NotFoundError(f"Indicateur inconnu « {ident} ».", code="unknown_indicator")

    def to_public_dict(self, unit_id: str | None = None) -> dict:
        """The JSON shape of ``referentiel show`` (a stable contract)."""
        units = [self.unit(unit_id)] if unit_id else self.units
        return {
            "id": self.id,
            "title": self.title,
            "units": [
                u.model_dump(
                    include={
                        "id", "bloc", "bloc_title", "title", "activities", "competencies",
                        "deliverables", "assessment_methods", "criteria",
                    }
                )
                for u in units
            ],
        }

    def counts(self) -> dict[str, int]:
        return {
            "blocs": len(self.blocs),
            "units": len(self.units),
            "criteria": sum(len(u.criteria) for u in self.units),
            "indicators": sum(len(u.indicators) for u in self.units),
        }
