"""Read a candidate's PDF: checks, text extraction, cleaning, hidden-text detection.

:func:`extract_pdf` is the single entry point. Every failure a user can act on is a
:class:`~assistant.errors.PdfError` with a stable ``code`` and a French message saying what is wrong
and what to do; nothing else escapes from pypdf. Checks run in this order:

1. size on disk (``pdf_too_large``) before reading the whole file;
2. the ``%PDF-`` signature (``not_pdf``);
3. parsing (``pdf_corrupt``), encryption (``pdf_encrypted``), page count (``pdf_too_large``);
4. text extraction, page by page (``pdf_corrupt`` on failure, ``pdf_too_large`` past the character limit);
5. usable text: ``pdf_no_text`` (only images: a scan needing OCR) or ``pdf_empty`` (blank or unreadable).

The cleaning functions (:func:`normalize_chars`, :func:`clean_pages`...) are pure and the text they
produce is final: chunks and quotes are exact slices of it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.documents import ExtractedDocument, HiddenText, Page
from assistant.errors import PdfError

MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 200
MAX_CHARS = 2_000_000
# A page of text draws with well under 100 KB of operators; parsing megabytes of them takes tens of seconds.
MAX_PAGE_CONTENT = 2_000_000

# pypdf reports the damage it works around through logging (warnings and errors); the user gets our
# messages instead. An application that configured the "pypdf" logger itself keeps its setting.
_PYPDF_LOGGER = logging.getLogger("pypdf")
if _PYPDF_LOGGER.level == logging.NOTSET:
    _PYPDF_LOGGER.setLevel(logging.CRITICAL)


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


# --------------------------------------------------------------------------------------------
# Hidden text
# --------------------------------------------------------------------------------------------

TINY_SIZE = 2.0  # points
WHITE_LEVEL = 0.94
MAX_HIDDEN_PER_PAGE = 30
MAX_QUOTE_CHARS = 500
MAX_SCANNED_OPERATIONS = 200_000

_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_SHOW_OPS = {b"Tj", b"TJ", b"'", b'"'}
_FILL_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_Matrix = tuple[float, float, float, float, float, float]
_Box = tuple[float, float, float, float]


def _mult(m: _Matrix, n: _Matrix) -> _Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _apply(m: _Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _box_of(points: list[tuple[float, float]]) -> _Box | None:
    if not points:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _nums(operands: list[Any]) -> list[float]:
    return [float(o) for o in operands if isinstance(o, (int, float))]


def _resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _rgb(values: list[float], space: str | None) -> tuple[float, float, float] | None:
    """A colour as RGB from its components (gray, RGB or CMYK by count; Separation tint as ink)."""
    if len(values) == 1:
        v = values[0]
        if space == "separation":
            v = 1.0 - v
        return (v, v, v)
    if len(values) == 3:
        return (values[0], values[1], values[2])
    if len(values) == 4:
        c, m, y, k = values
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _is_white(rgb: tuple[float, float, float] | None) -> bool:
    return rgb is not None and all(v >= WHITE_LEVEL for v in rgb)


class _State:
    __slots__ = ("ctm", "fill", "stroke", "fill_space", "fill_alpha", "stroke_alpha", "size", "scale",
                 "leading", "rise", "render", "clip")

    def __init__(self) -> None:
        self.ctm: _Matrix = _IDENTITY
        self.fill: tuple[float, float, float] | None = (0.0, 0.0, 0.0)
        self.stroke: tuple[float, float, float] | None = (0.0, 0.0, 0.0)
        self.fill_space: str | None = None
        self.fill_alpha = 1.0
        self.stroke_alpha = 1.0
        self.size = 0.0
        self.scale = 1.0
        self.leading = 0.0
        self.rise = 0.0
        self.render = 0
        self.clip: _Box | None = None

    def copy(self) -> _State:
        new = _State()
        for name in self.__slots__:
            setattr(new, name, getattr(self, name))
        return new


class _HiddenScanner:
    """Walk a page's content stream and classify every text-showing operation.

    Tracked: ``q``/``Q``, ``cm``, text state (``Tf``, ``Tz``, ``TL``, ``Ts``, ``Tr``), text position
    (``BT``, ``Tm``, ``Td``, ``TD``, ``T*``), fill/stroke colours (``g rg k sc scn cs`` and their
    stroke twins), ``gs`` alpha, and painted areas (filled paths, images, forms, shadings) so that white
    text on a dark shape is not flagged. Form XObjects are not entered.
    """

    def __init__(self, page: Any) -> None:
        resources = _resolve(page.get("/Resources")) or {}
        self.xobjects = _resolve(resources.get("/XObject")) or {}
        self.extgstates = _resolve(resources.get("/ExtGState")) or {}
        self.colorspaces = _resolve(resources.get("/ColorSpace")) or {}
        box = page.cropbox
        self.box: _Box = (float(box.left), float(box.bottom), float(box.right), float(box.top))
        self.painted: list[_Box] = []
        self.has_images = False

    def _space(self, name: Any) -> str | None:
        name = str(name)
        if name in {"/DeviceGray", "/CalGray", "/G"}:
            return "gray"
        if name in {"/DeviceRGB", "/CalRGB", "/RGB"}:
            return "rgb"
        if name in {"/DeviceCMYK", "/CMYK"}:
            return "cmyk"
        if name == "/Pattern":
            return "pattern"
        cs = _resolve(self.colorspaces.get(name)) if name in self.colorspaces else None
        if isinstance(cs, list) and cs and str(cs[0]) in {"/Separation", "/DeviceN"}:
            return "separation"
        return None

    def _paint(self, box: _Box | None) -> None:
        if box is not None and box[2] > box[0] and box[3] > box[1]:
            self.painted.append(box)

    def _on_painted(self, x: float, y: float) -> bool:
        return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in self.painted)

    def _xobject(self, name: Any, st: _State) -> None:
        xobj = _resolve(self.xobjects.get(name)) if name in self.xobjects else None
        if xobj is None:
            return
        subtype = str(xobj.get("/Subtype"))
        if subtype == "/Image":
            self.has_images = True
            self._paint(_box_of([_apply(st.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]))
        elif subtype == "/Form":
            bbox = _nums(list(_resolve(xobj.get("/BBox")) or []))
            matrix = _nums(list(_resolve(xobj.get("/Matrix")) or []))
            m = _mult(tuple(matrix), st.ctm) if len(matrix) == 6 else st.ctm  # type: ignore[arg-type]
            if len(bbox) == 4:
                x0, y0, x1, y1 = bbox
                self._paint(_box_of([_apply(m, x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]))

    def _classify(self, st: _State, tm: _Matrix, operand: Any) -> str | None:
        m = _mult(tm, st.ctm)
        x, y = _apply(m, 0.0, st.rise)
        vertical = abs(st.size) * math.hypot(m[2], m[3])
        horizontal = abs(st.size) * abs(st.scale) * math.hypot(m[0], m[1])
        left, bottom, right, top = self.box
        length = len(operand) if isinstance(operand, (str, bytes)) else 1
        if isinstance(operand, list):
            length = sum(len(o) for o in operand if isinstance(o, (str, bytes)))
        width = 0.6 * horizontal * max(length, 1)
        if x > right + 1 or y > top + 1 or y + 0.8 * vertical < bottom - 1 or x + width < left - 1:
            return "off_page"
        if min(vertical, horizontal) < TINY_SIZE:
            return "tiny"
        mode = st.render
        if mode in (3, 7):
            return None if self.has_images else "white"  # invisible text over a scan is an OCR layer
        uses_fill = mode in (0, 2, 4, 6)
        uses_stroke = mode in (1, 2, 5, 6)
        invisible_fill = not uses_fill or st.fill_alpha < 0.05 or _is_white(st.fill)
        invisible_stroke = not uses_stroke or st.stroke_alpha < 0.05 or _is_white(st.stroke)
        if invisible_fill and invisible_stroke:
            transparent = (uses_fill and st.fill_alpha < 0.05) or (uses_stroke and st.stroke_alpha < 0.05)
            if transparent or not self._on_painted(x + 0.5 * vertical, y + 0.3 * vertical):
                return "white"
        return None

    def scan(self, operations: list[tuple[Any, bytes]]) -> dict[int, str]:
        """Index of each hidden text-showing operation -> its kind."""
        st = _State()
        stack: list[_State] = []
        tm: _Matrix = _IDENTITY
        tlm: _Matrix = _IDENTITY
        path: list[tuple[float, float]] = []
        found: dict[int, str] = {}
        self.has_images = any(op == b"INLINE IMAGE" for _, op in operations) or any(
            str((_resolve(x) or {}).get("/Subtype")) == "/Image" for x in self.xobjects.values()
        )
        for index, (operands, op) in enumerate(operations):
            try:
                nums = _nums(operands) if op not in _SHOW_OPS else []
                if op == b"q":
                    stack.append(st.copy())
                elif op == b"Q":
                    if stack:
                        st = stack.pop()
                elif op == b"cm" and len(nums) == 6:
                    st.ctm = _mult(tuple(nums), st.ctm)  # type: ignore[arg-type]
                elif op == b"BT":
                    tm = tlm = _IDENTITY
                elif op == b"Tf" and len(operands) >= 2 and nums:
                    st.size = nums[-1]
                elif op == b"Tz" and nums:
                    st.scale = nums[0] / 100.0
                elif op == b"TL" and nums:
                    st.leading = nums[0]
                elif op == b"Ts" and nums:
                    st.rise = nums[0]
                elif op == b"Tr" and nums:
                    st.render = int(nums[0])
                elif op in (b"Td", b"TD") and len(nums) >= 2:
                    if op == b"TD":
                        st.leading = -nums[1]
                    tm = tlm = _mult((1.0, 0.0, 0.0, 1.0, nums[0], nums[1]), tlm)
                elif op == b"Tm" and len(nums) == 6:
                    tm = tlm = tuple(nums)  # type: ignore[assignment]
                elif op in (b"T*", b"'", b'"'):
                    tm = tlm = _mult((1.0, 0.0, 0.0, 1.0, 0.0, -st.leading), tlm)
                if op in _SHOW_OPS and operands:
                    kind = self._classify(st, tm, operands[-1])
                    if kind:
                        found[index] = kind
                elif op == b"g" and nums:
                    st.fill, st.fill_space = _rgb(nums[:1], "gray"), "gray"
                elif op == b"rg" and len(nums) >= 3:
                    st.fill, st.fill_space = _rgb(nums[:3], "rgb"), "rgb"
                elif op == b"k" and len(nums) >= 4:
                    st.fill, st.fill_space = _rgb(nums[:4], "cmyk"), "cmyk"
                elif op == b"G" and nums:
                    st.stroke = _rgb(nums[:1], "gray")
                elif op == b"RG" and len(nums) >= 3:
                    st.stroke = _rgb(nums[:3], "rgb")
                elif op == b"K" and len(nums) >= 4:
                    st.stroke = _rgb(nums[:4], "cmyk")
                elif op == b"cs" and operands:
                    st.fill_space = self._space(operands[0])
                    st.fill = (1.0, 1.0, 1.0) if st.fill_space == "separation" else (0.0, 0.0, 0.0)
                elif op in (b"sc", b"scn"):
                    st.fill = None if st.fill_space == "pattern" else _rgb(nums, st.fill_space)
                elif op in (b"SC", b"SCN"):
                    st.stroke = _rgb(nums, None)
                elif op == b"gs" and operands:
                    gs = _resolve(self.extgstates.get(operands[0])) if operands[0] in self.extgstates else None
                    if gs is not None:
                        if "/ca" in gs:
                            st.fill_alpha = float(gs["/ca"])
                        if "/CA" in gs:
                            st.stroke_alpha = float(gs["/CA"])
                elif op in (b"m", b"l") and len(nums) >= 2:
                    path.append(_apply(st.ctm, nums[0], nums[1]))
                elif op in (b"c", b"v", b"y"):
                    path.extend(_apply(st.ctm, nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2))
                elif op == b"re" and len(nums) == 4:
                    x, y, w, h = nums
                    path.extend(_apply(st.ctm, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)))
                elif op in (b"W", b"W*"):
                    st.clip = _box_of(path)
                elif op in _FILL_OPS:
                    if not _is_white(st.fill) and st.fill_alpha > 0.3:
                        self._paint(_box_of(path))
                    path = []
                elif op in (b"S", b"s", b"n"):
                    path = []
                elif op == b"sh":
                    self._paint(st.clip or self.box)
                elif op == b"Do" and operands:
                    self._xobject(operands[0], st)
                elif op == b"INLINE IMAGE":
                    self._paint(_box_of([_apply(st.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]))
            except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError):
                continue
        return found


def _text_operations(page: Any) -> list[tuple[Any, bytes]]:
    """The page's content operations with strings left as bytes, exactly as pypdf's text extraction parses them."""
    from pypdf.generic import ContentStream

    if "/Contents" not in page:
        return []
    contents = page["/Contents"].get_object()
    if not isinstance(contents, ContentStream):
        contents = ContentStream(contents, page.pdf, "bytes")
    return contents.operations


def _filtered_text(page: Any, operations: list[tuple[Any, bytes]], keep: set[int]) -> str:
    """The text pypdf extracts when only the text-showing operations in ``keep`` draw anything."""
    from pypdf import PageObject
    from pypdf.generic import ArrayObject, ContentStream, NameObject, TextStringObject

    ops: list[tuple[Any, bytes]] = []
    for index, (operands, op) in enumerate(operations):
        if op in _SHOW_OPS and index not in keep:
            if op == b"Tj":
                ops.append(([TextStringObject("")], b"Tj"))
            elif op == b"TJ":
                ops.append(([ArrayObject()], b"TJ"))
            else:
                ops.append(([], b"T*"))
        else:
            ops.append((operands, op))
    stream = ContentStream(None, page.pdf)
    stream.operations = ops
    shadow = PageObject(pdf=page.pdf)
    for key, value in page.items():
        if key != "/Contents":
            shadow[NameObject(key)] = value
    shadow[NameObject("/Contents")] = stream
    return shadow.extract_text(visitor_operand_before=lambda *_: None) or ""


def detect_hidden_text(page: Any, number: int) -> list[HiddenText]:
    """Best effort: text of a pypdf page drawn in white, in a tiny font (< 2 pt) or off the page.

    Never raises; returns ``[]`` when the page cannot be analysed. Quotes are cleaned like page text,
    one per line of hidden text.
    """
    try:
        operations = _text_operations(page)
        if not operations:
            return []
        if len(operations) > MAX_SCANNED_OPERATIONS:
            return []
        found = _HiddenScanner(page).scan(operations)
        out: list[HiddenText] = []
        seen: set[tuple[str, str]] = set()
        for kind in ("off_page", "white", "tiny"):
            keep = {i for i, k in found.items() if k == kind}
            if not keep:
                continue
            for line in clean_text(_filtered_text(page, operations, keep)).split("\n"):
                quote = line.strip()[:MAX_QUOTE_CHARS]
                if not any(c.isalnum() for c in quote) or (kind, quote) in seen:
                    continue
                seen.add((kind, quote))
                out.append(HiddenText(page=number, kind=kind, quote=quote))
                if len(out) >= MAX_HIDDEN_PER_PAGE:
                    return out
        return out
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - detection is best effort and must never fail extraction
        return []


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
# Extraction
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


def extract_pdf(
    source: Path | bytes,
    *,
    file_name: str | None = None,
    password: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
) -> ExtractedDocument:
    """Read a PDF (a path or its bytes) into cleaned page texts plus the hidden text found.

    Raises :class:`PdfError` (codes ``file_not_found``, ``file_unreadable``, ``pdf_too_large``,
    ``not_pdf``, ``pdf_corrupt``, ``pdf_encrypted``, ``pdf_no_text``, ``pdf_empty``) and nothing else
    for a bad file. Pages without usable text get ``""`` as long as one page has text.
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
    )
