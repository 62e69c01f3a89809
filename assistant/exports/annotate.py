"""The candidate's own PDF with one highlight per quote, on the quote's page, coloured by verdict.

Positions come from the PDF's own characters (PDFium text boxes, through ``pypdfium2``): the quote is
found in the page text (whitespace, apostrophes and line-end hyphens ignored), and each line it covers
gets one quadrilateral. The highlight is written with ``pypdf`` together with its appearance stream
(a translucent filled shape, blend mode Multiply), so that every viewer shows it, not only those that
draw highlights themselves. Its note names the indicator, the verdict and the advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.domain.vocabulary import VERDICT_FR

# Fill colours by verdict (RGB 0–1): green, amber, red.
COLOURS = {"evidenced": (0.55, 0.85, 0.55), "partial": (1.0, 0.78, 0.25), "not_evidenced": (1.0, 0.55, 0.55)}
AUTHOR = "rncp-coach"
_FOLD = str.maketrans({"’": "'", "‘": "'", "\u00a0": " ", "\u202f": " ", "\r": " ", "\n": " ", "\t": " "})


@dataclass
class Placed:
    indicator: str
    verdict: str
    page: int
    quote: str
    quads: list[tuple[float, float, float, float]]  # (left, bottom, right, top) per line


@dataclass
class AnnotationReport:
    path: Path
    placed: list[Placed] = field(default_factory=list)
    not_found: list[tuple[str, int, str]] = field(default_factory=list)  # (indicator, page, quote)


def _normalised(text: str) -> tuple[str, list[int]]:
    """The page text with runs of spaces collapsed, typographic marks folded and line-end hyphens joined,
    and for each kept character its index in the original text."""
    out: list[str] = []
    index: list[int] = []
    chars = text.translate(_FOLD)
    i = 0
    while i < len(chars):
        c = chars[i]
        if c == "-" and i + 1 < len(text) and text[i + 1] in "\r\n":  # « communi-\ncation »
            j = i + 1
            while j < len(text) and text[j] in "\r\n ":
                j += 1
            i = j
            continue
        if c == " ":
            if out and out[-1] != " ":
                out.append(" ")
                index.append(i)
            i += 1
            continue
        if c == "\ufffe" or c == "\x02":  # PDFium's soft hyphen markers
            i += 1
            continue
        out.append(c)
        index.append(i)
        i += 1
    return "".join(out), index


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_FOLD)).strip()


def _line_boxes(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Character boxes grouped into one box per line (characters whose vertical centres are close)."""
    lines: list[list[float]] = []
    for left, bottom, right, top in boxes:
        if right - left <= 0 and top - bottom <= 0:
            continue
        mid = (bottom + top) / 2
        for line in lines:
            if abs((line[1] + line[3]) / 2 - mid) < max(2.0, (line[3] - line[1]) / 2):
                line[0], line[1], line[2], line[3] = min(line[0], left), min(line[1], bottom), \
                    max(line[2], right), max(line[3], top)
                break
        else:
            lines.append([left, bottom, right, top])
    return [tuple(x) for x in lines]  # type: ignore[misc]


def locate(pdf_path: Path, quotes: list[tuple[int, str]], password: str | None = None) -> list[list[tuple]]:
    """For each (page, quote), the line boxes of its characters on that page ([] when not found)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf_path), password=password)
    pages: dict[int, tuple[str, list[int], object]] = {}
    out: list[list[tuple]] = []
    try:
        for page_no, quote in quotes:
            if page_no < 1 or page_no > len(doc):
                out.append([])
                continue
            if page_no not in pages:
                textpage = doc[page_no - 1].get_textpage()
                raw = textpage.get_text_range()
                norm, index = _normalised(raw)
                pages[page_no] = (norm, index, textpage)
            norm, index, textpage = pages[page_no]
            needle = _squash(quote)
            at = norm.find(needle) if needle else -1
            if at < 0:
                out.append([])
                continue
            first, last = index[at], index[at + len(needle) - 1]
            boxes = [textpage.get_charbox(i) for i in range(first, last + 1)]  # type: ignore[attr-defined]
            out.append(_line_boxes(boxes))
    finally:
        doc.close()
    return out


def _highlight(quads: list[tuple], colour: tuple[float, float, float], note: str, title: str):  # noqa: ANN202
    """A /Highlight annotation with its own appearance stream."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        StreamObject,
        TextStringObject,
    )

    pad = 1.0
    left = min(q[0] for q in quads) - pad
    bottom = min(q[1] for q in quads) - pad
    right = max(q[2] for q in quads) + pad
    top = max(q[3] for q in quads) + pad
    points: list[float] = []
    for x0, y0, x1, y1 in quads:  # order: top-left, top-right, bottom-left, bottom-right
        points += [x0, y1 + pad, x1, y1 + pad, x0, y0 - pad, x1, y0 - pad]
    r, g, b = colour
    ops = [f"/GS0 gs {r:.3f} {g:.3f} {b:.3f} rg"]
    for x0, y0, x1, y1 in quads:
        ops.append(f"{x0 - left:.2f} {y0 - pad - bottom:.2f} {x1 - x0:.2f} {y1 - y0 + 2 * pad:.2f} re f")
    appearance = StreamObject()
    appearance.set_data(" ".join(ops).encode("ascii"))
    appearance.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(right - left),
                                          FloatObject(top - bottom)]),
        NameObject("/Matrix"): ArrayObject([NumberObject(1), NumberObject(0), NumberObject(0), NumberObject(1),
                                            FloatObject(left), FloatObject(bottom)]),
        NameObject("/Resources"): DictionaryObject({NameObject("/ExtGState"): DictionaryObject({
            NameObject("/GS0"): DictionaryObject({NameObject("/Type"): NameObject("/ExtGState"),
                                                  NameObject("/BM"): NameObject("/Multiply"),
                                                  NameObject("/ca"): FloatObject(0.45),
                                                  NameObject("/CA"): FloatObject(0.45)})})}),
    })
    return DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Highlight"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (left, bottom, right, top)]),
        NameObject("/QuadPoints"): ArrayObject([FloatObject(v) for v in points]),
        NameObject("/C"): ArrayObject([FloatObject(v) for v in colour]),
        NameObject("/CA"): FloatObject(0.45),
        NameObject("/F"): NumberObject(4),  # print
        NameObject("/T"): TextStringObject(AUTHOR),
        NameObject("/Subj"): TextStringObject(title),
        NameObject("/Contents"): TextStringObject(note),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): appearance}),
    })


