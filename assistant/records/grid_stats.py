"""How far jurors agree with the tool, measured on signed grids only.

Per criterion and per indicator: how often the jurors kept the tool's proposal. On criterion levels
(ordinal non_acquis < partiellement_acquis < acquis; ``a_evaluer`` skipped): Cohen's weighted kappa
(linear) and the confusion matrix, overall and per criterion. A criterion whose kappa stays under
``settings.stats_min_kappa`` over at least ``settings.stats_min_decisions`` decisions is no longer
pre-filled (:func:`assistant.records.grid.create_grid` proposes it ``a_evaluer``).

The tool's own proposal (``tool_proposed``) is what is measured, so a criterion shown "à évaluer"
keeps being measured and can be pre-filled again once jurors and tool agree.
"""

from __future__ import annotations

import math
from contextlib import closing

from pydantic import BaseModel, ConfigDict, Field

from assistant.config.settings import Settings
from assistant.domain.vocabulary import LEVEL_FR, LEVEL_RANK, LEVELS
from assistant.records.agreement import weighted_kappa
from assistant.records.grid_store import connect

ORDERED_LEVELS = sorted(LEVELS, key=LEVEL_RANK.__getitem__)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemAgreement(_M):
    id: str
    kind: str
    title: str
    decisions: int
    kept: int
    kept_rate: float | None
    kappa: float | None = None  # criteria only
    do_not_prefill: bool = False  # criteria only


class Disagreement(_M):
    """A line where the juror decided otherwise than the tool proposed, with where to find it."""

    grid_id: str
    criterion_id: str
    indicator_id: str | None  # None for a criterion level
    proposed: str
    decided: str
    comment: str


class Stats(_M):
    unit: str | None
    grids: int
    decisions: int  # criterion decisions with a tool level and a juror level
    kept_rate: float | None
    kappa: float | None
    confusion: dict[str, dict[str, int]]  # tool level -> juror level -> count
    criteria: list[ItemAgreement]
    indicators: list[ItemAgreement]
    min_kappa: float
    min_decisions: int
    do_not_prefill: list[str] = Field(default_factory=list)
    # per criterion: tool level -> juror level -> count (the heatmap), and every disagreement
    confusion_by_criterion: dict[str, dict[str, dict[str, int]]] = Field(default_factory=dict)
    disagreements: list[Disagreement] = Field(default_factory=list)


def _kappa(pairs: list[tuple[str, str]]) -> float | None:
    if not pairs:
        return None
    k = weighted_kappa([LEVEL_RANK[t] for t, _ in pairs], [LEVEL_RANK[j] for _, j in pairs], n_classes=3)
    return None if math.isnan(k) else round(k, 4)


def _rate(kept: int, n: int) -> float | None:
    return round(kept / n, 4) if n else None


