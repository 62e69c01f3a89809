"""Find text a reader cannot see in a PDF page: tiny type, white or invisible text, text drawn off the page."""

from __future__ import annotations

import math
from typing import Any

from assistant.domain.documents import HiddenText
from ingestion.pdf.clean import clean_text

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