def note_for(indicator) -> str:  # noqa: ANN001 - pipeline.IndicatorReport
    parts = [f"{indicator.id} — {VERDICT_FR.get(indicator.verdict, indicator.verdict)}", indicator.feedback]
    if indicator.advice and indicator.verdict != "evidenced":
        parts.append(f"Conseil : {indicator.advice}")
    return "\n".join(p for p in parts if p)


def annotate_pdf(source: Path, assessment, out: Path, *, password: str | None = None) -> AnnotationReport:  # noqa: ANN001
    """Write ``out``: the candidate's PDF with one highlight per quote of the assessment. The file is
    written whole (to a temporary name, then moved), never half."""
    from pypdf import PdfReader, PdfWriter

    # One highlight per quoted passage: a sentence quoted for several indicators gets one note naming
    # them all, in the colour of the lowest verdict (stacked highlights would hide each other).
    rank = {"not_evidenced": 0, "partial": 1, "evidenced": 2}
    groups: dict[tuple[int, str], list] = {}
    for ind in assessment.indicators:
        if ind.verdict not in COLOURS:
            continue
        for ev in ind.evidence:
            groups.setdefault((ev.page, _squash(ev.quote)), [ev.quote, []])[1].append(ind)
    keys = list(groups)
    boxes = locate(Path(source), [(page, groups[(page, q)][0]) for page, q in keys], password=password)
    reader = PdfReader(str(source))
    if reader.is_encrypted:
        reader.decrypt(password or "")
    writer = PdfWriter(clone_from=reader)
    report = AnnotationReport(path=Path(out))
    for key, quads in zip(keys, boxes, strict=True):
        quote, inds = groups[key]
        if not quads:
            report.not_found += [(i.id, key[0], quote) for i in inds]
            continue
        worst = min(inds, key=lambda i: rank[i.verdict])
        title = ", ".join(f"{i.id} — {VERDICT_FR.get(i.verdict, i.verdict)}" for i in inds)
        note = "\n\n".join(note_for(i) for i in inds)
        writer.add_annotation(key[0] - 1, _highlight(quads, COLOURS[worst.verdict], note, title))
        report.placed += [Placed(i.id, i.verdict, key[0], quote, quads) for i in inds]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    with tmp.open("wb") as fh:
        writer.write(fh)
    tmp.replace(out)
    return report


def page_image(source: Path, page: int, quote: str, *, verdict: str = "partial", scale: float = 1.4,
               password: str | None = None):  # noqa: ANN201 - PIL.Image.Image
    """One page of the PDF rendered offline as an image, with the quote's lines highlighted (for the
    evidence viewer). Raises ``ValueError`` for a page outside the document."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    doc = pdfium.PdfDocument(str(source), password=password)
    try:
        if page < 1 or page > len(doc):
            raise ValueError(f"page {page} hors du document ({len(doc)} pages)")
        pdf_page = doc[page - 1]
        height = pdf_page.get_height()
        image = pdf_page.render(scale=scale).to_pil().convert("RGB")
    finally:
        doc.close()
    boxes = locate(Path(source), [(page, quote)], password=password)[0]
    overlay = image.copy()
    draw = ImageDraw.Draw(overlay)
    r, g, b = (int(255 * c) for c in COLOURS.get(verdict, COLOURS["partial"]))
    for left, bottom, right, top in boxes:
        draw.rectangle([left * scale - 2, (height - top) * scale - 2, right * scale + 2, (height - bottom) * scale + 2],
                       fill=(r, g, b))
    from PIL import Image

    return Image.blend(image, overlay, 0.45), bool(boxes)
