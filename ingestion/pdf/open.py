"""Read and open a PDF: size and signature checks, parsing, encryption; the French messages for each failure."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from assistant.domain.errors import PdfError

# pypdf reports the damage it works around through logging (warnings and errors); the user gets our
# messages instead. An application that configured the "pypdf" logger itself keeps its setting.
_PYPDF_LOGGER = logging.getLogger("pypdf")
if _PYPDF_LOGGER.level == logging.NOTSET:
    _PYPDF_LOGGER.setLevel(logging.CRITICAL)



# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _pages_fr(pages: list[int]) -> str:
    if len(pages) == 1:
        return f"la page {pages[0]}"
    return "les pages " + ", ".join(str(p) for p in pages[:-1]) + f" et {pages[-1]}"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".replace(".", ",") + " Mo"


def _too_large_bytes(name: str, size: int, limit: int) -> PdfError:
    return PdfError(
        "pdf_too_large",
        f"Le fichier « {name} » pèse {_mb(size)}, au-delà de la limite de {_mb(limit)}. Réduisez sa taille "
        "(images compressées, export en « PDF optimisé ») ou découpez-le, puis renvoyez-le.",
    )


def _corrupt(name: str, detail: str) -> PdfError:
    return PdfError(
        "pdf_corrupt",
        f"Le fichier « {name} » est endommagé ou incomplet : {detail}. Exportez-le de nouveau en PDF depuis "
        "l'original (ou téléchargez-le à nouveau), puis renvoyez-le.",
    )


def _not_pdf_hint(data: bytes) -> str:
    if not data.strip():
        return " : le fichier est vide"
    if data.startswith(b"PK\x03\x04"):
        return " : c'est une archive ZIP, sans doute un document Word (.docx) ou OpenDocument (.odt)"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return " : c'est un ancien document Office (.doc, .xls ou .ppt)"
    if data.startswith(b"\x89PNG"):
        return " : c'est une image PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return " : c'est une image JPEG"
    if data.startswith(b"{\\rtf"):
        return " : c'est un document RTF"
    sample = data[:2048]
    try:
        sample.decode("utf-8")
        return " : c'est un fichier texte"
    except UnicodeDecodeError:
        return ""


# --------------------------------------------------------------------------------------------
# Reading and opening
# --------------------------------------------------------------------------------------------

_LEADING_JUNK = b" \t\r\n\x00\x0c"
MAX_LEADING_BYTES = 16


def _read_source(source: Path | str | bytes, name: str, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise _too_large_bytes(name, len(data), max_bytes)
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PdfError(
            "file_not_found", f"Fichier introuvable : « {path} ». Vérifiez le chemin et le nom du fichier."
        ) from None
    except OSError as exc:
        raise PdfError(
            "file_unreadable", f"Impossible de lire « {path} » ({exc.strerror}). Vérifiez le fichier et ses droits."
        ) from None
    if path.is_dir():
        raise PdfError(
            "file_not_found", f"« {path} » est un dossier, pas un fichier PDF. Indiquez le fichier lui-même."
        )
    if size > max_bytes:
        raise _too_large_bytes(name, size, max_bytes)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise PdfError(
            "file_unreadable", f"Impossible de lire « {path} » ({exc.strerror}). Vérifiez le fichier et ses droits."
        ) from None
    if len(data) > max_bytes:
        raise _too_large_bytes(name, len(data), max_bytes)
    return data


def precheck_pdf(path: Path | str, *, max_bytes: int, file_name: str | None = None) -> Path:
    """The cheap checks, before any work: the file exists, is not too large and starts like a PDF."""
    path = Path(path)
    name = file_name or path.name
    if not path.is_file():
        raise PdfError("file_not_found", f"Fichier introuvable : « {name} ». Vérifiez le fichier et renvoyez-le.")
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_large_bytes(name, size, max_bytes)
    with path.open("rb") as fh:
        _pdf_body(fh.read(1024), name)
    return path


def _pdf_body(data: bytes, name: str) -> bytes:
    """The bytes from ``%PDF-`` on, allowing a BOM and a few bytes of whitespace before it."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    stripped = body.lstrip(_LEADING_JUNK)
    if len(body) - len(stripped) > MAX_LEADING_BYTES or not stripped.startswith(b"%PDF-"):
        raise PdfError(
            "not_pdf",
            f"Le fichier « {name} » n'est pas un PDF{_not_pdf_hint(data)}. Exportez votre document au format PDF "
            "(Fichier › Exporter › PDF) et renvoyez ce fichier.",
        )
    return stripped


def _open(body: bytes, name: str, password: str | None) -> Any:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        encrypted = reader.is_encrypted
    except MemoryError:
        raise _corrupt(name, "sa structure est démesurée") from None
    except Exception:  # noqa: BLE001 - anything pypdf raises here means an unreadable file
        raise _corrupt(name, "sa structure PDF est illisible") from None
    if not encrypted:
        return reader
    try:
        if reader.decrypt("") != PasswordType.NOT_DECRYPTED:
            return reader  # encrypted for permissions only: opens without a password
        if password is None:
            raise PdfError(
                "pdf_encrypted",
                f"Le fichier « {name} » est protégé par un mot de passe. Relancez avec l'option --password "
                "suivie du mot de passe, ou envoyez une copie du PDF sans protection.",
            )
        if reader.decrypt(password) == PasswordType.NOT_DECRYPTED:
            raise PdfError(
                "pdf_encrypted",
                f"Le mot de passe donné pour « {name} » est incorrect. Vérifiez-le et relancez avec "
                "--password, ou envoyez une copie du PDF sans protection.",
            )
    except PdfError:
        raise
    except (DependencyError, NotImplementedError):
        raise PdfError(
            "pdf_encrypted",
            f"Le fichier « {name} » est chiffré avec une méthode (AES) que cette installation ne sait pas "
            "ouvrir. Envoyez une copie du PDF sans protection (ou installez le paquet Python « cryptography »).",
        ) from None
    except Exception:  # noqa: BLE001
        raise _corrupt(name, "sa protection par mot de passe est illisible") from None
    return reader


_SIZE_LIMIT_WORDS = ("decompress", "stream", "token", "size", "element", "entries", "page tree")


def _is_size_limit(exc: Exception) -> bool:
    """Whether a pypdf ``LimitReachedError`` is about sheer size (not a cycle or a malformed table)."""
    message = str(exc).casefold()
    return any(word in message for word in _SIZE_LIMIT_WORDS)
