"""What is kept about a candidate: document chunks in the vector store, assessment results as JSON.

Candidate ids become folder names, so they are validated. Files are written then renamed, so a
crash never leaves half a result. ``forget_candidate`` erases everything held about a candidate.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.config.files import atomic_write_text
from assistant.config.settings import Settings
from assistant.domain.candidates import check_candidate
from assistant.domain.documents import Chunk, ExtractedDocument, chunk_passage
from assistant.knowledge.store import DOCUMENTS, Store


def chunk_store_id(candidate: str, chunk: Chunk) -> str:
    return hashlib.sha256(f"{candidate}|{chunk.id}".encode()).hexdigest()[:32]


def store_document(store: Store, candidate: str, doc: ExtractedDocument, chunks: list[Chunk],
                   vectors: np.ndarray) -> int:
    """Index a document's chunks under the candidate (idempotent); returns how many were new."""
    check_candidate(candidate)
    ids = [chunk_store_id(candidate, c) for c in chunks]
    metas = [
        {"candidate": candidate, "sha256": doc.sha256, "file": doc.file_name, "page": c.page,
         "heading": c.heading, "start": c.start, "end": c.end, "index": c.index, "chunk_id": c.id,
         "pages_total": doc.page_count}
        for c in chunks
    ]
    return store.upsert(DOCUMENTS, ids, [chunk_passage(c) for c in chunks], metas, vectors)


def candidate_documents(store: Store, candidate: str) -> list[dict]:
    data = store.get(DOCUMENTS, {"candidate": check_candidate(candidate)})
    docs: dict[str, dict] = {}
    for meta in data["metadatas"] or []:
        d = docs.setdefault(meta["sha256"], {"sha256": meta["sha256"], "file": meta["file"], "chunks": 0})
        d["chunks"] += 1
    return list(docs.values())


def save_result(settings: Settings, candidate: str, assessment) -> Path:  # noqa: ANN001
    """Keep an assessment as JSON under ``results/<candidate>/``."""
    folder = settings.results_dir / check_candidate(candidate)
    now = datetime.now(UTC)
    name = f"{now:%Y%m%dT%H%M%S%f}-{assessment.document.sha256[:12]}-u{assessment.unit}.json"
    record = {
        "created_at": now.isoformat(),
        "candidate": candidate,
        "judge": assessment.judge,
        "prompt_version": assessment.prompt_version,
        "assessment": assessment.public(),
        "results": [r.model_dump(mode="json") for r in assessment.results],
    }
    path = folder / name
    atomic_write_text(path, json.dumps(record, ensure_ascii=False, indent=1))
    return path


def load_results(settings: Settings, candidate: str, unit: str | None = None) -> list[dict]:
    """A candidate's saved assessments, oldest first."""
    folder = settings.results_dir / check_candidate(candidate)
    if not folder.is_dir():
        return []
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return [r for r in records if unit is None or r["assessment"]["unit"] == unit]


def forget_candidate(settings: Settings, store: Store, candidate: str) -> dict:
    """Erase the candidate's chunks, results and uploaded files; say what was removed."""
    check_candidate(candidate)
    docs = candidate_documents(store, candidate)
    chunks = store.delete(DOCUMENTS, {"candidate": candidate}, scrub=True)
    results_dir = settings.results_dir / candidate
    n_results = len(list(results_dir.glob("*.json"))) if results_dir.is_dir() else 0
    shutil.rmtree(results_dir, ignore_errors=True)
    uploads = settings.uploads_dir / candidate
    n_uploads = len([p for p in uploads.rglob("*") if p.is_file()]) if uploads.is_dir() else 0
    shutil.rmtree(uploads, ignore_errors=True)
    # Files prepared for a browser (reports, grid exports) are copies already handed over: all go.
    shutil.rmtree(settings.exports_dir, ignore_errors=True)
    return {"candidate": candidate, "documents": len(docs), "chunks": chunks, "results": n_results,
            "uploads": n_uploads}
