"""A candidate's progress between successive drafts of the same unit (saved assessments, oldest first).

Per indicator: improved / regressed / unchanged on the ordinal scale not_evidenced < partial < evidenced
(``not_comparable`` when one side is ``not_assessable`` and the other is not), with the evidence quotes
that appeared or disappeared; criterion levels are compared the same way.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.assessment.documents_store import load_results
from assistant.config.settings import Settings
from assistant.domain.errors import UsageError
from assistant.domain.vocabulary import CHANGE_FR, LEVEL_FR, LEVEL_RANK, VERDICT_FR, VERDICT_RANK

Change = Literal["improved", "regressed", "unchanged", "not_comparable"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_M):
    page: int | None
    quote: str


class Draft(_M):
    number: int  # 1 = oldest
    created_at: str
    file: str
    sha256: str
    verdicts: dict[str, int]  # verdict -> how many indicators


class IndicatorChange(_M):
    id: str
    criterion_id: str
    text: str
    before: str
    after: str
    change: Change
    quotes_added: list[Quote]
    quotes_removed: list[Quote]


class CriterionChange(_M):
    id: str
    title: str
    before: str
    after: str
    change: Change


class Comparison(_M):
    before: int  # draft numbers
    after: int
    counts: dict[str, int]  # change -> how many indicators
    indicators: list[IndicatorChange]
    criteria: list[CriterionChange]


class Progress(_M):
    candidate: str
    unit: str
    drafts: list[Draft]
    steps: list[Comparison]  # each draft against the previous one
    overall: Comparison  # the last draft against the first


def _change(before: str, after: str, rank: dict[str, int]) -> Change:
    if before == after:
        return "unchanged"
    if before not in rank or after not in rank:
        return "not_comparable"
    return "improved" if rank[after] > rank[before] else "regressed"


def _key(q: dict) -> str:
    return " ".join(str(q.get("quote", "")).split()).casefold()


def _quotes_diff(before: list[dict], after: list[dict]) -> tuple[list[Quote], list[Quote]]:
    kb, ka = {_key(q) for q in before}, {_key(q) for q in after}
    added = [Quote(page=q.get("page"), quote=q["quote"]) for q in after if _key(q) not in kb]
    removed = [Quote(page=q.get("page"), quote=q["quote"]) for q in before if _key(q) not in ka]
    return added, removed


def compare(before: dict, after: dict, numbers: tuple[int, int]) -> Comparison:
    """Compare two saved assessments (public JSON) of the same unit."""
    old = {i["id"]: i for i in before["indicators"]}
    indicators = []
    for new in after["indicators"]:
        prev = old.get(new["id"])
        if prev is None:  # the référentiel changed between drafts
            continue
        added, removed = _quotes_diff(prev["evidence"], new["evidence"])
        indicators.append(IndicatorChange(
            id=new["id"], criterion_id=new["criterion_id"], text=new["text"], before=prev["verdict"],
            after=new["verdict"], change=_change(prev["verdict"], new["verdict"], VERDICT_RANK),
            quotes_added=added, quotes_removed=removed,
        ))
    old_c = {c["id"]: c for c in before["criteria"]}
    criteria = [
        CriterionChange(id=c["id"], title=c["title"], before=old_c[c["id"]]["level"], after=c["level"],
                        change=_change(old_c[c["id"]]["level"], c["level"], LEVEL_RANK))
        for c in after["criteria"] if c["id"] in old_c
    ]
    counts = {k: sum(i.change == k for i in indicators) for k in CHANGE_FR}
    return Comparison(before=numbers[0], after=numbers[1], counts=counts, indicators=indicators, criteria=criteria)


def progress(settings: Settings, candidate: str, unit: str) -> Progress:
    records = load_results(settings, candidate, unit)
    if len(records) < 2:
        raise UsageError(
            f"Pas assez de versions pour mesurer une progression : {len(records)} évaluation(s) enregistrée(s) pour "
            f"le candidat {candidate}, unité {unit} (il en faut au moins 2). Évaluez chaque version avec : "
            f"rncp-coach assess FICHIER.pdf --unit {unit} --candidate {candidate}",
            code="no_drafts",
        )
    assessments = [r["assessment"] for r in records]
    drafts = [
        Draft(number=n, created_at=r["created_at"], file=a["document"]["file"], sha256=a["document"]["sha256"],
              verdicts={v: sum(i["verdict"] == v for i in a["indicators"]) for v in VERDICT_FR})
        for n, (r, a) in enumerate(zip(records, assessments, strict=True), start=1)
    ]
    steps = [compare(assessments[n - 1], assessments[n], (n, n + 1)) for n in range(1, len(assessments))]
    overall = steps[0] if len(steps) == 1 else compare(assessments[0], assessments[-1], (1, len(assessments)))
    return Progress(candidate=candidate, unit=unit, drafts=drafts, steps=steps, overall=overall)


def _comparison_text(c: Comparison) -> list[str]:
    n = c.counts
    out = [f"Version {c.before} → version {c.after} : {n['improved']} indicateur(s) en progrès, "
           f"{n['regressed']} en recul, {n['unchanged']} inchangé(s)"
           + (f", {n['not_comparable']} non comparable(s)" if n["not_comparable"] else "")]
    for crit in c.criteria:
        if crit.change != "unchanged":
            out.append(f"  {crit.id} {crit.title} : {LEVEL_FR.get(crit.before, crit.before)} → "
                       f"{LEVEL_FR.get(crit.after, crit.after)} ({CHANGE_FR[crit.change]})")
    for i in c.indicators:
        if i.change == "unchanged":
            continue
        sign = {"improved": "↑", "regressed": "↓"}.get(i.change, "≠")
        out.append(f"  {sign} {i.id} {VERDICT_FR[i.before]} → {VERDICT_FR[i.after]} — {i.text}")
        out += [f"      + p. {q.page} : « {q.quote} »" for q in i.quotes_added]
        out += [f"      − p. {q.page} : « {q.quote} »" for q in i.quotes_removed]
    return out


def progress_text(p: Progress) -> str:
    out = [f"Progression du candidat {p.candidate}, unité {p.unit} : {len(p.drafts)} versions"]
    out += [f"  {d.number}. {d.created_at[:16].replace('T', ' ')} {d.file} (sha256 {d.sha256[:12]}) — "
            f"{d.verdicts['evidenced']} démontré(s), {d.verdicts['partial']} partiel(s), "
            f"{d.verdicts['not_evidenced']} non démontré(s)" for d in p.drafts]
    for step in p.steps:
        out += [""] + _comparison_text(step)
    if len(p.steps) > 1:
        n = p.overall.counts
        out += ["", f"Depuis la première version : {n['improved']} en progrès, {n['regressed']} en recul, "
                    f"{n['unchanged']} inchangé(s)."]
    return "\n".join(out)
