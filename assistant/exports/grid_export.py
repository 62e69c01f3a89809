"""A grid as text (terminal), CSV, JSON, XLSX (openpyxl) and a PDF jury sheet (reportlab).

Every file is written next to its target then renamed, so a reader never sees half an export.
Human formats (text, CSV, XLSX, PDF) show French labels; JSON keeps the stable codes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from assistant.config.files import FORMULA_START, atomic_write, spreadsheet_safe
from assistant.domain.errors import GridError
from assistant.domain.vocabulary import LEVEL_FR, VERDICT_FR
from assistant.exports.pdf import fonts, table, write_document
from assistant.records.grid_store import Grid, GridEvent, GridLine

FORMATS = ("csv", "xlsx", "pdf", "json")
COLUMNS = ("id", "intitulé", "proposition", "décision", "commentaire", "juré", "date")
ACTION_FR = {"prefill": "pré-remplissage", "decide": "décision", "sign": "signature", "reopen": "réouverture"}


# Labels ---------------------------------------------------------------------------------------------
def label(line: GridLine, value: str | None) -> str:
    if value is None:
        return ""
    table = LEVEL_FR if line.kind == "criterion" else VERDICT_FR
    return table.get(value, value)


def when(iso: str | None) -> str:
    """``2025-03-01T09:30:00+00:00`` → ``2025-03-01 09:30 UTC``."""
    return f"{iso[:10]} {iso[11:16]} UTC" if iso else ""


def status_fr(grid: Grid) -> str:
    return f"signée par {grid.signed_by} le {when(grid.signed_at)}" if grid.status == "signed" else "non signée"


def rows(grid: Grid) -> list[list[str]]:
    """The table shared by CSV and XLSX: criteria first, then indicators (grid order)."""
    return [
        [ln.item_id, ln.title, label(ln, ln.proposed), label(ln, ln.decided), ln.comment or "", ln.juror or "",
         when(ln.decided_at)]
        for ln in grid.lines
    ]


# Text -----------------------------------------------------------------------------------------------
def grid_text(grid: Grid) -> str:
    out = [
        f"Grille {grid.id} — candidat {grid.candidate} — unité {grid.unit}"
        + (f" {grid.unit_title}" if grid.unit_title else ""),
        f"Document : {grid.file} (sha256 {grid.sha256[:12]}…), créée le {when(grid.created_at)}",
        f"Statut : {status_fr(grid)}",
    ]
    out += warning_lines(grid)
    for c in grid.criteria:
        decision = f"décision : {label(c, c.decided)} ({c.juror})" if c.decided else "décision : (à prendre)"
        out += ["", f"{c.item_id} {c.title}", f"  proposé : {label(c, c.proposed)} — {decision}"]
        if c.comment:
            out.append(f"  commentaire : {c.comment}")
        if c.note:
            out.append(f"  note : {c.note}")
        if c.rationale:
            out.append(f"  {c.rationale}")
        for i in (i for i in grid.indicators if i.criterion_id == c.item_id):
            mark = f" → {label(i, i.decided)} ({i.juror})" if i.decided and i.decided != i.proposed else ""
            out.append(f"    {i.item_id} {label(i, i.proposed)}{mark} — {i.title}")
            if i.comment:
                out.append(f"      commentaire : {i.comment}")
    return "\n".join(out)


def warning_lines(grid: Grid) -> list[str]:
    """The document's alerts, shown first to the jurors."""
    return [
        f"⚠ ALERTE p. {w.get('page') or '?'} : {w['message']}" + (f" « {w['quote']} »" if w.get("quote") else "")
        for w in grid.warnings
    ]


def prefill_summary(grid: Grid) -> str:
    withheld = [c.item_id for c in grid.criteria if c.note]
    out = [f"Grille pré-remplie pour le candidat {grid.candidate}, unité {grid.unit} "
           f"({grid.file}, sha256 {grid.sha256[:12]}…) : {len(grid.criteria)} critères, "
           f"{len(grid.indicators)} indicateurs."]
    out += [f"  {c.item_id} {c.title} : {label(c, c.proposed)}" for c in grid.criteria]
    if withheld:
        out.append(f"Non pré-remplis (accord outil/jury insuffisant) : {', '.join(withheld)}.")
    out += warning_lines(grid)
    out.append("Identifiant de la grille :")
    return "\n".join(out)


