"""Chroma collections: embedded ``PersistentClient`` by default, ``HttpClient`` with a server URL.

Rules this module enforces:
- our embedding function is always passed (Chroma's default one downloads a model and fails
  offline; ``get_collection`` without it silently falls back to it);
- the embedding model id is recorded in each collection's metadata, and opening a collection with
  another model is a clear error (``[store_model_mismatch]``), never mixed vectors;
- writes are all-or-nothing from the user's point of view: vectors are computed before anything is
  written, and a failed write removes what it had written.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from contextlib import closing
from typing import Any
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config.settings import Settings, offline_environment
from assistant.domain.errors import StoreError, StoreModelMismatch
from assistant.models.embeddings import embed_array, model_id_of

MODEL_KEY = "embedding_model"
DOCUMENTS = "documents"
WRITE_BATCH = 1000


def _chroma_embedding_function(embeddings: Embeddings):  # noqa: ANN202
    from chromadb.api.types import Documents, EmbeddingFunction
    from chromadb.api.types import Embeddings as ChromaEmbeddings

    class CoachEmbeddingFunction(EmbeddingFunction[Documents]):
        """Adapter: our LangChain embeddings, seen by Chroma."""

        def __init__(self, inner: Embeddings) -> None:
            self.inner = inner

        def __call__(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002 - Chroma's name
            return list(embed_array(self.inner, list(input)))

        def embed_query(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002
            return list(embed_array(self.inner, list(input), query=True))

        @staticmethod
        def name() -> str:
            return "rncp-coach"

        def get_config(self) -> dict[str, Any]:
            return {"model": model_id_of(self.inner)}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> CoachEmbeddingFunction:
            from assistant.models.embeddings import get_embeddings

            return CoachEmbeddingFunction(get_embeddings(config.get("model", "e5")))

        def default_space(self) -> str:  # type: ignore[override]
            return "cosine"

    return CoachEmbeddingFunction(embeddings)


def collection_name(prefix: str, ident: str) -> str:
    """A valid Chroma collection name (3-63 chars, alphanumerics, '-', '_', '.')."""
    base = f"{prefix}-{ident}"
    clean = "".join(c if c.isalnum() or c in "-_." else "-" for c in base).strip("-_.")
    if len(clean) > 63:
        digest = hashlib.sha1(base.encode()).hexdigest()[:8]
        clean = f"{clean[:54].rstrip('-_.')}-{digest}"
    return clean


def where_clause(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"a": 1, "b": 2}`` -> Chroma's ``{"$and": [...]}`` form; ``None`` values are ignored."""
    items = [{k: v} for k, v in (filters or {}).items() if v is not None]
    if not items:
        return None
    return items[0] if len(items) == 1 else {"$and": items}


