"""Build real PDFs for the tests (reportlab, pypdf, Pillow): nothing binary is committed.

Every ``make_*`` function writes the file at ``path`` and returns that path. The output is
deterministic (reportlab ``invariant=1``).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from assistant.exports.pdf import fonts as pdf_fonts

WIDTH, HEIGHT = A4
MARGIN = 60
BODY_SIZE = 11
LEADING = 15

_DEJAVU = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)

DEFAULT_HEADER = "Dossier professionnel — Camille Martin — Chef de projet marketing"

# Three pages of a plausible deliverable. Explicit line breaks are drawn as such, so that
# "communi-" / "cation" is a real hyphenated line end in the PDF.
DEFAULT_PAGES = [
    "1. Contexte de la mission\n"
    "L’entreprise Bière d’Armor est une brasserie artisanale fondée en 2012 à Vannes. Elle emploie\n"
    "douze salariés et a réalisé un chiffre d’affaires de 1,8 M€ en 2023. Son cœur de cible reste la\n"
    "clientèle locale, mais l’équipe souhaite développer sa communi-\n"
    "cation auprès des touristes et renforcer son e-réputation.\n"
    "\n"
    "Analyse de la concurrence\n"
    "Trois brasseries concurrentes occupent le marché breton. Leur œuvre commune est la fête de la\n"
    "bière de Lorient, où chacune présente ses nouveautés.",
    "Analyse de la concurrence (suite)\n"
    "La brasserie des Korrigans mise sur les réseaux sociaux ; la brasserie du Golfe cible les\n"
    "restaurants. Nous avons interrogé 214 clients : 62 % citent le goût, 31 % le prix.\n"
    "\n"
    "BUDGET PRÉVISIONNEL\n"
    "Poste Montant Part\n"
    "Affichage 4 500 € 30 %\n"
    "Réseaux sociaux 6 000 € 40 %\n"
    "Événements 4 500 € 30 %\n"
    "Le budget total s’élève à 15 000 € hors taxes, validé par la direction le 12 mars 2024.",
    "3. Indicateurs de suivi\n"
    "Nous suivrons le taux d’engagement sur Instagram, le nombre de visites de la brasserie et\n"
    "l’évolution des ventes en grande surface. Un tableau de bord mensuel sera présenté au comité\n"
    "de direction, avec des objectifs chiffrés pour chaque trimestre.",
]


def _font() -> str:
    """DejaVu Sans when installed (full Unicode, ToUnicode map), else Helvetica (WinAnsi)."""
    return pdf_fonts()[0]  # the product's one font setup


def _canvas(target: Path | io.BytesIO) -> Canvas:
    c = Canvas(str(target) if isinstance(target, Path) else target, pagesize=A4, invariant=1)
    c.setTitle("Document de test")
    return c


def _draw_lines(c: Canvas, text: str, font: str, *, top: float = HEIGHT - 100) -> float:
    """Draw ``text`` line by line (explicit breaks kept, long lines wrapped); return the next y."""
    y = top
    c.setFont(font, BODY_SIZE)
    for raw in text.split("\n"):
        if not raw.strip():
            y -= LEADING / 2
            continue
        for line in simpleSplit(raw, font, BODY_SIZE, WIDTH - 2 * MARGIN):
            c.drawString(MARGIN, y, line)
            y -= LEADING
    return y


def text_pdf_bytes(
    pages: list[str] | None = None, header: str | None = DEFAULT_HEADER, footer: bool = True
) -> bytes:
    """The bytes of :func:`make_text_pdf`."""
    pages = DEFAULT_PAGES if pages is None else pages
    font = _font()
    buf = io.BytesIO()
    c = _canvas(buf)
    for number, text in enumerate(pages, start=1):
        if header:
            c.setFont(font, 9)
            c.drawString(MARGIN, HEIGHT - 40, header)
        _draw_lines(c, text, font)
        if footer:
            c.setFont(font, 9)
            c.drawCentredString(WIDTH / 2, 30, f"Page {number} / {len(pages)}")
        c.showPage()
    c.save()
    return buf.getvalue()


def make_text_pdf(
    path: Path, pages: list[str] | None = None, header: str | None = DEFAULT_HEADER, footer: bool = True
) -> Path:
    """A multi-page text PDF with a running header and a "Page X / N" footer on every page.

    Without ``pages``, the three :data:`DEFAULT_PAGES` (headings, accents, œ, €, typographic
    apostrophes, a table, the hyphenated line end "communi-" / "cation").
    """
    path = Path(path)
    path.write_bytes(text_pdf_bytes(pages, header, footer))
    return path


def make_encrypted_pdf(path: Path, password: str = "secret", text: str | None = None) -> Path:
    """A text PDF protected by a user password (RC4-128, readable without extra crypto libraries).

    With ``password=""`` the file is encrypted but opens without a password (permissions only).
    """
    from pypdf import PdfReader, PdfWriter

    pages = [text] if text else DEFAULT_PAGES[:1]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf_bytes(pages))))
    writer.encrypt(user_password=password, owner_password="proprietaire-" + (password or "vide"), algorithm="RC4-128")
    path = Path(path)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Pages that are only an image of text (a scan without OCR): no text layer at all."""
    from PIL import Image, ImageDraw, ImageFont

    font = None
    for candidate in _DEJAVU:
        if candidate.exists():
            font = ImageFont.truetype(str(candidate), 28)
            break
    if font is None:
        font = ImageFont.load_default()
    c = _canvas(Path(path))
    for number in range(1, pages + 1):
        img = Image.new("RGB", (600, 300), "white")
        draw = ImageDraw.Draw(img)
        draw.text((20, 40), f"Document scanné, page {number}", fill="black", font=font)
        draw.text((20, 120), "Analyse du marché et plan d'action", fill="black", font=font)
        c.drawImage(ImageReader(img), MARGIN, HEIGHT - 400, width=450, height=225)
        c.showPage()
    c.save()
    return Path(path)


