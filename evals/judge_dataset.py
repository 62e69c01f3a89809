"""The labelled eval deliverables, run through the real pipeline up to the judge's features.

Used by ``train_judge.py`` (dev split) and ``run_assessment.py``. PDFs are (re)generated from the
sources when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
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
    group: str = ""  # documents that share a group (minimal pairs) stay in the same fold
    batch: str = ""  # the writing session that produced the draft (writers and briefs differ between them)


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
            group=str(meta.get("group") or src.stem), batch=str(meta.get("batch", "")),
        ))
    ensure_pdfs(out)
    return out


def ensure_pdfs(docs: list[LabelledDoc]) -> None:
    """Render the missing PDFs exactly as ``make_pdfs`` does (same furniture, same layout)."""
    from evals.deliverables.make_pdfs import render_source

    for d in docs:
        if not d.pdf.exists():
            render_source(SOURCES / f"{d.doc_id}.md", d.pdf.parent)


CACHE = Path(__file__).parent / "results" / "vectors.sqlite3"


def cached_vectors(coach: Coach, chunks) -> np.ndarray:  # noqa: ANN001
    """Chunk vectors through the product's vector cache, kept across eval runs (not in a temp home)."""
    from assistant.domain.documents import chunk_passage
    from assistant.knowledge.vector_cache import VectorCache
    from assistant.models.embeddings import embed_array, model_id_of

    return VectorCache(CACHE).vectors(model_id_of(coach.embeddings), [chunk_passage(c) for c in chunks],
                                      lambda texts: embed_array(coach.embeddings, texts))


def contexts_for(coach: Coach, doc: LabelledDoc) -> list[IndicatorContext]:
    from assistant.assessment.pipeline import document_evidence, prepare_contexts

    ref = coach.referentiel()
    extracted, chunks = coach.read_document(doc.pdf)
    _, evidence = document_evidence(extracted, chunks, cached_vectors(coach, chunks), coach.embeddings)
    return prepare_contexts(ref, ref.unit(doc.unit), evidence)


def feature_rows(coach: Coach, docs: list[LabelledDoc]) -> list[dict]:
    """One row per labelled, written indicator: features, the text the lexical reader reads, label, doc,
    group, batch, split and unit."""
    from assistant.judging.lexical import passage_text

    rows = []
    for d in docs:
        for ctx in contexts_for(coach, d):
            label = d.labels[ctx.indicator.id]
            if label == "not_assessable" or not ctx.hint.written:
                continue
            rows.append({"doc": d.doc_id, "group": d.group, "batch": d.batch, "split": d.split, "unit": d.unit,
                         "text": passage_text(ctx.candidates),
                         "indicator": ctx.indicator.id, "criterion": ctx.criterion.id, "label": label,
                         **ctx.features})
    return rows
