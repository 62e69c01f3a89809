"""The application object: settings plus the expensive things (model, store), built on first use.

CLI commands, the chat engine and the web app all go through one ``Coach``.
"""

from __future__ import annotations

import threading
from functools import cached_property

from langchain_core.embeddings import Embeddings

from assistant.config.settings import Settings, offline_environment
from assistant.domain.documents import chunk_passage
from assistant.domain.referentiel import Referentiel


class Coach:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embeddings | None = None,
        chat_model: object | None = None,
    ) -> None:
        offline_environment()
        self.settings = settings or Settings.from_env()
        self._embeddings = embeddings
        if chat_model is not None:
            self._chat_model = chat_model
        self._indexes: dict[str, object] = {}
        self._lock = threading.RLock()

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            from assistant.models.embeddings import get_embeddings

            self._embeddings = get_embeddings(self.settings.embeddings)
        return self._embeddings

    @cached_property
    def store(self):  # noqa: ANN201
        from assistant.knowledge.store import Store

        return Store(self.settings, self.embeddings)

    # Référentiels ----------------------------------------------------------------------------------
    def referentiel(self, ident: str | None = None) -> Referentiel:
        from assistant.knowledge.registry import get_referentiel

        return get_referentiel(self.settings, ident)

    def referentiel_index(self, ident: str | None = None, *, rebuild: bool = False):  # noqa: ANN201
        from assistant.knowledge.referentiel_index import ReferentielIndex

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
        from assistant.knowledge.registry import list_referentiels
        from assistant.knowledge.store import DOCUMENTS

        report: dict[str, int] = {}
        if rebuild:
            report["document_chunks"] = self.store.rebuild(DOCUMENTS)
        for ref in list_referentiels(self.settings):
            report[ref.id] = len(self.referentiel_index(ref.id, rebuild=rebuild).passages)
        return report

    def ask(self, question: str, *, referentiel: str | None = None, mode: str = "hybrid"):  # noqa: ANN201
        from assistant.knowledge.qa import ask

        return ask(question, self.referentiel_index(referentiel), mode=mode)

    # Candidate documents ---------------------------------------------------------------------------
    def read_document(self, path, *, password: str | None = None):  # noqa: ANN001, ANN201
        """Extract and chunk a PDF (nothing stored): (document, chunks)."""
        from pathlib import Path

        from ingestion.chunking import chunk_document
        from ingestion.pdf.extract import extract_pdf

        path = Path(path)
        doc = extract_pdf(
            path, file_name=path.name, password=password,
            max_bytes=self.settings.max_pdf_bytes, max_pages=self.settings.max_pdf_pages, ocr=self.settings.ocr,
        )
        return doc, chunk_document(doc)

    @property
    def vector_cache(self):  # noqa: ANN201
        from assistant.knowledge.vector_cache import VectorCache

        return VectorCache(self.settings.home / "vectors.sqlite3")

    def document_vectors(self, chunks) -> np.ndarray:  # noqa: ANN001, F821
        """Chunk vectors; passages already embedded by the same model (an earlier draft) are reused."""
        from assistant.models.embeddings import embed_array, model_id_of

        return self.vector_cache.vectors(model_id_of(self.embeddings), [chunk_passage(c) for c in chunks],
                                         lambda texts: embed_array(self.embeddings, texts))

    def ingest(self, path, *, candidate: str, password: str | None = None) -> dict:  # noqa: ANN001
        """Index a candidate's document (idempotent: same file, same chunks); returns what was done."""
        from assistant.assessment.documents_store import store_document

        doc, chunks = self.read_document(path, password=password)
        vectors = self.document_vectors(chunks)
        added = store_document(self.store, candidate, doc, chunks, vectors)
        return {"candidate": candidate, "file": doc.file_name, "sha256": doc.sha256, "pages": doc.page_count,
                "chunks": len(chunks), "added": added}

    @property
    def chat_model(self):  # noqa: ANN201
        """The configured chat model, or None (offline). Built once."""
        if not hasattr(self, "_chat_model"):
            from assistant.models.llm import get_chat_model

            self._chat_model = get_chat_model(self.settings)
        return self._chat_model

    def judge(self, *, warnings: list[str] | None = None):  # noqa: ANN201
        """The offline judge, or the LLM judge (with the offline one as fallback) when a model is set."""
        from assistant.judging.offline import OfflineJudge

        offline = OfflineJudge()
        if self.chat_model is None:
            return offline
        from assistant.judging.llm import LLMJudge

        return LLMJudge(self.chat_model, offline, referentiel_title=self.referentiel().title, warnings=warnings)

    def assess(
        self,
        path,  # noqa: ANN001
        *,
        unit: str | None = None,
        candidate: str | None = None,
        password: str | None = None,
        referentiel: str | None = None,
        allow_uncertain_unit: bool = False,
        progress=None,  # noqa: ANN001
    ):  # noqa: ANN201
        """Assess a PDF against one unit (detected when not given). With a candidate id, the document and
        the result are kept under that candidate; without one, nothing is stored."""
        from assistant.assessment.documents_store import save_result, store_document
        from assistant.assessment.pipeline import assess_extracted
        from assistant.domain.candidates import check_candidate

        ref = self.referentiel(referentiel)
        if unit is not None:
            ref.unit(unit)
        if candidate:
            check_candidate(candidate)
        if progress:
            progress(0.1, "Lecture du document")
        doc, chunks = self.read_document(path, password=password)
        if progress:
            progress(0.3, "Analyse du document")
        # A sentence addressed to an assessor is cut out of its page before chunking, so that the honest
        # sentences around it still count (the warning and the quote checks use the original pages).
        from assistant.judging.suspicious import find_instructions, without_instructions

        found = find_instructions(doc)
        if found:
            from ingestion.chunking import chunk_document

            chunks = chunk_document(without_instructions(doc, found))
        vectors = self.document_vectors(chunks)
        result = assess_extracted(
            ref, doc, chunks, vectors, self.embeddings, self.judge(), unit_id=unit, candidate=candidate,
            allow_uncertain_unit=allow_uncertain_unit, progress=progress,
        )
        if candidate:  # kept only once the assessment succeeded
            store_document(self.store, candidate, doc, chunks, vectors)
            save_result(self.settings, candidate, result)
        return result

    def forget(self, candidate: str) -> dict:
        from assistant.assessment.documents_store import forget_candidate

        report = forget_candidate(self.settings, self.store, candidate)
        self.vector_cache.clear()  # hashes of the candidate's passages go with them
        return report
