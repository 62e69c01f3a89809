"""Chunk vectors are reused across drafts: a resubmitted document re-embeds only what changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.domain.documents import chunk_passage
from evals.pdfgen import parse_source, render_markdown_pdf

SOURCE = Path(__file__).parents[1] / "evals" / "deliverables" / "sources" / "u2-banque-vannes.md"


class Counting(DeterministicFakeEmbedding):
    calls: list[int] = []

    def embed_documents(self, texts):  # noqa: ANN001, ANN201
        self.calls.append(len(texts))
        return super().embed_documents(texts)


def test_second_draft_embeds_only_the_changed_passages(tmp_path):
    _, body = parse_source(SOURCE)
    first, second = tmp_path / "v1.pdf", tmp_path / "v2.pdf"
    render_markdown_pdf(body, first)
    render_markdown_pdf(body.replace("Le directeur d'agence souhaite", "La directrice d'agence souhaite"), second)
    emb = Counting(size=384)
    coach = Coach(Settings(home=tmp_path / "home"), embeddings=emb)
    _, chunks1 = coach.read_document(first)
    v1 = coach.document_vectors(chunks1)
    assert emb.calls == [len(chunks1)]
    again = coach.document_vectors(chunks1)
    assert emb.calls == [len(chunks1)] and np.allclose(v1, again)  # unchanged draft: nothing embedded
    _, chunks2 = coach.read_document(second)
    changed = {chunk_passage(c) for c in chunks2} - {chunk_passage(c) for c in chunks1}
    v2 = coach.document_vectors(chunks2)
    assert 1 <= len(changed) < len(chunks2) and emb.calls[-1] == len(changed)
    assert v2.shape == (len(chunks2), 384)
    cache = (tmp_path / "home" / "vectors.sqlite3").read_bytes()
    assert b"directrice" not in cache and b"directeur" not in cache  # hashes and vectors, never text
    coach.forget("dupont-marie")
    coach.document_vectors(chunks1)
    assert emb.calls[-1] == len(chunks1)  # forget emptied the cache


def test_a_cache_that_cannot_be_opened_never_fails_the_assessment(tmp_path):
    from assistant.knowledge.vector_cache import VectorCache

    blocked = tmp_path / "vectors.sqlite3"
    blocked.mkdir()  # not a database
    emb = Counting(size=8)
    out = VectorCache(blocked).vectors("m", ["un passage", "un autre"], lambda t: np.array(emb.embed_documents(t)))
    assert out.shape == (2, 8)
