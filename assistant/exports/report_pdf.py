"""The candidate's report as a PDF: the same content as the Markdown download, on A4."""

from __future__ import annotations

import html
from pathlib import Path

from assistant.domain.vocabulary import LEVEL_FR, VERDICT_SHORT_FR
from assistant.exports.pdf import fonts, table, write_document


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def report_pdf(a, path: Path, missing: dict[str, str] | None = None, *, chart: Path | None = None) -> Path:  # noqa: ANN001
    """The candidate's report as a simple A4 PDF (same content as the Markdown download); ``chart``, the
    drafts' progress picture, goes after the priorities."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    missing = missing or {}
    regular, bold = fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5)
    quote = ParagraphStyle("quote", parent=body, leftIndent=12, textColor=colors.HexColor("#333333"))
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=15, leading=19, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4)
    h3 = ParagraphStyle("h3", parent=body, fontName=bold, fontSize=10, leading=13, spaceBefore=6)
    fill = {"evidenced": "#d7f0dc", "partial": "#fff0c2", "not_evidenced": "#f9d5d3", "not_assessable": "#e6e6e6"}

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(esc(text), style)

    story = [p(f"Retour sur « {a.document.file} » — unité {a.unit}", h1),
             p(f"{a.document.pages} page(s), sha256 {a.document.sha256[:12]}…"
               + (f" — unité détectée (confiance {a.unit_confidence:.2f})" if a.unit_detected else ""))]
    if a.warnings:
        story.append(p("Alertes", h2))
        story += [p(f"⚠ {w.message}" + (f" (p. {w.page})" if w.page else "") + (f" : « {w.quote} »" if w.quote else ""))
                  for w in a.warnings]
    story.append(p("Points forts", h2))
    story += [p(f"• {s}") for s in a.summary.strengths]
    story.append(p("Priorités", h2))
    story += [p(f"{n}. {s}") for n, s in enumerate(a.summary.priorities, 1)] or [p("Aucune.")]
    if chart is not None:
        from reportlab.platypus import Image

        story.append(p("Progression entre vos versions", h2))
        picture = Image(str(chart))
        picture.drawWidth, picture.drawHeight = 14 * cm, 14 * cm * picture.imageHeight / picture.imageWidth
        story.append(picture)
    story.append(p("Grille proposée", h2))
    rows = [[p("Critère"), p("Niveau proposé"), p("Justification")]]
    rows += [[p(f"{c.id} {c.title}"), p(LEVEL_FR.get(c.level, c.level)), p(c.rationale)] for c in a.criteria]
    story.append(table(rows, [6.5 * cm, 3.5 * cm, 7.3 * cm]))
    story.append(p("Indicateur par indicateur", h2))
    for i in a.indicators:
        head = Table([[p(f"{i.id} — {VERDICT_SHORT_FR[i.verdict]} — {i.text}", h3)]], colWidths=[17.3 * cm])
        head.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(fill[i.verdict]))]))
        story += [Spacer(1, 4), head, p(i.feedback)]
        story += [p(f"p. {e.page} : « {e.quote} »", quote) for e in i.evidence]
        if i.verdict in {"partial", "not_evidenced"} and missing.get(i.id):
            story.append(p(f"Ce qui manque : {missing[i.id]}"))
        if i.advice:
            story.append(p(f"Conseil : {i.advice}"))
    return write_document(path, story, title=f"Retour — {a.document.file}", margins_cm=(1.8, 1.8, 1.5, 1.5))
