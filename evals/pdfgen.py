"""Render the small Markdown subset of the eval deliverables to PDF (reportlab platypus).

Supported subset (see ``evals/deliverables/FORMAT.md``): ``#``/``##``/``###`` headings, paragraphs
(blank lines separate them), ``- `` bullets, ``1. `` numbered items, pipe tables (first row is the
header, a ``|---|`` separator row is skipped), ``**bold**`` and ``<<<PAGEBREAK>>>`` lines as hard page
breaks. Every page carries a running header and a "Page X / N" footer, so that text extracted from
the PDF contains the repeated furniture a real candidate's document has.

The output is deterministic: the same input gives byte-identical PDFs (reportlab ``invariant=1``).
Only reportlab, pyyaml (for :func:`parse_source`) and the standard library are used.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from assistant.exports.pdf import fonts as pdf_fonts

PAGEBREAK = "<<<PAGEBREAK>>>"

PAGE_SIZE = A4
MARGIN_X = 2.2 * cm
MARGIN_TOP = 2.4 * cm
MARGIN_BOTTOM = 2.2 * cm
BODY_SIZE = 10.5
BODY_LEADING = 14

_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_BULLET = re.compile(r"^-\s+(.*)$")
_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


# --------------------------------------------------------------------------------------------
# Source files
# --------------------------------------------------------------------------------------------


def parse_source(path: Path | str) -> tuple[dict, str]:
    """Read a deliverable source: YAML front matter between ``---`` lines, then the Markdown body."""
    text = Path(path).read_text(encoding="utf-8")
    return split_front_matter(text)


def split_front_matter(text: str) -> tuple[dict, str]:
    """Split ``---\\n<yaml>\\n---\\n<body>``; a text without front matter gives ``({}, text)``."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            meta = yaml.safe_load("\n".join(lines[1:i])) or {}
            if not isinstance(meta, dict):
                raise ValueError(f"front matter is not a mapping in {text[:60]!r}...")
            return meta, "\n".join(lines[i + 1 :]).strip("\n") + "\n"
    raise ValueError("unterminated YAML front matter (missing closing '---')")


def split_sections(body: str) -> list[str]:
    """Split a body on ``<<<PAGEBREAK>>>`` lines (one section per intended page)."""
    sections, current = [], []
    for line in body.split("\n"):
        if line.strip() == PAGEBREAK:
            sections.append("\n".join(current))
            current = []
        else:
            current.append(line)
    sections.append("\n".join(current))
    return sections


# --------------------------------------------------------------------------------------------
# Markdown subset -> blocks
# --------------------------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # heading | para | bullet | numbered | table | pagebreak
    text: str = ""
    level: int = 0  # heading level, or the item number of a numbered item
    rows: list[list[str]] = field(default_factory=list)


def _split_row(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip() for cell in line.split("|")]


def parse_blocks(markdown_text: str) -> list[Block]:
    """Parse the supported Markdown subset into a flat list of blocks."""
    blocks: list[Block] = []
    para: list[str] = []
    item: Block | None = None  # list item that may continue on indented lines

    def flush() -> None:
        nonlocal item
        if para:
            blocks.append(Block("para", " ".join(para)))
            para.clear()
        item = None

    lines = markdown_text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        line = raw.strip()
        i += 1
        if not line:
            flush()
            continue
        if line == PAGEBREAK:
            flush()
            blocks.append(Block("pagebreak"))
            continue
        if item is not None and raw[:1] in (" ", "\t") and not _BULLET.match(line) and not _NUMBERED.match(line):
            item.text += " " + line  # indented continuation of a list item
            continue
        if m := _HEADING.match(line):
            flush()
            blocks.append(Block("heading", m.group(2).strip(), level=len(m.group(1))))
            continue
        if line.startswith("|"):
            flush()
            rows = [_split_row(line)]
            while i < len(lines) and lines[i].strip().startswith("|"):
                nxt = lines[i].strip()
                i += 1
                if not _TABLE_SEP.match(nxt):
                    rows.append(_split_row(nxt))
            width = max(len(r) for r in rows)
            rows = [r + [""] * (width - len(r)) for r in rows]
            blocks.append(Block("table", rows=rows))
            continue
        if m := _BULLET.match(line):
            flush()
            item = Block("bullet", m.group(1).strip())
            blocks.append(item)
            continue
        if m := _NUMBERED.match(line):
            flush()
            item = Block("numbered", m.group(2).strip(), level=int(m.group(1)))
            blocks.append(item)
            continue
        if item is not None:
            item = None  # a non-indented text line after a list starts a paragraph
        para.append(line)
    flush()
    return blocks


def inline_markup(text: str) -> str:
    """Escape XML specials for reportlab's Paragraph, then turn ``**x**`` into ``<b>x</b>``."""
    return _BOLD.sub(r"<b>\1</b>", escape(text))


# --------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    bullet: str  # glyph for "- " items; must survive text extraction with this font


_HELVETICA = Fonts("Helvetica", "Helvetica-Bold", "–")


