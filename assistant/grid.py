"""The juror grid: the tool's proposal per criterion and indicator, the jurors' decisions, an audit log.

Stored in SQLite (``settings.grids_db``, WAL mode, foreign keys on). Every write runs in a
``BEGIN IMMEDIATE`` transaction with a busy timeout, so concurrent jurors never lose a decision. The
``events`` table is append-only (triggers refuse updates and deletes) and no grid or line is ever
deleted. A signed grid is read-only until a juror reopens it, with a reason that is itself recorded.

The schema is versioned: ``MIGRATIONS[n]`` brings a database from version ``n`` to ``n + 1`` and the
pending ones are applied in order when the database is opened, so an older file is upgraded in place.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import GridError
from assistant.settings import Settings
from assistant.vocabulary import LEVEL_FR, LEVELS, TO_ASSESS, VERDICTS

TOOL_JUROR = "rncp-coach"  # the "juror" of the events the tool itself records (prefill)
BUSY_TIMEOUT_S = 30.0


# Schema ---------------------------------------------------------------------------------------------
MIGRATIONS: list[list[str]] = [
    # v1: grids, their lines (latest decision per line) and the audit log.
    [
        """CREATE TABLE grids (
            id TEXT PRIMARY KEY, referentiel TEXT NOT NULL, unit TEXT NOT NULL, candidate TEXT NOT NULL,
            sha256 TEXT NOT NULL, file TEXT NOT NULL, created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'signed')),
            signed_by TEXT, signed_at TEXT, judge TEXT, prompt_version TEXT)""",
        """CREATE TABLE lines (
            grid_id TEXT NOT NULL REFERENCES grids(id),
            kind TEXT NOT NULL CHECK (kind IN ('criterion', 'indicator')),
            item_id TEXT NOT NULL, criterion_id TEXT NOT NULL, proposed TEXT NOT NULL,
            rationale TEXT NOT NULL DEFAULT '', evidence_json TEXT NOT NULL DEFAULT '[]',
            decided TEXT, comment TEXT, juror TEXT, decided_at TEXT,
            PRIMARY KEY (grid_id, item_id))""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, grid_id TEXT NOT NULL REFERENCES grids(id),
            at TEXT NOT NULL, juror TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('prefill', 'decide', 'sign', 'reopen')),
            item_id TEXT, before TEXT, after TEXT, comment TEXT)""",
    ],
    # v2: titles kept with the grid (exports do not depend on the référentiel any more), the tool's own
    # proposal kept apart from the displayed one (statistics keep measuring criteria shown "à évaluer"),
    # indexes, and the append-only / no-delete rules enforced by the database itself.
    [
        "ALTER TABLE grids ADD COLUMN unit_title TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lines ADD COLUMN title TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lines ADD COLUMN tool_proposed TEXT",
        "ALTER TABLE lines ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "UPDATE lines SET tool_proposed = proposed",
        "CREATE INDEX events_by_grid ON events(grid_id, id)",
        "CREATE INDEX grids_by_candidate ON grids(candidate, unit)",
        """CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TRIGGER grids_never_deleted BEFORE DELETE ON grids
            BEGIN SELECT RAISE(ABORT, 'grids are never deleted'); END""",
        """CREATE TRIGGER lines_never_deleted BEFORE DELETE ON lines
            BEGIN SELECT RAISE(ABORT, 'grid lines are never deleted'); END""",
    ],
    # v3: the document's warnings (instructions to an assessor, hidden text...) kept with the grid, so
    # that jurors see them.
    [
        "ALTER TABLE grids ADD COLUMN warnings_json TEXT NOT NULL DEFAULT '[]'",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


# Models ---------------------------------------------------------------------------------------------
class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GridLine(_M):
    kind: Literal["criterion", "indicator"]
    item_id: str
    criterion_id: str
    title: str = ""
    proposed: str  # level (criterion) or verdict (indicator) shown to the jurors
    tool_proposed: str | None = None  # what the tool said, even when shown as "a_evaluer"
    rationale: str = ""  # criterion rationale or indicator feedback
    note: str = ""
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    decided: str | None = None
    comment: str | None = None
    juror: str | None = None
    decided_at: str | None = None

    @property
    def value(self) -> str:
        """The decision, or the proposal while none was made."""
        return self.decided or self.proposed


class Grid(_M):
    id: str
    referentiel: str
    unit: str
    unit_title: str = ""
    candidate: str
    sha256: str
    file: str
    created_at: str
    status: Literal["open", "signed"] = "open"
    signed_by: str | None = None
    signed_at: str | None = None
    judge: str | None = None
    prompt_version: str | None = None
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    lines: list[GridLine] = Field(default_factory=list)

    @property
    def criteria(self) -> list[GridLine]:
        return [ln for ln in self.lines if ln.kind == "criterion"]

    @property
    def indicators(self) -> list[GridLine]:
        return [ln for ln in self.lines if ln.kind == "indicator"]

    def line(self, item_id: str) -> GridLine | None:
        return next((ln for ln in self.lines if ln.item_id == item_id), None)

    def jurors(self) -> list[str]:
        """Jurors who decided or signed, in order of first appearance."""
        names = [ln.juror for ln in self.lines if ln.juror] + ([self.signed_by] if self.signed_by else [])
        return list(dict.fromkeys(names))


class GridEvent(_M):
    id: int
    grid_id: str
    at: str
    juror: str
    action: Literal["prefill", "decide", "sign", "reopen"]
    item_id: str | None = None
    before: str | None = None
    after: str | None = None
    comment: str | None = None


# Connection -----------------------------------------------------------------------------------------
def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pragma_wal(conn: sqlite3.Connection) -> None:
    # Switching a fresh file to WAL needs a brief exclusive lock that the busy handler does not always
    # wait for: retry a little.
    for attempt in range(50):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.05)


def _version(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no table yet: an empty database
        return 0
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the pending migrations in order (each version in its own transaction); return the version."""
    if _version(conn) >= SCHEMA_VERSION:
        return _version(conn)
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    while True:
        with transaction(conn):
            current = _version(conn)  # re-read under the write lock: another process may have migrated
            if current >= SCHEMA_VERSION:
                return current
            for statement in MIGRATIONS[current]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (current + 1, now()))


