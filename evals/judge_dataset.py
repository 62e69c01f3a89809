"""The labelled eval deliverables, run through the real pipeline up to the judge's features.

Used by ``train_judge.py`` (dev split) and ``run_assessment.py``. PDFs are (re)generated from the
sources when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.assessment.coach import Coach
from assistant.judging.base import IndicatorContext

ROOT = Path(__file__).parent / "deliverables"
SOURCES, LABELS, PDFS = ROOT / "sources", ROOT / "labels", ROOT / "pdf"


@dataclass
class LabelledDoc:
    doc_id: str
    unit: str
    split: str
    profile: str
    pdf: Path
    labels: dict[str, str]  # indicator id -> verdict


def labelled_docs(split: str = "dev") -> list[LabelledDoc]:
    from evals.pdfgen import parse_source

    out = []
    for src in sorted(SOURCES.glob("*.md")):
        meta, _ = parse_source(src)
        if split != "all" and meta["split"] != split:
            continue
        label_file = LABELS / f"{src.stem}.yaml"
        if not label_file.exists():
            print(f"warning: {src.stem} has no label file; skipped")
            continue
        labels = yaml.safe_load(label_file.read_text(encoding="utf-8"))
        out.append(LabelledDoc(
            doc_id=src.stem, unit=str(meta["unit"]), split=meta["split"], profile=meta.get("profile", ""),
            pdf=PDFS / f"{src.stem}.pdf",
            labels={k: v["verdict"] for k, v in labels["indicators"].items()},
        ))
    ensure_pdfs(out)
    return out


def ensure_pdfs(docs: list[LabelledDoc]) -> None:
    from evals.pdfgen import parse_source, render_markdown_pdf

    for d in docs:
        if d.pdf.exists():
            continue
        meta, body = parse_source(SOURCES / f"{d.doc_id}.md")
        d.pdf.parent.mkdir(parents=True, exist_ok=True)
        render_markdown_pdf(body, d.pdf, header=f"{meta.get('author', '')} — {meta.get('title', '')}",
                            meta_title=meta.get("title", ""), meta_author=meta.get("author", ""))


def contexts_for(coach: Coach, doc: LabelledDoc) -> list[IndicatorContext]:
    from assistant.assessment.pipeline import document_evidence, prepare_contexts

    ref = coach.referentiel()
    extracted, chunks = coach.read_document(doc.pdf)
    _, evidence = document_evidence(extracted, chunks, coach.document_vectors(chunks), coach.embeddings)
    return prepare_contexts(ref, ref.unit(doc.unit), evidence)


def feature_rows(coach: Coach, docs: list[LabelledDoc]) -> list[dict]:
    """One row per labelled, written indicator: features, label, doc and unit."""
    rows = []
    for d in docs:
        for ctx in contexts_for(coach, d):
            label = d.labels[ctx.indicator.id]
            if label == "not_assessable" or not ctx.hint.written:
                continue
            rows.append({"doc": d.doc_id, "unit": d.unit, "indicator": ctx.indicator.id,
                         "criterion": ctx.criterion.id, "label": label, **ctx.features})
    return rows
