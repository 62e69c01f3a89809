"""Hostile input: damaged, inflated and bomb PDFs, random bytes, and path-escaping names.

``extract_pdf`` must return a document or raise :class:`PdfError` with one of our codes — never another
exception — within a time and memory bound per document. Names with ``../``, ``..\\`` or absolute paths
never lead outside ``$RNCP_COACH_HOME`` (or the batch's output folder).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdf_fixtures import make_encrypted_pdf, text_pdf_bytes

from assistant.assessment.batch_files import candidate_id_from_name, result_name
from assistant.domain.candidates import check_candidate
from assistant.domain.errors import PdfError, UsageError
from ingestion.pdf.extract import extract_pdf

CODES = {"file_not_found", "file_unreadable", "pdf_too_large", "not_pdf", "pdf_corrupt", "pdf_encrypted",
         "pdf_no_text", "pdf_empty"}
MAX_SECONDS = 5.0
MAX_PEAK_BYTES = 300 * 1024 * 1024  # Python allocations while reading one document (tracemalloc)

_MARKDOWN = """# Plan de communication

## Objectifs

Augmenter la notoriété de **15 %** d'ici décembre 2025 auprès des 25-45 ans.

- campagne Instagram géolocalisée ;
- partenariats avec 12 restaurants.

| Poste | Montant | Part |
|---|---|---|
| Réseaux sociaux | 6 000 € | 40 % |
| Événements | 4 500 € | 30 % |

<<<PAGEBREAK>>>

## Suivi

