"""The juror grid: the tool's proposal per criterion and indicator, the jurors' decisions, an audit log.

The ``events`` table is append-only (triggers refuse updates and deletes) and no grid or line is ever
deleted. A signed grid is read-only until a juror reopens it, with a reason that is itself recorded.
The database itself (schema, models, connections) is :mod:`assistant.records.grid_store`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

from assistant.config.settings import Settings
from assistant.domain.errors import GridError
from assistant.domain.vocabulary import LEVEL_FR, LEVELS, TO_ASSESS, VERDICTS
from assistant.records.grid_store import (
    TOOL_JUROR,
    Grid,
    GridEvent,
    GridLine,
    database,
    load_grid,
    now,
    snapshot,
    transaction,
)


def get_grid(settings: Settings, grid_id: str) -> Grid:
    with database(settings) as conn, snapshot(conn):
        return load_grid(conn, (grid_id or "").strip())


def list_grids(settings: Settings, candidate: str | None = None, unit: str | None = None) -> list[Grid]:
    """Grids, oldest first, optionally for one candidate and/or one unit."""
    where, args = [], []
    if candidate:
        where.append("candidate = ?")
        args.append(candidate)
    if unit:
        where.append("unit = ?")
        args.append(unit)
    sql = "SELECT id FROM grids" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY created_at, rowid"
    with database(settings) as conn, snapshot(conn):
        return [load_grid(conn, r["id"]) for r in conn.execute(sql, args).fetchall()]


def history(settings: Settings, grid_id: str) -> list[GridEvent]:
    """The grid's audit log, oldest first."""
    with database(settings) as conn, snapshot(conn):
        load_grid(conn, grid_id)
        rows = conn.execute("SELECT * FROM events WHERE grid_id = ? ORDER BY id", (grid_id,)).fetchall()
    return [GridEvent(**dict(r)) for r in rows]


# Writing --------------------------------------------------------------------------------------------
def _event(conn: sqlite3.Connection, grid_id: str, at: str, juror: str, action: str, *, item_id: str | None = None,
           before: str | None = None, after: str | None = None, comment: str | None = None) -> None:
    conn.execute(
        "INSERT INTO events (grid_id, at, juror, action, item_id, before, after, comment) VALUES (?,?,?,?,?,?,?,?)",
        (grid_id, at, juror, action, item_id, before, after, comment),
    )


def _juror(juror: str | None) -> str:
    name = " ".join((juror or "").split())
    if not name:
        raise GridError("Nom du juré manquant : indiquez qui décide avec --juror « Prénom Nom ».",
                        code="juror_required")
    return name


def _open_grid(conn: sqlite3.Connection, grid_id: str) -> Grid:
    grid = load_grid(conn, grid_id)
    if grid.status == "signed":
        raise GridError(
            f"La grille {grid_id} est signée ({grid.signed_by}, {grid.signed_at}) et ne peut plus être modifiée. "
            f"Pour la corriger, rouvrez-la : rncp-coach grid reopen {grid_id} --juror NOM --reason « … »",
            code="grid_signed",
        )
    return grid


def create_grid(settings: Settings, assessment, *, unit_title: str = "") -> Grid:  # noqa: ANN001
    """Store an assessment's proposal as a new open grid. Criteria the statistics say the tool should not
    pre-fill (see :func:`assistant.records.grid_stats.stats`) are proposed ``a_evaluer``, with a note."""
    from assistant.records.grid_stats import stats

    if not assessment.candidate:
        raise GridError("Une grille appartient à un candidat : précisez --candidate.", code="candidate_required")
    held_back = {c.id: c for c in stats(settings, unit=assessment.unit).criteria if c.do_not_prefill}
    grid_id, at = uuid.uuid4().hex[:12], now()
    rows = []
    for c in assessment.criteria:
        note, shown = "", c.level
        if c.id in held_back and c.level != TO_ASSESS:
            s = held_back[c.id]
            shown = TO_ASSESS
            note = (f"Pré-remplissage désactivé : l'accord entre l'outil et les jurys est insuffisant sur ce critère "
                    f"(kappa {s.kappa:.2f} sur {s.decisions} décisions, seuil {settings.stats_min_kappa:.2f}). "
                    f"Proposition de l'outil, à titre indicatif : {LEVEL_FR[c.level]}.")
        rows.append(("criterion", c.id, c.id, c.title, shown, c.level, c.rationale, note, "[]", ""))
    targeted = {i for w in assessment.warnings if w.kind in {"suspicious_instruction", "hidden_text"}
                for i in w.indicators}
    for i in assessment.indicators:
        evidence = json.dumps([e.model_dump(mode="json") for e in i.evidence], ensure_ascii=False)
        review = "instruction" if i.id in targeted else "uncertain" if i.review else ""
        rows.append(("indicator", i.id, i.criterion_id, i.text, i.verdict, i.verdict, i.feedback, "", evidence,
                     review))
    doc = assessment.document
    with database(settings) as conn, transaction(conn):
        conn.execute(
            "INSERT INTO grids (id, referentiel, unit, unit_title, candidate, sha256, file, created_at, status, judge,"
            " prompt_version, warnings_json) VALUES (?,?,?,?,?,?,?,?, 'open', ?, ?, ?)",
            (grid_id, assessment.referentiel, assessment.unit, unit_title, assessment.candidate, doc.sha256, doc.file,
             at, assessment.judge, assessment.prompt_version,
             json.dumps([w.model_dump() for w in assessment.warnings], ensure_ascii=False)),
        )
        conn.executemany(
            "INSERT INTO lines (grid_id, kind, item_id, criterion_id, title, proposed, tool_proposed, rationale, note,"
            " evidence_json, review) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(grid_id, *r) for r in rows],
        )
        withheld = sorted(c for c in held_back if c in {r[1] for r in rows})
        _event(conn, grid_id, at, TOOL_JUROR, "prefill",
               after=f"{len(assessment.criteria)} critères, {len(assessment.indicators)} indicateurs",
               comment=f"{doc.file} (sha256 {doc.sha256[:12]})"
               + (f" ; non pré-remplis : {', '.join(withheld)}" if withheld else ""))
        return load_grid(conn, grid_id)


