"""The session sheet a jury president signs: one row per candidate of a unit (the latest grid of each),
one column per criterion with the final decision, then the juror and the date of signature.

XLSX (text cells: nothing a candidate or a juror typed can run as a formula) or A4 landscape PDF with a
signature block. ``batch`` restricts the sheet to the candidates of a batch folder (its result files).
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.config.files import atomic_write, spreadsheet_safe
from assistant.config.settings import Settings
from assistant.domain.errors import UsageError
from assistant.domain.vocabulary import LEVEL_FR
from assistant.records.grid import list_grids
from assistant.records.grid_store import Grid


def batch_candidates(folder: Path) -> set[str]:
    """The candidates a batch folder assessed (``resultats/<candidate>__<sha>.json``)."""
    results = folder / "resultats" if (folder / "resultats").is_dir() else folder
    out = set()
    for path in results.glob("*__*.json"):
        try:
            out.add(json.loads(path.read_text(encoding="utf-8"))["candidate"])
        except (OSError, ValueError, KeyError):
            continue
    if not out:
        raise UsageError(f"Aucun résultat de session dans {folder} (attendu : resultats/*.json d'un assess-batch).",
                         code="batch_empty")
    return out


def session_grids(settings: Settings, unit: str, batch: Path | None = None) -> list[Grid]:
    """The latest grid of each candidate of the unit (of the batch), by candidate."""
    latest: dict[str, Grid] = {}
    for g in list_grids(settings, unit=unit):
        latest[g.candidate] = g  # oldest first: the last one wins
    wanted = batch_candidates(batch) if batch is not None else None
    return [latest[c] for c in sorted(latest) if wanted is None or c in wanted]


def _criteria(grids: list[Grid]) -> list[str]:
    """The criteria of the session's grids, in grid order, once each."""
    return list(dict.fromkeys(c.item_id for g in grids for c in g.criteria))


def sheet_rows(grids: list[Grid]) -> tuple[list[str], list[list[str]]]:
    criteria = _criteria(grids)
    header = ["Candidat", "Fichier", *criteria, "Statut", "Juré(s)", "Signée le"]
    rows = []
    for g in grids:
        levels = {c.item_id: (LEVEL_FR.get(c.decided, c.decided) if c.decided else "—") for c in g.criteria}
        rows.append([g.candidate, g.file, *[levels.get(c, "—") for c in criteria],
                     "signée" if g.status == "signed" else "en cours", ", ".join(g.jurors()),
                     (g.signed_at or "")[:16].replace("T", " ")])
    return header, rows


def write_session_sheet(settings: Settings, unit: str, output: Path, *, batch: Path | None = None,
                        unit_title: str = "") -> Path:
    suffix = Path(output).suffix.lower()
    if suffix not in {".xlsx", ".pdf"}:
        raise UsageError(f"--output attend un fichier .xlsx ou .pdf (reçu « {Path(output).name} »).",
                         code="sheet_format")
    grids = session_grids(settings, unit, batch)
    if not grids:
        raise UsageError(f"Aucune grille pour l'unité {unit} : pré-remplissez-les d'abord (grid prefill).",
                         code="session_empty")
    header, rows = sheet_rows(grids)
    title = f"Session du jury — unité {unit}" + (f" {unit_title}" if unit_title else "")
    if suffix == ".xlsx":
        return atomic_write(Path(output), lambda tmp: _xlsx(tmp, title, header, rows))
    import tempfile

    from assistant.exports.charts import agreement_heatmap
    from assistant.records.grid_stats import stats

    agreement = stats(settings, unit=unit)
    with tempfile.TemporaryDirectory() as tmp_dir:  # the unit's agreement heatmap, on its own page
        chart = agreement_heatmap(agreement, Path(tmp_dir) / "accord.png") if agreement.grids else None
        return atomic_write(Path(output), lambda tmp: _pdf(tmp, title, header, rows, chart))


def _xlsx(path: Path, title: str, header: list[str], rows: list[list[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Session"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([spreadsheet_safe(v) for v in row])
    for cells in ws.iter_rows(min_row=3):
        for cell in cells:
            cell.data_type = "s"
    for col, width in zip("ABCDEFGHIJKL", [22, 30] + [18] * (len(header) - 2), strict=False):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "C3"
    wb.save(path)


def _pdf(path: Path, title: str, header: list[str], rows: list[list[str]], chart: Path | None = None) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from assistant.exports.pdf import fonts, table

    regular, bold = fonts()
    body = ParagraphStyle("b", fontName=regular, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("h", parent=body, fontName=bold)
    h1 = ParagraphStyle("t", parent=body, fontName=bold, fontSize=14, leading=18, spaceAfter=8)
    width = landscape(A4)[0] - 3 * cm
    n_crit = len(header) - 5
    widths = [3.6 * cm, 4.4 * cm] + [2.4 * cm] * n_crit + [1.9 * cm, 3.2 * cm, 2.6 * cm]
    scale = min(1.0, width / sum(widths))
    data = [[Paragraph(h, head) for h in header]] + [[Paragraph(str(v), body) for v in r] for r in rows]
    story = [Paragraph(title, h1), table(data, [w * scale for w in widths]), Spacer(1, 1.2 * cm),
             Paragraph("Le président du jury : nom, date et signature", body), Spacer(1, 2 * cm)]
    if chart is not None:
        from reportlab.platypus import Image, PageBreak

        picture = Image(str(chart))
        fit = min(24 * cm / picture.imageWidth, 14 * cm / picture.imageHeight)  # within the landscape frame
        picture.drawWidth, picture.drawHeight = picture.imageWidth * fit, picture.imageHeight * fit
        story += [PageBreak(), Paragraph("Accord entre l'outil et les jurys (grilles signées)", h1), picture]
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=title, author="rncp-coach", invariant=1)
    doc.build(story)


BOARD_WARNINGS = {"suspicious_instruction": "consigne", "hidden_text": "texte caché",
                  "pages_without_text": "pages non lues", "ocr_pages": "OCR"}


def board_rows(grids: list[Grid]) -> tuple[list[str], list[list[str]]]:
    """The session board: one row per candidate: status, the level of each criterion (the juror's decision,
    else « proposé : … »), the document's alerts."""
    criteria = _criteria(grids)
    header = ["Candidat", "Fichier", "Statut", *criteria, "Alertes"]
    rows = []
    for g in grids:
        levels = {c.item_id: (LEVEL_FR.get(c.decided, c.decided) if c.decided
                              else f"proposé : {LEVEL_FR.get(c.proposed, c.proposed)}") for c in g.criteria}
        alerts = sorted({BOARD_WARNINGS.get(w.get("kind", ""), "") for w in g.warnings} - {""})
        status = "signée" if g.status == "signed" else (
            f"en cours ({sum(c.decided is not None for c in g.criteria)}/{len(g.criteria)})")
        rows.append([g.candidate, g.file, status, *[levels.get(c, "—") for c in criteria], ", ".join(alerts)])
    return header, rows