# WinAnsi characters that render with Helvetica but do not survive text extraction (pypdf reads
# reportlab's bullet as U+007F).
_WINANSI_UNEXTRACTABLE = frozenset("•")


def _winansi_ok(text: str) -> bool:
    """True when the standard Type 1 fonts (WinAnsi, i.e. cp1252) show and extract every character."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return not _WINANSI_UNEXTRACTABLE.intersection(text)


def _dejavu() -> Fonts | None:
    regular, bold = pdf_fonts()  # the product's one font setup (DejaVu Sans registered once)
    return Fonts(regular, bold, "•") if regular == "DejaVuSans" else None


# Typographic characters outside cp1252 that French word processors commonly produce.
_FALLBACK_TRANSLATION = str.maketrans({
    "\u202f": "\u00a0",  # narrow no-break space (before ; : ! ? and inside « »)
    "\u2009": " ",
    "\u2011": "-",
    "\u2212": "-",
    "\u2010": "-",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2022": "-",  # bullet: shows in Helvetica but extracts as U+007F
})


def choose_fonts(text: str) -> tuple[Fonts, bool]:
    """Pick Helvetica when WinAnsi covers ``text`` (French, €, œ, ’, « » all are), else DejaVu Sans.

    Returns the fonts and whether the text must go through :func:`winansi_fallback` (only when
    some character is outside WinAnsi and DejaVu Sans is not installed).
    """
    if _winansi_ok(text):
        return _HELVETICA, False
    fonts = _dejavu()
    if fonts is not None:
        return fonts, False
    return _HELVETICA, True


def winansi_fallback(text: str) -> str:
    """Map characters Helvetica cannot show to close equivalents (or ``?``)."""
    text = text.translate(_FALLBACK_TRANSLATION)
    return text.encode("cp1252", errors="replace").decode("cp1252")


# --------------------------------------------------------------------------------------------
# Blocks -> flowables
# --------------------------------------------------------------------------------------------


def _styles(fonts: Fonts) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName=fonts.regular, fontSize=BODY_SIZE, leading=BODY_LEADING,
        alignment=TA_LEFT, spaceAfter=5,
    )
    return {
        "body": body,
        "h1": ParagraphStyle("h1", parent=body, fontName=fonts.bold, fontSize=15, leading=19,
                             spaceBefore=4, spaceAfter=8, textColor=colors.HexColor("#1F3864")),
        "h2": ParagraphStyle("h2", parent=body, fontName=fonts.bold, fontSize=12.5, leading=16,
                             spaceBefore=8, spaceAfter=5, textColor=colors.HexColor("#2E5597")),
        "h3": ParagraphStyle("h3", parent=body, fontName=fonts.bold, fontSize=11, leading=14,
                             spaceBefore=6, spaceAfter=3),
        "item": ParagraphStyle("item", parent=body, leftIndent=16, bulletIndent=4, spaceAfter=2,
                               bulletFontName=fonts.regular, bulletFontSize=BODY_SIZE),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12, spaceAfter=0),
        "cell_head": ParagraphStyle("cell_head", parent=body, fontName=fonts.bold, fontSize=9.5,
                                    leading=12, spaceAfter=0),
    }


class SectionMarker(Flowable):
    """Zero-size flowable that records the page on which a source section starts."""

    def __init__(self, index: int, sink: dict[int, int]):
        super().__init__()
        self.index, self.sink = index, sink

    def wrap(self, availWidth, availHeight):  # noqa: N803 (reportlab API)
        return 0, 0

    def draw(self):
        self.sink[self.index] = self.canv.getPageNumber()


_CELL_PADDING = 4


def _column_widths(rows: list[list[str]], total: float, fonts: Fonts, size: float) -> list[float]:
    """Share ``total`` between columns: each gets at least its longest word (so that no word is cut),
    and the rest is shared according to the length of its longest cell (capped, so that one long
    cell does not starve the others)."""
    n = len(rows[0])
    minima, weights = [], []
    for c in range(n):
        words = [w for r in rows for w in _BOLD.sub(r"\1", r[c]).split()] or [""]
        longest_word = max(pdfmetrics.stringWidth(w, fonts.bold, size) for w in words)
        minima.append(longest_word + 2 * _CELL_PADDING + 1)
        weights.append(min(max(max(len(r[c]) for r in rows), 6), 60))
    spare = total - sum(minima)
    if spare <= 0:  # too many columns for the page: scale the minima down
        return [m * total / sum(minima) for m in minima]
    return [m + spare * w / sum(weights) for m, w in zip(minima, weights, strict=True)]


def _table(block: Block, styles: dict[str, ParagraphStyle], width: float, fonts: Fonts) -> Table:
    data = []
    for r, row in enumerate(block.rows):
        style = styles["cell_head"] if r == 0 else styles["cell"]
        data.append([Paragraph(inline_markup(cell), style) for cell in row])
    widths = _column_widths(block.rows, width, fonts, styles["cell"].fontSize)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8A8A8A")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DCE4F2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
    ]))
    return table


def build_flowables(blocks: list[Block], fonts: Fonts, width: float,
                    section_sink: dict[int, int] | None = None) -> list[Flowable]:
    styles = _styles(fonts)
    story: list[Flowable] = []
    section = 0
    if section_sink is not None:
        story.append(SectionMarker(section, section_sink))
    for b in blocks:
        if b.kind == "pagebreak":
            story.append(PageBreak())
            section += 1
            if section_sink is not None:
                story.append(SectionMarker(section, section_sink))
        elif b.kind == "heading":
            story.append(Paragraph(inline_markup(b.text), styles[f"h{b.level}"]))
        elif b.kind == "para":
            story.append(Paragraph(inline_markup(b.text), styles["body"]))
        elif b.kind == "bullet":
            story.append(Paragraph(inline_markup(b.text), styles["item"], bulletText=fonts.bullet))
        elif b.kind == "numbered":
            story.append(Paragraph(inline_markup(b.text), styles["item"], bulletText=f"{b.level}."))
        elif b.kind == "table":
            story.append(Spacer(1, 3))
            story.append(_table(b, styles, width, fonts))
            story.append(Spacer(1, 7))
    return story


# --------------------------------------------------------------------------------------------
# Document
# --------------------------------------------------------------------------------------------


@dataclass
class RenderResult:
    pages: int
    section_start_pages: list[int]  # 1-based page on which each <<<PAGEBREAK>>> section starts
    font: str


def _furniture(header: str, footer_prefix: str, total: int | None, fonts: Fonts):
    width, height = PAGE_SIZE

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(fonts.regular, 8.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        if header:
            canvas.drawString(MARGIN_X, height - 1.3 * cm, header)
            canvas.setStrokeColor(colors.HexColor("#AAAAAA"))
            canvas.setLineWidth(0.4)
            canvas.line(MARGIN_X, height - 1.45 * cm, width - MARGIN_X, height - 1.45 * cm)
        page = canvas.getPageNumber()
        number = f"Page {page} / {total}" if total else f"Page {page}"
        if footer_prefix:
            canvas.drawString(MARGIN_X, 1.2 * cm, footer_prefix)
        canvas.drawRightString(width - MARGIN_X, 1.2 * cm, number)
        canvas.restoreState()

    return on_page


COLUMN_GAP = 0.8 * cm


def _build(story_factory, header, footer_prefix, total, fonts, meta_title, meta_author,
           columns: int = 1) -> tuple[bytes, int]:
    """Build the PDF once (one or two text columns a page); returns its bytes and its number of pages."""
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf, pagesize=PAGE_SIZE,
        leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
        title=meta_title, author=meta_author, subject="", creator="rncp-coach evals",
        producer="rncp-coach evals (reportlab)", invariant=1,
    )
    width = (doc.width - COLUMN_GAP * (columns - 1)) / columns
    frames = [Frame(doc.leftMargin + i * (width + COLUMN_GAP), doc.bottomMargin, width, doc.height,
                    id=f"col{i}", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
              for i in range(columns)]
    doc.addPageTemplates([PageTemplate(id="page", frames=frames,
                                       onPage=_furniture(header, footer_prefix, total, fonts))])
    doc.build(story_factory(width))
    return buf.getvalue(), doc.page


def render_markdown_pdf_detailed(
    markdown_text: str, out_path: Path | str | None, *, header: str = "", footer_prefix: str = "",
    meta_title: str = "", meta_author: str = "", page_total: bool = True, columns: int = 1,
) -> tuple[RenderResult, bytes]:
    """Render and return the result details plus the PDF bytes (written to ``out_path`` if given).

    ``columns=2`` lays the text out in two columns, as some candidates' documents are.
    """
    fonts, degrade = choose_fonts("\n".join([markdown_text, header, footer_prefix]))
    if degrade:
        markdown_text, header, footer_prefix = map(winansi_fallback, (markdown_text, header, footer_prefix))
    blocks = parse_blocks(markdown_text)
    sink: dict[int, int] = {}

    def story(width: float) -> list[Flowable]:
        sink.clear()
        return build_flowables(blocks, fonts, width, sink)

    # First pass counts the pages, the second one writes "Page X / N".
    pdf, pages = _build(story, header, footer_prefix, None, fonts, meta_title, meta_author, columns)
    if page_total:
        pdf, _ = _build(story, header, footer_prefix, pages, fonts, meta_title, meta_author, columns)
    starts = [sink[k] for k in sorted(sink)]
    if out_path is not None:
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
    return RenderResult(pages=pages, section_start_pages=starts, font=fonts.regular), pdf


def render_markdown_pdf(
    markdown_text: str, out_path: Path, *, header: str = "", footer_prefix: str = "",
    meta_title: str = "", meta_author: str = "", page_total: bool = True,
) -> int:
    """Render ``markdown_text`` to ``out_path`` and return the number of pages.

    The footer reads "Page X / N" (or "Page X" with ``page_total=False``), preceded on the left by
    ``footer_prefix``; ``header`` is drawn at the top of every page.
    """
    result, _ = render_markdown_pdf_detailed(
        markdown_text, out_path, header=header, footer_prefix=footer_prefix,
        meta_title=meta_title, meta_author=meta_author, page_total=page_total,
    )
    return result.pages