def make_blank_pdf(path: Path, pages: int = 2) -> Path:
    """Pages with no text and no image (a frame is drawn, which is not text)."""
    c = _canvas(Path(path))
    for _ in range(pages):
        c.rect(MARGIN, MARGIN, WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN)
        c.showPage()
    c.save()
    return Path(path)


def make_corrupt_pdf(path: Path) -> Path:
    """A real PDF cut in the middle (as after an interrupted download)."""
    data = text_pdf_bytes()
    path = Path(path)
    path.write_bytes(data[: len(data) // 2])
    return path


def make_not_pdf(path: Path, kind: str = "docx") -> Path:
    """Not a PDF, though named ``.pdf``: a Word-like zip (``kind="docx"``) or plain text (``"text"``)."""
    path = Path(path)
    if kind == "text":
        path.write_text("Ceci est un simple fichier texte renommé en .pdf.\n", encoding="utf-8")
        return path
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    path.write_bytes(buf.getvalue())
    return path


def make_garbage_text_pdf(path: Path, pages: int = 2) -> Path:
    """Pages whose text layer decodes to control characters and symbols (a broken font encoding)."""
    c = _canvas(Path(path))
    junk = "".join(chr(code) for code in (1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25))
    symbols = "¤¦§¨¬¯±¶·¸¹º¼½¾×÷"
    for _ in range(pages):
        c.setFont("Helvetica", BODY_SIZE)
        y = HEIGHT - 100
        for i in range(12):
            c.drawString(MARGIN, y, (junk + symbols)[i % 7 :] + junk)
            y -= LEADING
        c.showPage()
    c.save()
    return Path(path)


def make_hidden_text_pdf(path: Path, visible: str, hidden: str) -> Path:
    """Three pages of ``visible`` text, each also carrying ``hidden`` drawn so no reader sees it.

    Page 1: in white ink; page 2: at 1 pt; page 3: outside the page (right of the media box).
    Page 1 also has white text on a dark banner, which is visible and must not be flagged.
    """
    font = _font()
    c = _canvas(Path(path))
    for number in (1, 2, 3):
        y = _draw_lines(c, visible, font)
        if number == 1:
            c.setFillColorRGB(0.1, 0.2, 0.5)
            c.rect(MARGIN, 60, WIDTH - 2 * MARGIN, 30, stroke=0, fill=1)
            c.setFillColorRGB(1, 1, 1)
            c.setFont(font, 12)
            c.drawString(MARGIN + 10, 70, "Bandeau visible en blanc sur fond bleu")
            c.drawString(MARGIN, y - 20, hidden)
        elif number == 2:
            c.setFont(font, 1)
            c.drawString(MARGIN, y - 20, hidden)
        else:
            c.setFont(font, BODY_SIZE)
            c.drawString(WIDTH + 50, y - 20, hidden)
        c.setFillColorRGB(0, 0, 0)
        c.showPage()
    c.save()
    return Path(path)


def make_many_pages_pdf(path: Path, n: int) -> Path:
    """``n`` short pages of text."""
    font = _font()
    c = _canvas(Path(path))
    for number in range(1, n + 1):
        c.setFont(font, BODY_SIZE)
        c.drawString(MARGIN, HEIGHT - 100, f"Section {number} : présentation du projet de communication numéro {number}.")
        c.showPage()
    c.save()
    return Path(path)


def _scan_font(size: int):  # noqa: ANN202 - PIL.ImageFont.FreeTypeFont
    """A TrueType font for drawn "scans": DejaVu where the system has it, else reportlab's own Vera."""
    import reportlab
    from PIL import ImageFont

    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    for candidate in (*_DEJAVU, vera):
        if candidate.exists():
            return ImageFont.truetype(str(candidate), size)
    return ImageFont.load_default()


def make_scanned_text_pdf(path: Path, pages: list[str], *, before: Path | None = None) -> Path:
    """A4 pages that are only a picture of typed text (a photocopied report, 200 dpi, no text layer),
    optionally after the pages of the text PDF ``before`` (a draft with scanned annexes)."""
    from PIL import Image, ImageDraw

    font = _scan_font(30)
    dpi = 200
    w, h = int(WIDTH / 72 * dpi), int(HEIGHT / 72 * dpi)
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4)
    for text in pages:
        img = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(img)
        y = 170
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                trial = f"{line} {word}".strip()
                if draw.textlength(trial, font=font) > w - 340:
                    draw.text((170, y), line, fill=0, font=font)
                    y += 44
                    line = word
                else:
                    line = trial
            draw.text((170, y), line, fill=0, font=font)
            y += 66
        c.drawImage(ImageReader(img.convert("RGB")), 0, 0, width=WIDTH, height=HEIGHT)
        c.showPage()
    c.save()
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    if before is not None:
        for page in PdfReader(before).pages:
            writer.add_page(page)
    for page in PdfReader(io.BytesIO(buffer.getvalue())).pages:
        writer.add_page(page)
    path = Path(path)
    with path.open("wb") as fh:
        writer.write(fh)
    return path
