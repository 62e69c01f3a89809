"""Read a candidate's PDF: checks, text extraction, cleaning, hidden-text detection.

:func:`extract_pdf` is the single entry point. Every failure a user can act on is a
:class:`~assistant.domain.errors.PdfError` with a stable ``code`` and a French message saying what is wrong
and what to do; nothing else escapes from pypdf. Checks run in this order:

1. size on disk (``pdf_too_large``) before reading the whole file;
2. the ``%PDF-`` signature (``not_pdf``);
3. parsing (``pdf_corrupt``), encryption (``pdf_encrypted``), page count (``pdf_too_large``);
4. text extraction, page by page (``pdf_corrupt`` on failure, ``pdf_too_large`` past the character limit);
5. usable text: ``pdf_no_text`` (only images: a scan needing OCR) or ``pdf_empty`` (blank or unreadable).

The checks live in :mod:`ingestion.pdf.open`, the cleaning in :mod:`ingestion.pdf.clean` and the
hidden-text detection in :mod:`ingestion.pdf.hidden`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from assistant.domain.documents import ExtractedDocument, HiddenText, Page
from assistant.domain.errors import PdfError
from ingestion.pdf.clean import _clean_pages
from ingestion.pdf.hidden import _resolve, detect_hidden_text
from ingestion.pdf.open import _corrupt, _is_size_limit, _open, _pages_fr, _pdf_body, _read_source

MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 200
MAX_CHARS = 2_000_000
# A page of text draws with well under 100 KB of operators; parsing megabytes of them takes tens of seconds.
MAX_PAGE_CONTENT = 2_000_000


# --------------------------------------------------------------------------------------------
# Images (is a page without text a scan?)
# --------------------------------------------------------------------------------------------


def _resources_have_images(resources: Any, depth: int = 0) -> bool:
    resources = _resolve(resources) or {}
    xobjects = _resolve(resources.get("/XObject")) or {}
    for ref in xobjects.values():
        xobj = _resolve(ref)
        subtype = str(xobj.get("/Subtype")) if xobj is not None else ""
        if subtype == "/Image":
            return True
        if subtype == "/Form" and depth < 5 and _resources_have_images(xobj.get("/Resources"), depth + 1):
            return True
    return False


def page_has_images(page: Any) -> bool:
    """Whether a pypdf page draws an image (XObject, possibly inside a form, or inline image)."""
    try:
        if _resources_have_images(page.get("/Resources")):
            return True
        contents = page.get_contents()
        return contents is not None and any(op == b"INLINE IMAGE" for _, op in contents.operations)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a damaged page simply does not count as an image
        return False




def extract_pdf(
    source: Path | bytes,
    *,
    file_name: str | None = None,
    password: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    ocr: str = "off",
) -> ExtractedDocument:
    """Read a PDF (a path or its bytes) into cleaned page texts plus the hidden text found.

    Raises :class:`PdfError` (codes ``file_not_found``, ``file_unreadable``, ``pdf_too_large``,
    ``not_pdf``, ``pdf_corrupt``, ``pdf_encrypted``, ``pdf_no_text``, ``pdf_empty``) and nothing else
    for a bad file. Pages without usable text get ``""`` as long as one page has text. With ``ocr`` naming
    Tesseract (e.g. ``"tesseract"``), image-only pages are read by OCR first (:mod:`ingestion.pdf.ocr`)
    and listed in ``ocr_pages``; a document made only of scans is then read instead of refused.
    """
    from pypdf.errors import LimitReachedError

    if isinstance(source, (bytes, bytearray, memoryview)):
        name = file_name or "document.pdf"
    else:
        name = file_name or Path(source).name
    data = _read_source(source, name, max_bytes)
    body = _pdf_body(data, name)
    sha256 = hashlib.sha256(data).hexdigest()
    reader = _open(body, name, password)

    try:
        count = len(reader.pages)
    except MemoryError:
        raise _corrupt(name, "sa liste de pages est démesurée") from None
    except Exception:  # noqa: BLE001
        raise _corrupt(name, "sa liste de pages est illisible") from None
    if count == 0:
        raise _corrupt(name, "aucune page lisible (fichier tronqué ?)")
    if count > max_pages:
        raise PdfError(
            "pdf_too_large",
            f"Le fichier « {name} » compte {count} pages, au-delà de la limite de {max_pages}. Envoyez seulement "
            "le livrable à évaluer (sans les annexes volumineuses) ou découpez-le en plusieurs fichiers.",
        )

    raw_pages: list[str] = []
    hidden: list[HiddenText] = []
    total = 0
    pdf_pages = []
    for number in range(1, count + 1):
        try:
            page = reader.pages[number - 1]
            contents = page.get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > MAX_PAGE_CONTENT:
                raise PdfError(
                    "pdf_too_large",
                    f"La page {number} de « {name} » contient {size // 1_000_000} Mo d'instructions de dessin, "
                    "bien plus qu'une page de texte : exportez de nouveau le document en PDF standard "
                    "(« Enregistrer sous PDF ») ou envoyez seulement le livrable à évaluer.",
                    pages=[number],
                )
            raw = page.extract_text() or ""
        except (LimitReachedError, MemoryError, RecursionError) as exc:
            if isinstance(exc, LimitReachedError) and not _is_size_limit(exc):
                raise _corrupt(name, f"la page {number} ne peut pas être lue") from None
            raise PdfError(
                "pdf_too_large",
                f"La page {number} de « {name} » contient des données démesurées (flux compressé anormal). "
                "Exportez de nouveau le document en PDF standard ou envoyez seulement le livrable à évaluer.",
                pages=[number],
            ) from None
        except PdfError:
            raise
        except Exception:  # noqa: BLE001 - pypdf failing on a page means the file is damaged
            raise _corrupt(name, f"la page {number} ne peut pas être lue") from None
        total += len(raw)
        if total > max_chars:
            raise PdfError(
                "pdf_too_large",
                f"Le texte de « {name} » dépasse {max_chars:,} caractères (atteint à la page {number}) : "
                "c'est bien plus qu'un livrable. Envoyez seulement le livrable à évaluer ou découpez-le.".replace(
                    ",", "\u202f"
                ),
                pages=[number],
            )
        raw_pages.append(raw)
        pdf_pages.append(page)
        hidden.extend(detect_hidden_text(page, number))

    try:
        texts, garbage = _clean_pages(raw_pages, protect=[h.quote for h in hidden])
    except Exception:  # noqa: BLE001 - defensive: cleaning is pure, but never let a traceback out
        raise _corrupt(name, "son texte n'a pas pu être nettoyé") from None
    ocr_pages: list[int] = []
    scanned = [n for n, t in enumerate(texts, start=1) if not t.strip() and page_has_images(pdf_pages[n - 1])]
    if scanned and ocr != "off":
        from ingestion.pdf.ocr import read_pages

        try:
            read = read_pages(bytes(body), scanned, password=password, command=ocr)
        except Exception:  # noqa: BLE001 - OCR failing on a page leaves it unread, as without OCR
            read = {}
        for number, text in sorted(read.items()):
            total += len(text)
            if total > max_chars:
                break
            texts[number - 1] = text
            ocr_pages.append(number)
    if not any(texts):
        image_pages = [n for n, page in enumerate(pdf_pages, start=1) if page_has_images(page)]
        if image_pages:
            raise PdfError(
                "pdf_no_text",
                f"Le fichier « {name} » ne contient pas de texte lisible : {_pages_fr(image_pages)} "
                f"{'ne contient' if len(image_pages) == 1 else 'ne contiennent'} que des images (document scanné ?). "
                "Passez-le dans un logiciel de reconnaissance de texte (OCR) ou exportez l'original en PDF depuis "
                "votre traitement de texte, puis renvoyez-le.",
                pages=image_pages,
            )
        all_pages = list(range(1, count + 1))
        if any(garbage):
            raise PdfError(
                "pdf_empty",
                f"Le texte du fichier « {name} » est illisible (caractères de contrôle ou symboles sans "
                "signification : polices mal encodées). Exportez de nouveau le PDF depuis votre traitement de "
                "texte en incorporant les polices, ou passez-le dans un logiciel de reconnaissance de texte (OCR).",
                pages=all_pages,
            )
        what = "sa page est vide" if count == 1 else f"ses {count} pages sont vides"
        raise PdfError(
            "pdf_empty",
            f"Le fichier « {name} » ne contient aucun texte : {what}. "
            "Vérifiez que vous avez envoyé le bon fichier, puis renvoyez-le.",
            pages=all_pages,
        )

    return ExtractedDocument(
        file_name=name,
        sha256=sha256,
        page_count=count,
        pages=[Page(number=n, text=t) for n, t in enumerate(texts, start=1)],
        hidden=hidden,
        ocr_pages=ocr_pages,
    )