class Store:
    """The vector store; the client is created on first use."""

    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model_id = model_id_of(embeddings)
        self._client = None
        self._lock = threading.RLock()
        self._ef = None

    # Client --------------------------------------------------------------------------------------
    @property
    def client(self):  # noqa: ANN201
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self):  # noqa: ANN202
        offline_environment()
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        url = self.settings.chroma_url
        try:
            if url:
                parsed = urlparse(url if "://" in url else f"http://{url}")
                client = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
                return client
            self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.settings.chroma_dir), settings=chroma_settings)
        except Exception as exc:  # noqa: BLE001 - translated for the user
            where = url or str(self.settings.chroma_dir)
            raise StoreError(
                f"Impossible d'ouvrir la base vectorielle ({where}) : {exc.__class__.__name__}: {exc}. "
                "Vérifiez RNCP_COACH_CHROMA_URL (serveur démarré ?) ou les droits sur RNCP_COACH_HOME.",
                code="store_unavailable",
            ) from exc

    @property
    def ef(self):  # noqa: ANN201
        if self._ef is None:
            self._ef = _chroma_embedding_function(self.embeddings)
        return self._ef

    # Collections ---------------------------------------------------------------------------------
    def collection(self, name: str, *, create: bool = True):  # noqa: ANN201
        """Open (or create) a collection, checking that it was filled with our model."""
        with self._lock:
            if name not in self.collection_names():
                if not create:
                    return None
                return self.client.create_collection(
                    name,
                    embedding_function=self.ef,
                    metadata={MODEL_KEY: self.model_id, "hnsw:space": "cosine"},
                )
            col = self.client.get_collection(name, embedding_function=self.ef)
            recorded = (col.metadata or {}).get(MODEL_KEY)
            if recorded != self.model_id:
                raise StoreModelMismatch(
                    f"L'index « {name} » a été construit avec le modèle d'embeddings « {recorded} », "
                    f"mais le modèle configuré est « {self.model_id} ». Reconstruisez l'index : "
                    "rncp-coach index --rebuild (ou revenez au modèle d'origine avec "
                    "RNCP_COACH_EMBEDDINGS)."
                )
            return col

    def collection_names(self) -> list[str]:
        return sorted(c if isinstance(c, str) else c.name for c in self.client.list_collections())

    def drop(self, name: str) -> None:
        with self._lock:
            if name in self.collection_names():
                self.client.delete_collection(name)

    # Writes --------------------------------------------------------------------------------------
    def upsert(
        self,
        name: str,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        vectors: np.ndarray | None = None,
    ) -> int:
        """Write passages all-or-nothing; returns how many were new."""
        if not ids:
            return 0
        if vectors is None:
            vectors = embed_array(self.embeddings, list(texts))
        col = self.collection(name)
        with self._lock:
            before = set(col.get(ids=list(ids), include=[])["ids"])
            written: list[str] = []
            try:
                for start in range(0, len(ids), WRITE_BATCH):
                    end = start + WRITE_BATCH
                    col.upsert(
                        ids=list(ids[start:end]),
                        documents=list(texts[start:end]),
                        metadatas=[_clean_meta(m) for m in metadatas[start:end]],
                        embeddings=vectors[start:end].tolist(),
                    )
                    written.extend(ids[start:end])
            except Exception as exc:
                new = [i for i in written if i not in before]
                if new:
                    col.delete(ids=new)
                raise StoreError(
                    f"Écriture dans l'index interrompue ({exc.__class__.__name__}) ; rien n'a été "
                    "conservé. Réessayez.",
                    code="store_write_failed",
                ) from exc
        return len([i for i in ids if i not in before])

    def delete(self, name: str, filters: dict[str, Any], *, scrub: bool = False) -> int:
        """Delete the matching records; with ``scrub``, also erase their text from the embedded store's
        files (see :meth:`scrub`)."""
        col = self.collection(name, create=False)
        if col is None:
            return 0
        where = where_clause(filters)
        with self._lock:
            found = col.get(where=where, include=[])["ids"]
            if found:
                col.delete(ids=found)
                if scrub:
                    self.scrub(found)
        return len(found)

    def scrub(self, ids: list[str]) -> bool:
        """Erase deleted records' text from the embedded store's SQLite file. Chroma keeps every write in
        its log table (``embeddings_queue``, replayed into the vector index after a restart) and SQLite keeps
        deleted rows in free pages and full-text segments: the log entries of these records lose their
        metadata and document (the vectors stay, so a replay still adds then deletes them), the full-text
        index is merged, and the file is vacuumed with secure_delete. A Chroma server is the server's
        business (its administrator runs ``chroma vacuum``): False then."""
        import sqlite3

        if self.settings.chroma_url or not ids:
            return False
        db = self.settings.chroma_dir / "chroma.sqlite3"
        if not db.exists():
            return False
        with self._lock, closing(sqlite3.connect(db, timeout=30, isolation_level=None)) as conn:
            conn.execute("PRAGMA secure_delete = ON")
            marks = ",".join("?" * len(ids))
            conn.execute(f"UPDATE embeddings_queue SET metadata = NULL WHERE id IN ({marks})", ids)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "embedding_fulltext_search" in tables:
                conn.execute("INSERT INTO embedding_fulltext_search(embedding_fulltext_search) VALUES ('optimize')")
            conn.execute("VACUUM")
        return True

    def get(self, name: str, filters: dict[str, Any] | None = None, *, with_vectors: bool = False) -> dict:
        col = self.collection(name, create=False)
        if col is None:
            return {"ids": [], "documents": [], "metadatas": [], "embeddings": None}
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        return col.get(where=where_clause(filters), include=include)

    def count(self, name: str) -> int:
        col = self.collection(name, create=False)
        return 0 if col is None else col.count()

    def query(
        self, name: str, vector: np.ndarray, k: int, filters: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Dense search: [(id, cosine similarity)], best first."""
        col = self.collection(name, create=False)
        if col is None:
            return []
        n = col.count()
        if n == 0:
            return []
        res = col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(k, n),
            where=where_clause(filters),
            include=["distances"],
        )
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def rebuild(self, name: str) -> int:
        """Re-embed a collection's stored texts with the configured model (after a model change)."""
        with self._lock:
            if name not in self.collection_names():
                return 0
            old = self.client.get_collection(name, embedding_function=self.ef)
            data = old.get(include=["documents", "metadatas"])
            ids, texts, metas = data["ids"], data["documents"], data["metadatas"]
            vectors = embed_array(self.embeddings, list(texts)) if ids else None
            self.client.delete_collection(name)
            if ids:
                self.upsert(name, ids, texts, metas, vectors)
            else:
                self.collection(name)
            return len(ids)


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma accepts str/int/float/bool values only: drop None, stringify the rest."""
    out: dict[str, Any] = {}
    for k, v in meta.items():
        if v is None:
            continue
        out[k] = v if isinstance(v, str | int | float | bool) else str(v)
    return out
