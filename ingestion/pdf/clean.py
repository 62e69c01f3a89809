"""Clean extracted PDF text: characters, readability, running headers and footers, hyphenation, wrapped lines.

The functions are pure and the text they produce is final: chunks and quotes are exact slices of it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# --------------------------------------------------------------------------------------------
# Character-level cleaning
# --------------------------------------------------------------------------------------------

_CHAR_MAP = str.maketrans(
    {
        # Ligatures.
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        # Apostrophes and quotes (« » are kept as they are).
        "\u2019": "'",
        "\u2018": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        # Hyphens that are plain hyphens.
        "\u2010": "-",
        "\u2011": "-",
        # Spaces: non-breaking, thin, figure, em/en...
        "\t": " ",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2004": " ",
        "\u2005": " ",
        "\u2006": " ",
        "\u2008": " ",
        "\u205f": " ",
        "\u3000": " ",
        # Invisible characters.
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\u2060": "",
        "\ufeff": "",
    }
)


def normalize_chars(text: str) -> str:
    """NFC, ligatures, typographic apostrophes/quotes, unusual spaces; line ends become ``\\n``.

    A soft hyphen at a line end joins the two halves of the word; other soft hyphens disappear.
    Control characters are kept (see :func:`strip_control_chars`) so that garbage can be measured.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\u00ad[ ]*\n[ ]*", "", text).replace("\u00ad", "")
    return text.translate(_CHAR_MAP)


def strip_control_chars(text: str) -> str:
    """Drop control, private-use and format characters and U+FFFD; keep line breaks."""
    return "".join(
        c for c in text if c == "\n" or (unicodedata.category(c) not in {"Cc", "Co", "Cs", "Cf"} and c != "\ufffd")
    )


# --------------------------------------------------------------------------------------------
# Is this real text?
# --------------------------------------------------------------------------------------------

_PUNCTUATION = set(".,;:!?'\"«»()[]{}-–—/\\%€$£&@#*+=°…_<>§|~^`•·")
_FRENCH_LETTERS = set("abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæñ")
_VOWELS = set("aeiouyàâäéèêëîïôöùûüÿœæ")
_TOKEN = re.compile(r"[^\W\d_]+")
MIN_GOOD_RATIO = 0.6
MIN_WORD_RATIO = 0.4


def _looks_like_word(token: str) -> bool:
    low = token.casefold()
    return len(low) >= 2 and all(c in _FRENCH_LETTERS for c in low) and any(c in _VOWELS for c in low)


def is_readable(text: str) -> bool:
    """Whether ``text`` is real text rather than empty, control characters or symbol soup.

    At least 60 % of the visible characters must be Latin letters, digits or common punctuation, and
    at least 40 % of the tokens of two letters or more must look like French words (French alphabet,
    one vowel at least), with one such word at the minimum; a text without such tokens is real only
    if it has digits (a page of figures).
    """
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return False
    good = sum(1 for c in chars if (c.isalpha() and ord(c) < 0x250) or c.isdigit() or c in _PUNCTUATION)
    if good / len(chars) < MIN_GOOD_RATIO:
        return False
    tokens = [t for t in _TOKEN.findall(text) if len(t) >= 2]
    if not tokens:  # figures only (a page of a table): real if there are digits
        return any(c.isdigit() for c in chars)
    words = sum(1 for t in tokens if _looks_like_word(t))
    return words >= 1 and words >= MIN_WORD_RATIO * len(tokens)


# --------------------------------------------------------------------------------------------
# Line-level cleaning: running headers/footers, page numbers, hyphenation, wrapped lines
# --------------------------------------------------------------------------------------------

EDGE_LINES = 4  # how many lines at the top and at the bottom of a page may be furniture
REPEAT_RATIO = 0.6

_PAGE_NUMBER_PATTERNS = (
    re.compile(r"^(?:page|p\.?)\s*(\d{1,4})(?:\s*(?:/|sur|of|de)\s*(\d{1,4}))?$"),
    re.compile(r"^[-–—]\s*(\d{1,4})\s*[-–—]$"),
    re.compile(r"^(\d{1,4})\s*(?:/|sur)\s*(\d{1,4})$"),
    re.compile(r"^(\d{1,4})$"),
)


def is_page_number(line: str, number: int | None = None) -> bool:
    """``3``, ``Page 3 / 5``, ``- 3 -``, ``3/5``, ``p. 3``... A bare number must be near ``number``."""
    s = re.sub(r"\s+", " ", line.strip().casefold())
    for i, pattern in enumerate(_PAGE_NUMBER_PATTERNS):
        m = pattern.match(s)
        if not m:
            continue
        value = int(m.group(1))
        total = m.group(2) if m.lastindex and m.lastindex >= 2 else None
        if total is not None and value > int(total):
            return False
        if i == len(_PAGE_NUMBER_PATTERNS) - 1:  # a bare number: could be a table cell
            return number is None or (0 < value <= number + 1 and value >= number - 10)
        return True
    return False


def _furniture_key(line: str) -> str:
    key = re.sub(r"\d+", "#", line.casefold())
    return re.sub(r"\s+", " ", key).strip()


def _edge_lines(lines: list[str]) -> list[str]:
    non_empty = [line for line in lines if line.strip()]
    if len(non_empty) <= 2 * EDGE_LINES:
        return non_empty
    return non_empty[:EDGE_LINES] + non_empty[-EDGE_LINES:]


