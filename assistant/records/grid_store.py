"""The grids database: schema and migrations, the grid models, connections and transactions, reading a grid.

Stored in SQLite (``settings.grids_db``, WAL mode, foreign keys on). Every write runs in a
``BEGIN IMMEDIATE`` transaction with a busy timeout, so concurrent jurors never lose a decision.

The schema is versioned: ``MIGRATIONS[n]`` brings a database from version ``n`` to ``n + 1`` and the
pending ones are applied in order when the database is opened, so an older file is upgraded in place.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.config.settings import Settings
from assistant.domain.errors import GridError

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
    # v4: why a line must be looked at: '' (no), 'uncertain' (the judge is unsure), 'instruction' (an
    # instruction to an assessor or hidden text bears on it: a juror must decide it explicitly).
    [
        "ALTER TABLE lines ADD COLUMN review TEXT NOT NULL DEFAULT ''",
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
    review: Literal["", "uncertain", "instruction"] = ""

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
    _check_once(conn, path)
    _pragma_wal(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


_CHECKED: set[str] = set()


def _check_once(conn: sqlite3.Connection, path) -> None:  # noqa: ANN001
    """SQLite's own consistency check, once per database per process (at start): a damaged file is said
    plainly, with what to do, instead of failing later in the middle of a decision."""
    key = str(path)
    if key in _CHECKED:
        return
    try:
        problems = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:  # not even readable as a database
        problems = [str(exc)]
    if problems != ["ok"]:
        conn.close()
        raise GridError(
            f"La base des grilles ({path}) est endommagée ({problems[0]}). Arrêtez le service, gardez une copie "
            "du fichier, puis restaurez la dernière sauvegarde (rncp-coach backup FICHIER en crée une).",
            code="grids_db_damaged",
        )
    _CHECKED.add(key)


def backup(settings: Settings, target) -> dict:  # noqa: ANN001
    """A consistent copy of the grids database while it is in use (SQLite's online backup API), written to a
    temporary name, checked, then moved into place: ``target`` is either the whole copy or untouched."""
    from pathlib import Path

    target = Path(target)
    if target.resolve() == settings.grids_db.resolve():
        raise GridError("La sauvegarde doit être un autre fichier que la base elle-même.", code="backup_same_file")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    part.unlink(missing_ok=True)
    with closing(connect(settings)) as source, closing(sqlite3.connect(part)) as copy:
        source.backup(copy)
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        grids = copy.execute("SELECT COUNT(*) FROM grids").fetchone()[0]
        events = copy.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    if check != "ok":
        part.unlink(missing_ok=True)
        raise GridError(f"La copie de sauvegarde n'est pas saine ({check}) : rien n'a été écrit.",
                        code="backup_failed")
    part.chmod(0o600)
    part.replace(target)
    return {"file": str(target), "grids": grids, "events": events}


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
def database(settings: Settings) -> Iterator[sqlite3.Connection]:
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
        juror=row["juror"], decided_at=row["decided_at"], review=row["review"] or "",
    )


def load_grid(conn: sqlite3.Connection, grid_id: str) -> Grid:
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