def stats(settings: Settings, unit: str | None = None) -> Stats:
    sql = (
        "SELECT l.kind, l.item_id, l.criterion_id, l.title, COALESCE(l.tool_proposed, l.proposed) AS tool, l.decided,"
        " COALESCE(l.comment, '') AS comment, g.id AS grid"
        " FROM lines l JOIN grids g ON g.id = l.grid_id WHERE g.status = 'signed' AND l.decided IS NOT NULL"
        + (" AND g.unit = ?" if unit else "")
        + " ORDER BY g.unit, l.kind = 'indicator', l.rowid"
    )
    with closing(connect(settings)) as conn:
        rows = conn.execute(sql, (unit,) if unit else ()).fetchall()
    grids = {r["grid"] for r in rows}
    crit_pairs: dict[str, list[tuple[str, str]]] = {}
    ind_kept: dict[str, list[bool]] = {}
    titles: dict[str, str] = {}
    for r in rows:
        titles.setdefault(r["item_id"], r["title"])
        if r["kind"] == "criterion":
            pairs = crit_pairs.setdefault(r["item_id"], [])
            if r["tool"] in LEVEL_RANK and r["decided"] in LEVEL_RANK:
                pairs.append((r["tool"], r["decided"]))
        else:
            ind_kept.setdefault(r["item_id"], []).append(r["tool"] == r["decided"])
    criteria = []
    for cid, pairs in crit_pairs.items():
        kept = sum(t == j for t, j in pairs)
        kappa = _kappa(pairs)
        weak = kappa is not None and kappa < settings.stats_min_kappa and len(pairs) >= settings.stats_min_decisions
        criteria.append(ItemAgreement(id=cid, kind="criterion", title=titles[cid], decisions=len(pairs), kept=kept,
                                      kept_rate=_rate(kept, len(pairs)), kappa=kappa, do_not_prefill=weak))
    indicators = [
        ItemAgreement(id=iid, kind="indicator", title=titles[iid], decisions=len(k), kept=sum(k),
                      kept_rate=_rate(sum(k), len(k)))
        for iid, k in ind_kept.items()
    ]
    all_pairs = [p for pairs in crit_pairs.values() for p in pairs]
    confusion = {t: {j: 0 for j in ORDERED_LEVELS} for t in ORDERED_LEVELS}
    for t, j in all_pairs:
        confusion[t][j] += 1
    kept_all = sum(t == j for t, j in all_pairs)
    by_criterion = {}
    for cid, pairs in crit_pairs.items():
        table = {t: {j: 0 for j in ORDERED_LEVELS} for t in ORDERED_LEVELS}
        for t, j in pairs:
            table[t][j] += 1
        by_criterion[cid] = table
    disagreements = [
        Disagreement(grid_id=r["grid"], criterion_id=r["criterion_id"],
                     indicator_id=r["item_id"] if r["kind"] == "indicator" else None,
                     proposed=r["tool"], decided=r["decided"], comment=r["comment"])
        for r in rows if r["tool"] != r["decided"]
    ]
    return Stats(
        unit=unit, grids=len(grids), decisions=len(all_pairs), kept_rate=_rate(kept_all, len(all_pairs)),
        kappa=_kappa(all_pairs), confusion=confusion, criteria=criteria, indicators=indicators,
        min_kappa=settings.stats_min_kappa, min_decisions=settings.stats_min_decisions,
        do_not_prefill=[c.id for c in criteria if c.do_not_prefill],
        confusion_by_criterion=by_criterion, disagreements=disagreements,
    )


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def stats_text(s: Stats) -> str:
    scope = f"unité {s.unit}" if s.unit else "toutes unités"
    if not s.grids:
        return f"Aucune grille signée ({scope}) : pas encore de statistiques d'accord."
    lines = [
        f"Accord outil / jury sur {s.grids} grille(s) signée(s) ({scope})",
        f"Niveaux des critères : {s.decisions} décisions, proposition conservée {_pct(s.kept_rate)}, "
        f"kappa pondéré {_num(s.kappa)}",
        "",
        "Matrice de confusion (lignes : outil, colonnes : jury)",
        " " * 22 + "".join(f"{LEVEL_FR[j][:20]:>22}" for j in ORDERED_LEVELS),
    ]
    lines += [f"{LEVEL_FR[t][:20]:<22}" + "".join(f"{s.confusion[t][j]:>22}" for j in ORDERED_LEVELS)
              for t in ORDERED_LEVELS]
    lines += ["", "Par critère :"]
    for c in s.criteria:
        flag = "  ⚠ ne plus pré-remplir" if c.do_not_prefill else ""
        lines.append(f"  {c.id} {c.title} — {c.decisions} décisions, conservée {_pct(c.kept_rate)}, "
                     f"kappa {_num(c.kappa)}{flag}")
    lines += ["", "Par indicateur :"]
    lines += [f"  {i.id} — {i.decisions} décisions, conservée {_pct(i.kept_rate)}" for i in s.indicators]
    lines.append("")
    if s.do_not_prefill:
        lines.append(f"Critères présentés « {LEVEL_FR['a_evaluer']} » au pré-remplissage (kappa < {s.min_kappa:.2f} "
                     f"sur au moins {s.min_decisions} décisions) : {', '.join(s.do_not_prefill)}")
    else:
        lines.append(f"Tous les critères restent pré-remplis (règle : kappa < {s.min_kappa:.2f} "
                     f"sur au moins {s.min_decisions} décisions).")
    return "\n".join(lines)