def repeated_furniture(pages: list[list[str]]) -> set[str]:
    """Keys (digits replaced by ``#``) of the lines repeated at the top or bottom of most pages.

    With 3 pages or more a line must appear on at least 60 % of them; with 2 pages, on both.
    Only lines with a letter count (bare numbers are handled by :func:`is_page_number`), and only on
    pages of two lines or more.
    """
    n = len(pages)
    if n < 2:
        return set()
    threshold = n if n == 2 else math.ceil(REPEAT_RATIO * n)
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = _edge_lines(lines)
        if len(edges) >= 2:  # a page of one line has no furniture: that line is its content
            counts.update({_furniture_key(line) for line in edges})
    return {k for k, c in counts.items() if c >= threshold and any(ch.isalpha() for ch in k)}


def _strip_edges(lines: list[str], repeated: set[str], number: int, protect: tuple[str, ...]) -> list[str]:
    def furniture(line: str) -> bool:
        if protect and any(p in line.casefold() for p in protect):
            return False
        return _furniture_key(line) in repeated or is_page_number(line, number)

    start, end = 0, len(lines)
    removed = 0
    while start < end and removed < EDGE_LINES:
        if not lines[start].strip():
            start += 1
        elif furniture(lines[start]):
            start += 1
            removed += 1
        else:
            break
    removed = 0
    while end > start and removed < EDGE_LINES:
        if not lines[end - 1].strip():
            end -= 1
        elif furniture(lines[end - 1]):
            end -= 1
            removed += 1
        else:
            break
    return lines[start:end]


# A hyphen at a line end is kept (not a hyphenation) for these compounds.
_KEEP_HYPHEN_BEFORE = frozenset(
    ["e", "après", "avant", "non", "demi", "semi", "mi", "co", "ex", "quasi", "vice", "peut", "arrière", "chef"]
)
_KEEP_HYPHEN_AFTER = frozenset(
    ["être", "même", "mêmes", "ci", "là", "dire", "clé", "clés", "il", "elle", "on", "ils", "elles", "t", "uns", "unes"]
)
_LINE_END_HYPHEN = re.compile(r"([^\W\d_]+)-$")
_SENTENCE_END = (".", ":", ";", "?", "!", "…")
_CONTINUATION_START = set("%€),;:»]")  # a line cannot start with these unless it continues the one above


def join_lines(lines: list[str]) -> list[str]:
    """Re-join hyphenated words and wrapped sentences; blank lines (paragraph breaks) are kept.

    ``communi-`` + ``cation`` gives ``communication`` (``e-`` + ``réputation`` keeps its hyphen); a line
    not ending in ``. : ; ? ! …`` followed by a line starting in lowercase (or with ``% € ) , ; : » ]``)
    is joined with one space.
    """
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and (line[0].islower() or line[0] in _CONTINUATION_START):
            prev = out[-1]
            m = _LINE_END_HYPHEN.search(prev)
            if m and line[0].islower() and not prev.endswith("--"):
                fragment = m.group(1).casefold()
                next_word = _TOKEN.match(line)
                keep = fragment in _KEEP_HYPHEN_BEFORE or (
                    next_word is not None and next_word.group(0).casefold() in _KEEP_HYPHEN_AFTER
                )
                out[-1] = prev + line if keep else prev[:-1] + line
                continue
            if not prev.endswith(_SENTENCE_END):
                out[-1] = prev + " " + line
                continue
        out.append(line)
    return out


def _tidy_lines(text: str) -> list[str]:
    """Control characters out, runs of spaces collapsed, lines stripped."""
    return [re.sub(r" {2,}", " ", line).strip() for line in strip_control_chars(text).split("\n")]


def _finish(lines: list[str]) -> str:
    """Join lines, collapse runs of blank lines, trim."""
    joined = join_lines([re.sub(r" {2,}", " ", line).strip() for line in lines])
    text = "\n".join(joined)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _clean_pages(raw_pages: list[str], protect: Iterable[str] = ()) -> tuple[list[str], list[bool]]:
    """Cleaned texts, and for each page whether it had text that was rejected as garbage."""
    protect_t = tuple(p.casefold() for p in protect if p)
    pages = [normalize_chars(raw).split("\n") for raw in raw_pages]
    repeated = repeated_furniture(pages)
    texts: list[str] = []
    garbage: list[bool] = []
    for number, lines in enumerate(pages, start=1):
        body = _strip_edges(lines, repeated, number, protect_t)
        readable = is_readable("\n".join(body))
        cleaned = _finish(_tidy_lines("\n".join(body))) if readable else ""
        texts.append(cleaned)
        garbage.append(not readable and any(line.strip() for line in body))
    return texts, garbage


def clean_pages(raw_pages: list[str], *, protect: Iterable[str] = ()) -> list[str]:
    """Clean the raw text of every page of a document (cross-page: running headers and footers).

    Lines in ``protect`` (hidden text) are never removed as headers or footers. A page whose text is
    not readable (see :func:`is_readable`) becomes ``""``.
    """
    return _clean_pages(raw_pages, protect)[0]


def clean_text(raw: str) -> str:
    """Clean a single text (no cross-page furniture detection, no readability check)."""
    return _finish(_tidy_lines(normalize_chars(raw)))
