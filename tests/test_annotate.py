"""The annotated PDF: one highlight per quoted passage, on the quoted words, readable by any viewer.

Real drafts rendered from the eval sources, the real assessment; the annotations are read back with
pypdf and the characters under each highlight with PDFium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from cli_runner import run
from pypdf import PdfReader

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.exports.annotate import COLOURS, annotate_pdf
from evals.pdfgen import parse_source, render_markdown_pdf

SOURCES = Path(__file__).parents[1] / "evals" / "deliverables" / "sources"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("-\r\n", "").replace("\r\n", " ")).strip()


@pytest.fixture(scope="module")
def alba(tmp_path_factory, e5):
    meta, body = parse_source(SOURCES / "u2-meubles-alba.md")
    pdf = tmp_path_factory.mktemp("alba") / "alba.pdf"
    render_markdown_pdf(body, pdf, header=f"{meta['author']} — {meta['title']}")
    coach = Coach(Settings(home=tmp_path_factory.mktemp("h")), embeddings=e5)
    return pdf, coach.assess(pdf, unit="2")


def highlights(path: Path) -> list[tuple[int, dict]]:
    out = []
    for n, page in enumerate(PdfReader(str(path)).pages, 1):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot["/Subtype"] == "/Highlight":
                out.append((n, annot))
    return out


def test_every_quote_is_highlighted_on_its_words_with_an_appearance_and_a_note(alba, tmp_path):
    pdf, result = alba
    report = annotate_pdf(pdf, result, tmp_path / "annote.pdf")
    quoted = {(e.page, squash(e.quote)) for i in result.indicators if i.verdict in COLOURS for e in i.evidence}
    assert quoted and not report.not_found
    found = highlights(report.path)
    assert len(found) == len(quoted)  # one highlight per quoted passage
    doc = pdfium.PdfDocument(str(report.path))
    under = set()
    for page, annot in found:
        appearance = annot["/AP"]["/N"].get_object()
        assert appearance["/Subtype"] == "/Form" and appearance.get_data()  # drawn by every viewer
        q = [float(v) for v in annot["/QuadPoints"]]
        textpage = doc[page - 1].get_textpage()
        text = squash(" ".join(textpage.get_text_bounded(q[i], q[i + 5], q[i + 2], q[i + 1])
                               for i in range(0, len(q), 8)))
        quote = next(qt for p, qt in quoted if p == page and qt in text)  # the quoted words lie under it
        under.add((page, quote))
        ids = [i.id for i in result.indicators for e in i.evidence if (e.page, squash(e.quote)) == (page, quote)]
        assert all(i in annot["/Contents"] for i in ids) and str(annot["/T"]) == "rncp-coach"
    assert under == quoted
    doc.close()


def test_the_colour_follows_the_lowest_verdict_of_the_passage(alba, tmp_path):
    pdf, result = alba
    report = annotate_pdf(pdf, result, tmp_path / "annote.pdf")
    rank = {"not_evidenced": 0, "partial": 1, "evidenced": 2}
    verdict_of = {p.indicator: p.verdict for p in report.placed}
    for _, annot in highlights(report.path):
        ids = re.findall(r"\d(?:\.\d)?\.C\d+\.I\d+", str(annot["/Subj"]))
        worst = min((verdict_of[i] for i in ids), key=rank.__getitem__)
        assert [round(float(c), 2) for c in annot["/C"]] == [round(c, 2) for c in COLOURS[worst]]


def test_cli_annotate_with_json_and_never_over_the_original(capsys, tmp_path, alba):
    pdf, _ = alba
    out = tmp_path / "out" / "annote.pdf"
    code, stdout, err = run(capsys, "assess", str(pdf), "--unit", "2", "--format", "json", "--annotate", str(out))
    assert code == 0 and json.loads(stdout)["unit"] == "2"  # stdout stays pure JSON
    assert "PDF annoté" in err and highlights(out)
    before = pdf.read_bytes()
    code, _, err = run(capsys, "assess", str(pdf), "--unit", "2", "--annotate", str(pdf))
    assert code == 2 and "[annotate_same_file]" in err and pdf.read_bytes() == before
