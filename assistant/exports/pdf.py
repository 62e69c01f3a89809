"""The one PDF writer (reportlab): the fonts, the table style and the A4 document every PDF export uses.

DejaVu Sans (full Unicode) is used when installed, else Helvetica. Documents are built with
``invariant=1`` so that the same content gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DEJAVU_FOLDERS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
HEADER_FILL = "#DDE4F0"


def fonts() -> tuple[str, str]:
    """The regular and bold font names: DejaVu Sans when installed (registered once), else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in DEJAVU_FOLDERS:
        files = {"DejaVuSans": Path(folder, "DejaVuSans.ttf"), "DejaVuSans-Bold": Path(folder, "DejaVuSans-Bold.ttf")}
        if all(f.exists() for f in files.values()):
            registered = pdfmetrics.getRegisteredFontNames()
            for name, file in files.items():  # other code (tests) may have registered one of them already
                if name not in registered:
                    pdfmetrics.registerFont(TTFont(name, str(file)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                          italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def table(data: list[list], widths: list[float], heights: list[float | None] | None = None):  # noqa: ANN201
    """A table with a grey grid, a tinted header row repeated on each page, cells aligned at the top."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    t = Table(data, colWidths=widths, rowHeights=heights, repeatRows=1)
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_FILL)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return t


def write_document(
    path: Path | str,
    story: list,
    *,
    title: str,
    margins_cm: tuple[float, float, float, float],
    on_page: Callable | None = None,
) -> Path:
    """Build ``story`` into an A4 PDF at ``path``; margins are (left, right, top, bottom) in cm."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    left, right, top, bottom = margins_cm
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=left * cm, rightMargin=right * cm,
                            topMargin=top * cm, bottomMargin=bottom * cm, title=title, author="rncp-coach",
                            invariant=1)
    if on_page is None:
        doc.build(story)
    else:
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return Path(path)