def connect(settings: Settings) -> sqlite3.Connection:
    """Open (and create or upgrade) the grids database. Autocommit mode: writes use :func:`transaction`."""
    path = settings.grids_db
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    _pragma_wal(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock up front, so reads inside it stay current."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: several SELECTs see one consistent state of the database."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


@contextmanager
def _db(settings: Settings) -> Iterator[sqlite3.Connection]:
    with closing(connect(settings)) as conn:
        yield conn


# Reading --------------------------------------------------------------------------------------------
_GRID_COLS = ("id", "referentiel", "unit", "unit_title", "candidate", "sha256", "file", "created_at", "status",
              "signed_by", "signed_at", "judge", "prompt_version")


def _line(row: sqlite3.Row) -> GridLine:
    return GridLine(
        kind=row["kind"], item_id=row["item_id"], criterion_id=row["criterion_id"], title=row["title"],
        proposed=row["proposed"], tool_proposed=row["tool_proposed"], rationale=row["rationale"], note=row["note"],
        evidence=json.loads(row["evidence_json"] or "[]"), decided=row["decided"], comment=row["comment"],
        juror=row["juror"], decided_at=row["decided_at"],
    )


def _load(conn: sqlite3.Connection, grid_id: str) -> Grid:
    row = conn.execute(f"SELECT {', '.join(_GRID_COLS)}, warnings_json FROM grids WHERE id = ?",
                       (grid_id,)).fetchone()
    if row is None:
        raise GridError(
            f"Grille introuvable « {grid_id} ». Listez les grilles existantes avec : rncp-coach grid list",
            code="grid_not_found",
        )
    lines = conn.execute(
        "SELECT * FROM lines WHERE grid_id = ? ORDER BY kind = 'indicator', rowid", (grid_id,)
    ).fetchall()
    return Grid(**{k: row[k] for k in _GRID_COLS}, warnings=json.loads(row["warnings_json"] or "[]"),
                lines=[_line(r) for r in lines])


def get_grid(settings: Settings, grid_id: str) -> Grid:
    with _db(settings) as conn, snapshot(conn):
        return _load(conn, (grid_id or "").strip())


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
    with _db(settings) as conn, snapshot(conn):
        return [_load(conn, r["id"]) for r in conn.execute(sql, args).fetchall()]


def history(settings: Settings, grid_id: str) -> list[GridEvent]:
    """The grid's audit log, oldest first."""
    with _db(settings) as conn, snapshot(conn):
        _load(conn, grid_id)
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
    grid = _load(conn, grid_id)
    if grid.status == "signed":
        raise GridError(
            f"La grille {grid_id} est signée ({grid.signed_by}, {grid.signed_at}) et ne peut plus être modifiée. "
            f"Pour la corriger, rouvrez-la : rncp-coach grid reopen {grid_id} --juror NOM --reason « … »",
            code="grid_signed",
        )
    return grid


def create_grid(settings: Settings, assessment, *, unit_title: str = "") -> Grid:  # noqa: ANN001
    """Store an assessment's proposal as a new open grid. Criteria the statistics say the tool should not
    pre-fill (see :func:`assistant.grid_stats.stats`) are proposed ``a_evaluer``, with a note."""
    from assistant.grid_stats import stats

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
        rows.append(("criterion", c.id, c.id, c.title, shown, c.level, c.rationale, note, "[]"))
    for i in assessment.indicators:
        evidence = json.dumps([e.model_dump(mode="json") for e in i.evidence], ensure_ascii=False)
        rows.append(("indicator", i.id, i.criterion_id, i.text, i.verdict, i.verdict, i.feedback, "", evidence))
    doc = assessment.document
    with _db(settings) as conn, transaction(conn):
        conn.execute(
            "INSERT INTO grids (id, referentiel, unit, unit_title, candidate, sha256, file, created_at, status, judge,"
            " prompt_version, warnings_json) VALUES (?,?,?,?,?,?,?,?, 'open', ?, ?, ?)",
            (grid_id, assessment.referentiel, assessment.unit, unit_title, assessment.candidate, doc.sha256, doc.file,
             at, assessment.judge, assessment.prompt_version,
             json.dumps([w.model_dump() for w in assessment.warnings], ensure_ascii=False)),
        )
        conn.executemany(
            "INSERT INTO lines (grid_id, kind, item_id, criterion_id, title, proposed, tool_proposed, rationale, note,"
            " evidence_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(grid_id, *r) for r in rows],
        )
        withheld = sorted(c for c in held_back if c in {r[1] for r in rows})
        _event(conn, grid_id, at, TOOL_JUROR, "prefill",
               after=f"{len(assessment.criteria)} critères, {len(assessment.indicators)} indicateurs",
               comment=f"{doc.file} (sha256 {doc.sha256[:12]})"
               + (f" ; non pré-remplis : {', '.join(withheld)}" if withheld else ""))
        return _load(conn, grid_id)


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
    with _db(settings) as conn, transaction(conn):
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
        return _load(conn, grid_id)


def sign(settings: Settings, grid_id: str, juror: str) -> Grid:
    """Sign the grid: every criterion must have been decided; indicators left undecided are confirmed as
    proposed (each confirmation is recorded). The grid becomes read-only."""
    name = _juror(juror)
    with _db(settings) as conn, transaction(conn):
        grid = _open_grid(conn, grid_id)
        pending = [c.item_id for c in grid.criteria if c.decided is None]
        if pending:
            raise GridError(
                f"Grille incomplète : critère(s) sans décision du jury : {', '.join(pending)}. Décidez-les avant de "
                f"signer : rncp-coach grid decide {grid_id} --criterion C --level L --juror NOM",
                code="grid_incomplete",
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
        return _load(conn, grid_id)


def reopen(settings: Settings, grid_id: str, juror: str, reason: str) -> Grid:
    """Reopen a signed grid for corrections; who and why are recorded."""
    name = _juror(juror)
    reason = " ".join((reason or "").split())
    if not reason:
        raise GridError("Motif manquant : expliquez pourquoi la grille est rouverte avec --reason « … ».",
                        code="reason_required")
    with _db(settings) as conn, transaction(conn):
        grid = _load(conn, grid_id)
        if grid.status != "signed":
            raise GridError(f"La grille {grid_id} n'est pas signée : elle est déjà modifiable.", code="grid_not_signed")
        conn.execute("UPDATE grids SET status = 'open', signed_by = NULL, signed_at = NULL WHERE id = ?", (grid_id,))
        _event(conn, grid_id, now(), name, "reopen", before="signed", after="open", comment=reason)
        return _load(conn, grid_id)


def stats(settings: Settings, unit: str | None = None):  # noqa: ANN201 - grid_stats.Stats
    """Agreement between the tool and the jurors on signed grids (see :mod:`assistant.grid_stats`)."""
    from assistant.grid_stats import stats as agreement

    return agreement(settings, unit=unit)