def grids_text(grids: list[Grid]) -> str:
    if not grids:
        return "Aucune grille."
    out = []
    for g in grids:
        done = sum(c.decided is not None for c in g.criteria)
        out.append(f"{g.id}  {g.candidate}  unité {g.unit}  {g.file}  {when(g.created_at)}  "
                   f"{done}/{len(g.criteria)} critères décidés  {status_fr(g)}")
    return "\n".join(out)


def history_text(events: list[GridEvent]) -> str:
    out = []
    for e in events:
        fr = {**LEVEL_FR, **VERDICT_FR}  # the two vocabularies do not overlap
        decided = f" {fr.get(e.before or '', e.before or '—')} → {fr.get(e.after or '', e.after)}"
        change = {"decide": decided, "prefill": f" ({e.after})"}.get(e.action, "")
        item = f" {e.item_id}" if e.item_id else ""
        note = f" — {e.comment}" if e.comment else ""
        out.append(f"#{e.id} {when(e.at)} {e.juror} : {ACTION_FR[e.action]}{item}{change}{note}")
    return "\n".join(out)


# Files ----------------------------------------------------------------------------------------------
def to_csv(grid: Grid) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[spreadsheet_safe(v) for v in row] for row in rows(grid)])
    return buf.getvalue()


def to_json(grid: Grid, events: list[GridEvent] | None = None) -> str:
    data = grid.model_dump(mode="json")
    if events is not None:
        data["history"] = [e.model_dump(mode="json") for e in events]
    return json.dumps(data, ensure_ascii=False, indent=2)


def _write_text(text: str, encoding: str) -> Callable[[Path], None]:
    return lambda tmp: tmp.write_text(text, encoding=encoding, newline="")


def export_grid(grid: Grid, fmt: str, output: Path, *, events: list[GridEvent] | None = None) -> Path:
    """Write the grid as ``fmt`` (csv, xlsx, pdf, json) at ``output``; return the path."""
    if fmt == "csv":
        return atomic_write(output, _write_text(to_csv(grid), "utf-8-sig"))  # BOM: Excel reads the accents
    if fmt == "json":
        return atomic_write(output, _write_text(to_json(grid, events) + "\n", "utf-8"))
    if fmt == "xlsx":
        return atomic_write(output, lambda tmp: write_xlsx([grid], tmp))
    if fmt == "pdf":
        return atomic_write(output, lambda tmp: write_pdf(grid, tmp))
    raise GridError(f"Format d'export inconnu « {fmt} » : utilisez {', '.join(FORMATS)}.", code="invalid_format")


# XLSX -----------------------------------------------------------------------------------------------
WIDTHS = (12, 60, 24, 24, 50, 20, 20)
WRAPPED = {1, 4}  # intitulé, commentaire