Tableau de bord mensuel : ventes, abonnés, taux d'engagement.
"""


def _bases() -> list[bytes]:
    """Real PDFs of the three kinds the product meets: reportlab canvas, platypus (eval renderer), encrypted."""
    from evals.pdfgen import render_markdown_pdf_detailed

    _, rendered = render_markdown_pdf_detailed(_MARKDOWN, None, header="Camille Martin — Plan")
    with tempfile.TemporaryDirectory() as tmp:
        encrypted = make_encrypted_pdf(Path(tmp) / "e.pdf", password="").read_bytes()
    return [text_pdf_bytes(), rendered, encrypted]


BASES = _bases()


def check_extract(data: bytes, *, traced: bool = True, timed: bool = True) -> object:
    """Extract under the time and memory bounds; a document or one of our PdfError codes.

    Memory is measured with tracemalloc, which slows pypdf down several times on object-heavy files: for
    those, call once ``traced=False`` (time) and once ``timed=False`` (memory).
    """
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        return extract_pdf(data)
    except PdfError as err:
        assert err.code in CODES, err.code
        return err
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        if traced:
            tracemalloc.stop()
        assert not timed or elapsed < MAX_SECONDS, f"{elapsed:.1f} s"
        assert peak < MAX_PEAK_BYTES, f"{peak / 1e6:.0f} MB"


# Mutations ------------------------------------------------------------------------------------------
def truncate(data: bytes, at: float) -> bytes:
    return data[: int(len(data) * at)]


def flip(data: bytes, flips: list[tuple[float, int]]) -> bytes:
    out = bytearray(data)
    for at, value in flips:
        out[min(int(at * len(out)), len(out) - 1)] = value
    return bytes(out)


def recount(data: bytes, count: str) -> bytes:
    """Lie about the number of pages in every page-tree node."""
    return re.sub(rb"/Count\s+-?\d+", b"/Count " + count.encode(), data)


def resize(data: bytes, size: str) -> bytes:
    """Lie about the number of objects (trailer /Size and the xref subsection)."""
    data = re.sub(rb"/Size\s+\d+", b"/Size " + size.encode(), data)
    return re.sub(rb"xref\s+0\s+\d+", b"xref\n0 " + size.encode(), data, count=1)


def relength(data: bytes, length: str, which: int) -> bytes:
    """Declare a huge (or negative) length for one of the streams."""
    matches = list(re.finditer(rb"/Length\s+\d+", data))
    if not matches:
        return data
    m = matches[which % len(matches)]
    return data[: m.start()] + b"/Length " + length.encode() + data[m.end():]


_base = st.sampled_from(range(len(BASES))).map(lambda i: BASES[i])
_numbers = st.sampled_from(["0", "-1", "7", "10000", "999999999", "18446744073709551616", "1e9", "x"])
HOSTILE = st.one_of(
    st.builds(truncate, _base, st.floats(0.0, 1.0)),
    st.builds(flip, _base, st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), min_size=1, max_size=20)),
    st.builds(recount, _base, _numbers),
    st.builds(resize, _base, _numbers),
    st.builds(relength, _base, st.sampled_from(["99999999999", "2147483648", "75000001", "-5", "0"]),
              st.integers(0, 50)),
    st.builds(lambda d, c, s: resize(recount(d, c), s), _base, _numbers, _numbers),
    st.binary(max_size=4096),
    st.binary(max_size=4096).map(lambda b: b"%PDF-1.7\n" + b),
)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE)
def test_hostile_pdfs_give_a_document_or_one_of_our_errors(data: bytes):
    result = check_extract(data)
    if not isinstance(result, PdfError):
        assert result.page_count >= 1 and any(p.text for p in result.pages)
        from ingestion.chunking import chunk_document

        assert chunk_document(result)  # what is read can be chunked


def test_the_bases_are_real_readable_pdfs():
    for data in BASES:
        doc = check_extract(data)
        assert not isinstance(doc, PdfError) and doc.page_count >= 1


def test_a_lying_page_count_is_not_believed():
    for count in ("10000", "999999999"):
        result = check_extract(recount(BASES[0], count))
        assert isinstance(result, PdfError) or result.page_count == 3


# Size limits ----------------------------------------------------------------------------------------
def _ten_thousand_pages() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(10_000):
        writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_ten_thousand_pages_are_refused_quickly():
    data = _ten_thousand_pages()
    for result in (check_extract(data, traced=False), check_extract(data, timed=False)):
        assert isinstance(result, PdfError) and result.code == "pdf_too_large" and "10000 pages" in result.message


def one_page_pdf(content: bytes, *, filters: bytes = b"/FlateDecode") -> bytes:
    """A minimal one-page PDF whose content stream is ``content`` (already encoded with ``filters``)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), filters) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def deflate_repeated(unit: bytes, total: int) -> bytes:
    """zlib of ``unit`` repeated up to ``total`` bytes, built piece by piece (never ``total`` in memory)."""
    comp = zlib.compressobj(9)
    block = unit * max(1, (1 << 20) // len(unit))
    parts, done = [], 0
    while done < total:
        parts.append(comp.compress(block))
        done += len(block)
    parts.append(comp.flush())
    return b"".join(parts)


def test_the_one_page_builder_makes_a_readable_pdf():
    doc = check_extract(one_page_pdf(zlib.compress(b"BT /F1 12 Tf 72 720 Td (Objectifs chiffres du plan) Tj ET")))
    assert not isinstance(doc, PdfError) and "Objectifs chiffres du plan" in doc.text


def test_a_decompression_bomb_is_refused_within_bounds():
    bomb = deflate_repeated(b"\0", 400 * 1024 * 1024)  # 400 MB of zeros in ~400 KB
    assert len(bomb) < 1024 * 1024
    result = check_extract(one_page_pdf(bomb))  # bounded in time and memory (asserted inside)
    assert isinstance(result, PdfError) and result.code == "pdf_too_large" and result.pages == [1]
    text_bomb = deflate_repeated(b"BT /F1 12 Tf 72 720 Td (Objectifs) Tj ET\n", 200 * 1024 * 1024)
    result = check_extract(one_page_pdf(text_bomb))
    assert isinstance(result, PdfError) and result.code == "pdf_too_large"


def test_a_huge_declared_stream_length_is_bounded():
    data = one_page_pdf(zlib.compress(b"BT /F1 12 Tf 72 720 Td (Objectifs du plan) Tj ET"))
    for length in ("99999999999", "75000001"):
        result = check_extract(re.sub(rb"/Length \d+", b"/Length " + length.encode(), data))
        assert isinstance(result, PdfError) or "Objectifs du plan" in result.text


def test_a_stream_under_the_pypdf_limit_is_read_within_five_seconds(tmp_path):
    path = tmp_path / "lent.pdf"
    path.write_bytes(one_page_pdf(deflate_repeated(b"BT /F1 12 Tf 10 10 Td (Bonjour le monde) Tj ET\n",
                                                   4 * 1024 * 1024)))
    assert path.stat().st_size < 64 * 1024
    code = ("import sys\nfrom assistant.domain.errors import PdfError\nfrom ingestion.pdf.extract import extract_pdf\n"
            "try:\n    extract_pdf(sys.argv[1])\nexcept PdfError:\n    pass\n")
    start = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", code, str(path)], timeout=MAX_SECONDS + 2, check=True,
                       capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("still reading after the time limit")
    assert time.perf_counter() - start < MAX_SECONDS + 2


# Names ----------------------------------------------------------------------------------------------
HOSTILE_NAMES = ["../../etc/passwd.pdf", "/abs/x.pdf", "..\\x.pdf", "..\\..\\windows\\win.ini.pdf", "..", ".",
                 "a/../../b.pdf", "C:\\x.pdf", "~/x.pdf", "x\x00y.pdf", "%2e%2e%2fx.pdf", "..pdf", "...pdf", " "]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_candidate_ids_are_refused(name):
    for candidate in (name, name.removesuffix(".pdf")):
        if candidate in {"x.pdf"}:
            continue
        with pytest.raises(UsageError) as info:
            check_candidate(candidate)
        assert info.value.code == "bad_candidate_id"


def test_a_trailing_newline_is_not_a_valid_candidate_id():
    with pytest.raises(UsageError):
        check_candidate("dupont\n")


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_batch_ids_and_uploads_from_hostile_names_stay_home(name, tmp_path):
    from assistant.config.settings import Settings
    from assistant.interfaces.web.handlers import safe_name, store_upload

    home = tmp_path / "home"
    settings = Settings(home=home)
    cand = candidate_id_from_name(name)
    assert check_candidate(cand) == cand and "/" not in cand and "\\" not in cand and ".." not in cand
    for folder in (settings.results_dir, settings.uploads_dir, home / "session" / "resultats"):
        assert _inside(folder / cand / result_name(cand, "ab" * 32), folder)
        assert _inside(folder / result_name(cand, "ab" * 32), folder)
    assert "/" not in safe_name(name) and "\\" not in safe_name(name) and not safe_name(name).startswith(".")
    base = name.replace("\x00", "_").split("/")[-1]  # what can reach the server as an upload's file name
    if not base.strip(". "):
        base += "x"
    source = tmp_path / "src" / base
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(BASES[0])
    stored = store_upload(settings, cand, source)
    assert _inside(stored, settings.uploads_dir / cand)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=120))
def test_any_file_name_gives_a_valid_contained_candidate_id(name):
    cand = candidate_id_from_name(name)
    assert check_candidate(cand) == cand
    root = Path("/srv/rncp/results")
    assert (root / cand).resolve().parent == root