def prefill(coach, pdf_path, candidate: str, unit: str | None = None, password: str | None = None) -> Grid:  # noqa: ANN001
    """Assess the PDF for the candidate and store the proposal as a new grid."""
    result = coach.assess(pdf_path, unit=unit, candidate=candidate, password=password)
    title = coach.referentiel(result.referentiel).unit(result.unit).title
    return create_grid(coach.settings, result, unit_title=title)


def decide(
    settings: Settings,
    grid_id: str,
    *,
    criterion: str,
    level: str | None,
    juror: str,
    comment: str | None = "",
    indicator: str | None = None,
    verdict: str | None = None,
) -> Grid:
    """Record a juror's decision on a criterion level and/or one of its indicators' verdict."""
    name = _juror(juror)
    if level is None and indicator is None:
        raise GridError(f"Niveau manquant : précisez --level ({' | '.join(LEVELS)}).", code="invalid_level")
    if level is not None and level not in LEVELS:
        raise GridError(f"Niveau invalide « {level} » : utilisez {', '.join(LEVELS)}.", code="invalid_level")
    if indicator is not None and verdict not in VERDICTS:
        raise GridError(
            f"Verdict invalide « {verdict or ''} » pour l'indicateur {indicator} : utilisez {', '.join(VERDICTS)}"
            " (--verdict).", code="invalid_verdict")
    if verdict is not None and indicator is None:
        raise GridError("Un verdict porte sur un indicateur : précisez --indicator.", code="unknown_indicator")
    comment = (comment or "").strip()
    with database(settings) as conn, transaction(conn):
        grid = _open_grid(conn, grid_id)
        crit = grid.line(criterion)
        if crit is None or crit.kind != "criterion":
            raise GridError(
                f"Critère inconnu « {criterion} » pour l'unité {grid.unit}. "
                f"Critères possibles : {', '.join(c.item_id for c in grid.criteria)}.", code="unknown_criterion")
        changes: list[tuple[GridLine, str]] = []
        if indicator is not None:
            ind = grid.line(indicator)
            if ind is None or ind.kind != "indicator" or ind.criterion_id != criterion:
                options = [i.item_id for i in grid.indicators if i.criterion_id == criterion]
                raise GridError(f"Indicateur inconnu « {indicator} » pour le critère {criterion}. "
                                f"Indicateurs possibles : {', '.join(options)}.", code="unknown_indicator")
            changes.append((ind, verdict))  # type: ignore[arg-type]
        if level is not None:
            changes.append((crit, level))
        at = now()
        for line, value in changes:
            conn.execute(
                "UPDATE lines SET decided = ?, comment = ?, juror = ?, decided_at = ?"
                " WHERE grid_id = ? AND item_id = ?",
                (value, comment, name, at, grid_id, line.item_id),
            )
            _event(conn, grid_id, at, name, "decide", item_id=line.item_id, before=line.decided, after=value,
                   comment=comment)
        return load_grid(conn, grid_id)


