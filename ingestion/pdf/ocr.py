"""Reading image-only pages (scans) with Tesseract and its French data, through ``pytesseract``.

Only pages without a text layer are read. The page is rendered offline by PDFium (``pypdfium2``) at
``DPI`` and recognised with ``fra``. When Tesseract, its French data or the wrapper is missing, or OCR
is switched off (``RNCP_COACH_OCR=off``), nothing is read and the caller keeps its « pages sans texte »
warning (or its ``pdf_no_text`` refusal).
"""

from __future__ import annotations

import re
import shutil
from functools import lru_cache

DPI = 200  # enough for 10–12 pt body text; an A4 page reads in about a second on 2 cores
LANG = "fra"


@lru_cache(maxsize=8)
def available(command: str = "tesseract") -> bool:
    """Tesseract can be run with the French data (``command`` is its name or path; « off » disables OCR)."""
    if not command or command.lower() in {"off", "none", "0", "false"}:
        return False
    try:
        import pytesseract
    except ImportError:
        return False
    binary = shutil.which(command)
    if binary is None:
        return False
    pytesseract.pytesseract.tesseract_cmd = binary
    try:
        return LANG in pytesseract.get_languages(config="")
    except Exception:  # noqa: BLE001 - a broken install is an absent one
        return False


def _tidy(text: str) -> str:
    """OCR output as page text: lines kept, spaces collapsed, empty lines reduced to one."""
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.replace("\x0c", "").splitlines()]
    out: list[str] = []
    for ln in lines:
        if ln or (out and out[-1]):
            out.append(ln)
    return "\n".join(out).strip()


def read_pages(data: bytes, pages: list[int], *, password: str | None = None,
               command: str = "tesseract") -> dict[int, str]:
    """The recognised text of the given 1-based pages (a page that yields nothing is left out)."""
    if not pages or not available(command):
        return {}
    import pypdfium2 as pdfium
    import pytesseract

    doc = pdfium.PdfDocument(data, password=password)
    out: dict[int, str] = {}
    try:
        for number in pages:
            image = doc[number - 1].render(scale=DPI / 72, grayscale=True).to_pil()
            text = _tidy(pytesseract.image_to_string(image, lang=LANG, config="--psm 3"))
            if len(re.findall(r"[A-Za-zÀ-ÿ]{3,}", text)) >= 3:  # a few real words, not speckle
                out[number] = text
    finally:
        doc.close()
    return out