def write_xlsx(grids: list[Grid], path: Path) -> None:
    """One sheet per grid: four information rows, then the table under a frozen, bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for grid in grids:
        ws = wb.create_sheet(title=f"Grille {grid.id}"[:31])
        info = [
            ("Candidat", grid.candidate),
            ("Unité", f"{grid.unit} {grid.unit_title}".strip()),
            ("Document", f"{grid.file} (sha256 {grid.sha256[:12]})"),
            ("Statut", status_fr(grid)),
        ]
        for r, (k, v) in enumerate(info, start=1):
            ws.cell(row=r, column=1, value=k).font = Font(bold=True)
            cell = ws.cell(row=r, column=2, value=v)
            if isinstance(v, str) and v.startswith(FORMULA_START):
                cell.data_type = "s"
        header = len(info) + 2
        for col, name in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=header, column=col, value=name)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE4F0")
        for r, values in enumerate(rows(grid), start=header + 1):
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=col, value=value)
                if isinstance(value, str) and value.startswith(FORMULA_START):
                    cell.data_type = "s"  # text from a PDF or a comment never becomes a formula
                cell.alignment = Alignment(vertical="top", wrap_text=(col - 1) in WRAPPED)
        for col, width in enumerate(WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = ws.cell(row=header + 1, column=1)
    wb.properties.title = "Grilles d'évaluation du jury"
    wb.save(path)


# PDF ------------------------------------------------------------------------------------------------
def write_pdf(grid: Grid, path: Path) -> None:
    """The jury sheet: identification, status, criteria, indicators, then the signature block."""
    from datetime import UTC, datetime
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    regular, bold = fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    head = ParagraphStyle("head", parent=body, fontName=bold)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=16, leading=20, spaceAfter=8)
    h2 = ParagraphStyle("h2", parent=head, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    jurors = grid.jurors()
    story = [
        p("Grille d'évaluation du jury", title),
        p(f"Candidat : {grid.candidate}"),
        p(f"Unité {grid.unit}" + (f" — {grid.unit_title}" if grid.unit_title else "")),
        p(f"Document : {grid.file} (sha256 {grid.sha256[:12]}…)"),
        p(f"Date : {datetime.now(UTC):%Y-%m-%d} (grille créée le {when(grid.created_at)})"),
        p(f"Jurés : {', '.join(jurors) if jurors else '(aucune décision)'}"),
        p(f"Statut : {'signée' if grid.status == 'signed' else 'non signée'}"
          + (f" par {grid.signed_by} le {when(grid.signed_at)}" if grid.status == "signed" else ""), head),
        *[p(line, head) for line in warning_lines(grid)],
        p("Critères", h2),
    ]
    crit_rows = [[p(h, head) for h in ("Critère", "Proposition de l'outil", "Décision du jury", "Commentaire")]]
    crit_rows += [
        [p(f"{c.item_id} {c.title}"), p(label(c, c.proposed)), p(label(c, c.decided) or "—"),
         p(" ".join(x for x in (c.comment or "", f"({c.juror})" if c.juror else "") if x))]
        for c in grid.criteria
    ]
    story.append(table(crit_rows, [6 * cm, 3.3 * cm, 3.3 * cm, 4.9 * cm]))
    story.append(p("Indicateurs", h2))
    ind_rows = [[p(h, head) for h in ("Indicateur", "Proposition", "Décision", "Commentaire")]]
    ind_rows += [
        [p(f"{i.item_id} {i.title}", small), p(label(i, i.proposed), small), p(label(i, i.decided) or "—", small),
         p(i.comment or "", small)]
        for i in grid.indicators
    ]
    story.append(table(ind_rows, [7.5 * cm, 3 * cm, 3 * cm, 4 * cm]))
    story.append(Spacer(1, 0.6 * cm))
    last: dict[str, str] = {}
    for ln in grid.lines:
        if ln.juror and ln.decided_at:
            last[ln.juror] = max(last.get(ln.juror, ""), ln.decided_at)
    if grid.signed_by:
        last[grid.signed_by] = grid.signed_at or last.get(grid.signed_by, "")
    sig_rows = [[p(h, head) for h in ("Nom", "Date", "Rôle", "Signature")]]
    sig_rows += [[p(name), p(when(last.get(name))), p("signataire" if name == grid.signed_by else "juré"), p("")]
                 for name in jurors]
    sig_rows += [[p(""), p(""), p(""), p("")]] * max(0, 2 - len(jurors))  # blank lines to sign by hand
    story.append(KeepTogether([
        p("Signature du jury", h2),
        table(sig_rows, [4.5 * cm, 4.5 * cm, 2.5 * cm, 6 * cm], [None] + [1.2 * cm] * (len(sig_rows) - 1)),
    ]))

    def footer(canvas, doc) -> None:  # noqa: ANN001
        canvas.setFont(regular, 8)
        canvas.drawRightString(A4[0] - 1.7 * cm, 0.9 * cm, f"Grille {grid.id} — page {doc.page}")

    write_document(path, story, title=f"Grille {grid.id}", margins_cm=(1.7, 1.7, 1.5, 1.5), on_page=footer)