def confirm_remaining(settings: Settings, grid_id: str, juror: str) -> tuple[Grid, list[str]]:
    """« Confirmer les propositions restantes »: every criterion still undecided takes the tool's proposed
    level, in one action, each confirmation logged. Not confirmed: criteria shown « à évaluer » (no
    proposal to confirm); the indicators an instruction in the document bears on stay for an explicit
    decision. Returns the grid and the criteria confirmed."""
    name = _juror(juror)
    with database(settings) as conn, transaction(conn):
        grid = _open_grid(conn, grid_id)
        at = now()
        done = []
        for crit in grid.criteria:
            if crit.decided is None and crit.proposed in LEVELS:
                conn.execute("UPDATE lines SET decided = ?, comment = '', juror = ?, decided_at = ?"
                             " WHERE grid_id = ? AND item_id = ?", (crit.proposed, name, at, grid_id, crit.item_id))
                _event(conn, grid_id, at, name, "decide", item_id=crit.item_id, after=crit.proposed,
                       comment="Proposition confirmée (propositions restantes)")
                done.append(crit.item_id)
        return load_grid(conn, grid_id), done


def comment_bank(settings: Settings, juror: str | None, criterion_id: str, *, limit: int = 12) -> list[str]:
    """The juror's earlier comments on this criterion (or its indicators), most recent first, each once:
    one click to reuse one and edit it. Without a juror (one local user), every juror's."""
    name = " ".join((juror or "").split())
    with database(settings) as conn:
        rows = conn.execute(
            "SELECT e.comment FROM events e JOIN lines l ON l.grid_id = e.grid_id AND l.item_id = e.item_id"
            " WHERE e.action = 'decide' AND (? = '' OR e.juror = ?) AND l.criterion_id = ?"
            " AND TRIM(COALESCE(e.comment, '')) != '' ORDER BY e.id DESC", (name, name, criterion_id)).fetchall()
    bank = [r["comment"] for r in rows if not r["comment"].startswith(("Proposition confirmée", "Vérifié par le jury"))]
    return list(dict.fromkeys(bank))[:limit]


def sign(settings: Settings, grid_id: str, juror: str) -> Grid:
    """Sign the grid: every criterion must have been decided, and every indicator an instruction to an
    assessor bears on; other indicators left undecided are confirmed as proposed (each confirmation is
    recorded). The grid becomes read-only."""
    name = _juror(juror)
    with database(settings) as conn, transaction(conn):
        grid = _open_grid(conn, grid_id)
        pending = [c.item_id for c in grid.criteria if c.decided is None]
        if pending:
            raise GridError(
                f"Grille incomplète : critère(s) sans décision du jury : {', '.join(pending)}. Décidez-les avant de "
                f"signer : rncp-coach grid decide {grid_id} --criterion C --level L --juror NOM",
                code="grid_incomplete",
            )
        unchecked = [i.item_id for i in grid.indicators if i.review == "instruction" and i.decided is None]
        if unchecked:
            raise GridError(
                f"Indicateur(s) à vérifier sans décision : {', '.join(unchecked)}. Une consigne adressée à "
                f"l'évaluateur (ou un texte caché) du document porte sur eux : décidez chacun explicitement avant "
                f"de signer : rncp-coach grid decide {grid_id} --criterion C --indicator I --verdict V --juror NOM",
                code="grid_unchecked",
            )
        at = now()
        for ind in grid.indicators:
            if ind.decided is None:
                conn.execute(
                    "UPDATE lines SET decided = proposed, comment = '', juror = ?, decided_at = ?"
                    " WHERE grid_id = ? AND item_id = ?", (name, at, grid_id, ind.item_id))
                _event(conn, grid_id, at, name, "decide", item_id=ind.item_id, after=ind.proposed,
                       comment="Proposition confirmée à la signature")
        conn.execute("UPDATE grids SET status = 'signed', signed_by = ?, signed_at = ? WHERE id = ?",
                     (name, at, grid_id))
        _event(conn, grid_id, at, name, "sign", before="open", after="signed")
        return load_grid(conn, grid_id)


def reopen(settings: Settings, grid_id: str, juror: str, reason: str) -> Grid:
    """Reopen a signed grid for corrections; who and why are recorded."""
    name = _juror(juror)
    reason = " ".join((reason or "").split())
    if not reason:
        raise GridError("Motif manquant : expliquez pourquoi la grille est rouverte avec --reason « … ».",
                        code="reason_required")
    with database(settings) as conn, transaction(conn):
        grid = load_grid(conn, grid_id)
        if grid.status != "signed":
            raise GridError(f"La grille {grid_id} n'est pas signée : elle est déjà modifiable.", code="grid_not_signed")
        conn.execute("UPDATE grids SET status = 'open', signed_by = NULL, signed_at = NULL WHERE id = ?", (grid_id,))
        _event(conn, grid_id, now(), name, "reopen", before="signed", after="open", comment=reason)
        return load_grid(conn, grid_id)


def stats(settings: Settings, unit: str | None = None):  # noqa: ANN201 - grid_stats.Stats
    """Agreement between the tool and the jurors on signed grids (see :mod:`assistant.records.grid_stats`)."""
    from assistant.records.grid_stats import stats as agreement

    return agreement(settings, unit=unit)
