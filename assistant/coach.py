"""The application object: settings plus the expensive things (model, store), built on first use.

CLI commands, the chat engine and the web app all go through one ``Coach``.
"""

from __future__ import annotations

import threading
from functools import cached_property

from langchain_core.embeddings import Embeddings

from assistant.referentiel import Referentiel
from assistant.settings import Settings, offline_environment


class Coach:
    def __init__(self, settings: Settings | None = None, *, embeddings: Embeddings | None = None) -> None:
        offline_environment()
        self.settings = settings or Settings.from_env()
        self._embeddings = embeddings
        self._indexes: dict[str, object] = {}
        self._lock = threading.RLock()

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            from assistant.embeddings import get_embeddings

            self._embeddings = get_embeddings(self.settings.embeddings)
        return self._embeddings

    @cached_property
    def store(self):  # noqa: ANN201
        from assistant.store import Store

        return Store(self.settings, self.embeddings)

    # Référentiels ----------------------------------------------------------------------------------
    def referentiel(self, ident: str | None = None) -> Referentiel:
        from assistant.registry import get_referentiel

        return get_referentiel(self.settings, ident)

    def referentiel_index(self, ident: str | None = None, *, rebuild: bool = False):  # noqa: ANN201
        from assistant.referentiel_index import ReferentielIndex

        ref = self.referentiel(ident)
        with self._lock:
            idx = self._indexes.get(ref.id)
            if idx is None or rebuild or idx.ref is not ref:  # type: ignore[attr-defined]
                idx = ReferentielIndex(self.store, ref)
                idx.ensure_indexed(rebuild=rebuild)
                self._indexes[ref.id] = idx
            return idx

    def index(self, *, rebuild: bool = False) -> dict[str, int]:
        """Index every known référentiel; with ``rebuild``, re-embed everything (documents too)."""
        from assistant.registry import list_referentiels
        from assistant.store import DOCUMENTS

        report: dict[str, int] = {}
        if rebuild:
            report["document_chunks"] = self.store.rebuild(DOCUMENTS)
        for ref in list_referentiels(self.settings):
            stats = self.referentiel_index(ref.id, rebuild=rebuild).ensure_indexed()
            report[ref.id] = stats["passages"]
        return report

    def ask(self, question: str, *, referentiel: str | None = None, mode: str = "hybrid"):  # noqa: ANN201
        from assistant.qa import ask

        return ask(question, self.referentiel_index(referentiel), mode=mode)
