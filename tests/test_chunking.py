"""Chunking: exact slices of page text, pages kept, headings carried, deterministic ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdf_fixtures import make_text_pdf

from assistant.domain.documents import Chunk, ExtractedDocument, Page
from ingestion.chunking import chunk_document, chunk_id, is_heading
from ingestion.pdf.extract import extract_pdf


def _doc(*texts: str, sha: str = "0" * 64) -> ExtractedDocument:
    return ExtractedDocument(
        file_name="t.pdf",
        sha256=sha,
        page_count=len(texts),
        pages=[Page(number=i, text=t) for i, t in enumerate(texts, start=1)],
        hidden=[],
    )


def assert_invariants(doc: ExtractedDocument, chunks: list[Chunk], max_words: int = 140) -> None:
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    covered: dict[int, set[int]] = {p.number: set() for p in doc.pages}
    last = (0, -1)
    for c in chunks:
        page_text = doc.page(c.page).text
        assert c.text == page_text[c.start : c.end]
        assert c.text and c.text == c.text.strip()
        assert len(c.text.split()) <= max_words or len(c.text.split()) == 1
        assert re.fullmatch(r"[0-9a-f]{32}", c.id)
        assert c.id == chunk_id(doc.sha256, c.page, c.start, c.end)
        assert (c.page, c.start) > last  # in document order, no overlap
        last = (c.page, c.end - 1)
        covered[c.page].update(range(c.start, c.end))
    # Every visible character of every page is in a chunk.
    for p in doc.pages:
        missing = [i for i, ch in enumerate(p.text) if not ch.isspace() and i not in covered[p.number]]
        assert not missing, (p.number, missing[:5])


@pytest.fixture()
def pdf_doc(tmp_path: Path) -> ExtractedDocument:
    pages = [
        "1. Contexte de la mission\n"
        "La brasserie Bière d’Armor, fondée en 2012 à Vannes, emploie douze salariés. Elle souhaite\n"
        "développer sa communi-\n"
        "cation auprès des touristes.\n"
        "\n"
        "Analyse de la concurrence\n"
        "Trois brasseries concurrentes occupent le marché breton et ciblent les mêmes restaurants.",
        "Leur stratégie repose sur les réseaux sociaux et sur les salons professionnels de la région.\n"
        "Nous avons interrogé 214 clients : 62 % citent le goût, 31 % le prix.\n"
        "\n"
        "BUDGET PRÉVISIONNEL\n"
        "Poste Montant Part\n"
        "Affichage 4 500 € 30 %\n"
        "Réseaux sociaux 6 000 € 40 %",
        "3. Indicateurs de suivi\n" + " ".join(["Le taux d’engagement sera mesuré chaque mois par l’équipe."] * 30),
    ]
    return extract_pdf(make_text_pdf(tmp_path / "dossier.pdf", pages))


def test_chunks_of_a_real_pdf(pdf_doc: ExtractedDocument) -> None:
    chunks = chunk_document(pdf_doc)
    assert_invariants(pdf_doc, chunks)
    assert {c.page for c in chunks} == {1, 2, 3}
    first = chunks[0]
    assert first.page == 1 and first.heading == "1. Contexte de la mission"
    assert first.text.startswith("1. Contexte de la mission\nLa brasserie Bière d'Armor")
    assert "communication auprès des touristes." in first.text
    concurrence = next(c for c in chunks if c.text.startswith("Analyse de la concurrence"))
    assert concurrence.page == 1 and concurrence.heading == "Analyse de la concurrence"
    # Page 2 starts without a heading: the heading of page 1 carries over.
    p2 = [c for c in chunks if c.page == 2]
    assert p2[0].heading == "Analyse de la concurrence"
    assert p2[0].text.startswith("Leur stratégie repose")
    budget = next(c for c in p2 if c.text.startswith("BUDGET PRÉVISIONNEL"))
    assert budget.heading == "BUDGET PRÉVISIONNEL"
    assert "Poste Montant Part\nAffichage 4 500 € 30 %\nRéseaux sociaux 6 000 € 40 %" in budget.text
    # The long paragraph of page 3 is split at sentence boundaries, heading carried.
    p3 = [c for c in chunks if c.page == 3]
    assert len(p3) >= 3
    assert all(c.heading == "3. Indicateurs de suivi" for c in p3)
    assert all(c.text.endswith("l'équipe.") for c in p3)


def test_ids_are_deterministic(pdf_doc: ExtractedDocument) -> None:
    a = chunk_document(pdf_doc)
    b = chunk_document(pdf_doc)
    assert [c.model_dump() for c in a] == [c.model_dump() for c in b]
    other = pdf_doc.model_copy(update={"sha256": "f" * 64})
    assert {c.id for c in chunk_document(other)}.isdisjoint({c.id for c in a})


def test_chunks_never_cross_pages_and_group_short_lines() -> None:
    doc = _doc("Une phrase courte.\nUne autre phrase courte.", "Suite sur la page deux.")
    chunks = chunk_document(doc)
    assert [(c.page, c.text) for c in chunks] == [
        (1, "Une phrase courte.\nUne autre phrase courte."),
        (2, "Suite sur la page deux."),
    ]
    assert all(c.heading is None for c in chunks)


def test_target_and_max_words() -> None:
    sentence = "Nous avons mesuré la notoriété de la marque auprès de trois cents clients fidèles."
    paragraph = " ".join([sentence] * 40)  # 560 words, one line
    doc = _doc("Objectifs\n" + paragraph)
    chunks = chunk_document(doc, target_words=50, max_words=80)
    assert_invariants(doc, chunks, max_words=80)
    assert all(len(c.text.split()) <= 80 for c in chunks)
    assert all(c.text.endswith("fidèles.") for c in chunks)
    assert chunks[0].text.startswith("Objectifs\nNous avons")
    # A sentence longer than max_words is cut at word boundaries.
    endless = " ".join(f"mot{i}" for i in range(300))
    doc = _doc(endless)
    chunks = chunk_document(doc, target_words=50, max_words=80)
    assert_invariants(doc, chunks, max_words=80)
    assert len(chunks) == 6


def test_stacked_headings_start_one_chunk() -> None:
    doc = _doc("RAPPORT DE MISSION\n2. Objectifs\nAugmenter les ventes de 10 %.\n3. Moyens\nUne campagne locale.")
    chunks = chunk_document(doc)
    assert [(c.heading, c.text) for c in chunks] == [
        ("2. Objectifs", "RAPPORT DE MISSION\n2. Objectifs\nAugmenter les ventes de 10 %."),
        ("3. Moyens", "3. Moyens\nUne campagne locale."),
    ]


def test_bad_sizes() -> None:
    with pytest.raises(ValueError):
        chunk_document(_doc("texte"), target_words=100, max_words=50)


@pytest.mark.parametrize(
    "line",
    ["2. Objectifs", "2.1 Cible prioritaire", "II. Budget", "BUDGET PRÉVISIONNEL", "Analyse de la concurrence", "Introduction"],
)
def test_headings(line: str) -> None:
    assert is_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "Le budget total s'élève à 15 000 €.",
        "Affichage 4 500 € 30 %",
        "nous avons interrogé",
        "Zone",
        "Objectifs :",
        "2. Qui capte cette demande ?",
        "4 500 clients en Bretagne",
        "Plan vélo, prime VAE, forfait mobilités",
        "Analyse de la concurrence et de la",
        "Prévente (−20 % jusqu'au",
        "Envoie-nous la photo, on la met en story vendredi ! »",
        "Une ligne beaucoup trop longue pour être un titre car elle compte bien plus de douze mots au total",
    ],
)
def test_not_headings(line: str) -> None:
    assert not is_heading(line)


def test_title_like_line_is_a_heading_only_after_a_sentence() -> None:
    assert is_heading("Analyse de la concurrence", after_sentence_end=True)
    assert not is_heading("Analyse de la concurrence", after_sentence_end=False)
    assert is_heading("2. Objectifs", after_sentence_end=False)
    assert is_heading("BUDGET PRÉVISIONNEL", after_sentence_end=False)


_TEXT = st.lists(
    st.sampled_from(list("abcdeéèAÉZ0129 .,;:?!«»'-\n\t") + ["BUDGET", "1. Titre", "Analyse", "\n\n", "   ", "mot "]),
    max_size=200,
).map("".join)


@settings(max_examples=80, deadline=None, database=None)
@given(st.lists(_TEXT, min_size=1, max_size=3), st.integers(1, 30), st.integers(0, 30))
def test_invariants_on_any_text(texts: list[str], target: int, extra: int) -> None:
    doc = _doc(*texts)
    chunks = chunk_document(doc, target_words=target, max_words=target + extra)
    assert_invariants(doc, chunks, max_words=target + extra)


def test_invariants_on_eval_deliverables(tmp_path) -> None:
    from evals.pdfgen import parse_source, render_markdown_pdf

    sources = Path(__file__).parents[1] / "evals" / "deliverables" / "sources"
    for source in sorted(sources.glob("*.md"))[:3]:
        meta, body = parse_source(source)
        path = tmp_path / f"{source.stem}.pdf"
        render_markdown_pdf(body, path, header=meta["title"])
        doc = extract_pdf(path)
        chunks = chunk_document(doc)
        assert_invariants(doc, chunks)
        assert sum(1 for c in chunks if c.heading) >= len(chunks) // 2
