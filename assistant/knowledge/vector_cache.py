"""Chunk vectors kept by (embedding model, sha256 of the passage): the next draft is fast.

A resubmitted draft shares most of its passages with the previous one; only the passages whose text
changed are embedded again. The cache holds hashes and vectors, never the text itself, in one SQLite
file under ``RNCP_COACH_HOME``; ``forget`` empties it (it refills on the next assessment).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np

SCHEMA = """CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, key)
) WITHOUT ROWID"""


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        with contextlib.suppress(sqlite3.OperationalError):  # another writer is switching it right now
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute(SCHEMA)
        return conn

    def vectors(self, model: str, texts: list[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors for ``texts``: cached ones read back, the others computed by ``embed`` and stored."""
        if not texts:
            return embed(texts)
        keys = [_key(t) for t in texts]
        try:
            conn = self._connect()
        except sqlite3.Error:  # a cache: never the reason an assessment fails
            return embed(texts)
        try:
            found: dict[str, np.ndarray] = {}
            unique = list(dict.fromkeys(keys))
            for i in range(0, len(unique), 500):
                part = unique[i : i + 500]
                rows = conn.execute(
                    f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(part))})",
                    [model, *part],
                ).fetchall()
                found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
            todo = [i for i, k in enumerate(keys) if k not in found]
            if todo:
                fresh = np.asarray(embed([texts[i] for i in todo]), dtype=np.float32)
                with contextlib.suppress(sqlite3.Error), conn:  # busy beyond the timeout: simply not kept
                    conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                     [(model, keys[i], fresh[n].tobytes()) for n, i in enumerate(todo)])
                found.update({keys[i]: fresh[n] for n, i in enumerate(todo)})
            return np.vstack([found[k] for k in keys])
        finally:
            conn.close()

    def clear(self) -> None:
        if not self.path.exists():
            return
        conn = self._connect()
        try:
            with conn:
                conn.execute("DELETE FROM vectors")
            conn.execute("VACUUM")
        finally:
            conn.close()
