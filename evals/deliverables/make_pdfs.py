"""Render every eval deliverable source (``sources/*.md``) to ``pdf/<doc_id>.pdf``.

    python -m evals.deliverables.make_pdfs [--out DIR] [--strict] [DOC_ID ...]

Each ``<<<PAGEBREAK>>>``-separated section must fill exactly one PDF page, so that the page numbers in
``labels/<doc_id>.yaml`` stay true: a section that overflows onto an extra page, or one over the word
budget, is reported as a warning (``--strict`` turns warnings into a non-zero exit status). The
output is deterministic: the same source always gives a byte-identical PDF.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from evals.pdfgen import PAGEBREAK, parse_source, render_markdown_pdf_detailed, split_sections

HERE = Path(__file__).resolve().parent
SOURCES_DIR = HERE / "sources"
LABELS_DIR = HERE / "labels"
DEFAULT_OUT = HERE / "pdf"

FOOTER_PREFIX = "Dossier de certification — Chef de projet marketing & communication"
MAX_WORDS_PER_PAGE = 420
REQUIRED_META = ("unit", "candidate", "author", "title", "profile", "split")
PROFILES = {"strong", "weak", "mixed"}
SPLITS = {"dev", "heldout"}


@dataclass
class DocReport:
    doc_id: str
    pages: int = 0
    sections: int = 0
    warnings: list[str] = field(default_factory=list)


def doc_id_prefix(unit: str) -> str:
    return "u" + str(unit).replace(".", "_") + "-"


def _word_count(section: str) -> int:
    return sum(1 for w in section.split() if any(ch.isalnum() for ch in w))


def check_meta(doc_id: str, meta: dict) -> list[str]:
    problems = [f"missing front-matter key '{k}'" for k in REQUIRED_META if k not in meta]
    if meta.get("profile") not in PROFILES:
        problems.append(f"profile {meta.get('profile')!r} not in {sorted(PROFILES)}")
    if meta.get("split") not in SPLITS:
        problems.append(f"split {meta.get('split')!r} not in {sorted(SPLITS)}")
    if "unit" in meta and not doc_id.startswith(doc_id_prefix(meta["unit"])):
        problems.append(f"doc_id should start with '{doc_id_prefix(meta['unit'])}' for unit {meta['unit']}")
    return problems


def render_source(source: Path, out_dir: Path) -> DocReport:
    """Render one source to ``out_dir/<doc_id>.pdf`` and check its pagination."""
    doc_id = source.stem
    report = DocReport(doc_id)
    meta, body = parse_source(source)
    report.warnings += check_meta(doc_id, meta)

    sections = split_sections(body)
    report.sections = len(sections)
    for i, section in enumerate(sections, start=1):
        words = _word_count(section)
        if words > MAX_WORDS_PER_PAGE:
            report.warnings.append(f"section {i} has {words} words (> {MAX_WORDS_PER_PAGE})")

    author, title = str(meta.get("author", "")), str(meta.get("title", ""))
    header = " — ".join(x for x in (author, title) if x)
    result, _ = render_markdown_pdf_detailed(
        body, out_dir / f"{doc_id}.pdf", header=header, footer_prefix=FOOTER_PREFIX,
        meta_title=title, meta_author=author, columns=2 if meta.get("layout") == "two-column" else 1,
    )
    report.pages = result.pages

    # Section i must start on page i; a later start means the previous section spilled over.
    starts = result.section_start_pages + [result.pages + 1]
    for i in range(len(sections)):
        span = starts[i + 1] - starts[i]
        if span != 1:
            report.warnings.append(
                f"section {i + 1} spans {span} pages (starts p.{starts[i]}): labels' page numbers would be wrong"
            )
    if result.pages != len(sections):
        report.warnings.append(
            f"{result.pages} pages for {len(sections)} {PAGEBREAK}-separated sections"
        )
    if not (LABELS_DIR / f"{doc_id}.yaml").is_file():
        report.warnings.append(f"no label file labels/{doc_id}.yaml")
    return report


# Bad inputs and the error code each must produce (built by evals/pdf_fixtures.py).
BAD_INPUTS = {
    "bad-not-pdf.pdf": "not_pdf",
    "bad-corrupt.pdf": "pdf_corrupt",
    "bad-encrypted.pdf": "pdf_encrypted",
    "bad-scan.pdf": "pdf_no_text",
    "bad-blank.pdf": "pdf_empty",
    "bad-garbage.pdf": "pdf_empty",
    "bad-too-many-pages.pdf": "pdf_too_large",
}


def make_bad_inputs(out: Path) -> dict[Path, str]:
    """Write the bad inputs into ``out/bad/``; return {path: expected error code}."""
    from evals import pdf_fixtures as fx

    folder = out / "bad"
    folder.mkdir(parents=True, exist_ok=True)
    makers = {
        "bad-not-pdf.pdf": lambda p: fx.make_not_pdf(p, kind="docx"),
        "bad-corrupt.pdf": fx.make_corrupt_pdf,
        "bad-encrypted.pdf": lambda p: fx.make_encrypted_pdf(p, password="secret"),
        "bad-scan.pdf": fx.make_scanned_pdf,
        "bad-blank.pdf": fx.make_blank_pdf,
        "bad-garbage.pdf": fx.make_garbage_text_pdf,
        "bad-too-many-pages.pdf": lambda p: fx.make_many_pages_pdf(p, 250),
    }
    return {makers[name](folder / name): code for name, code in BAD_INPUTS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 on any warning")
    parser.add_argument("doc_ids", nargs="*", help="only these documents (default: all sources)")
    args = parser.parse_args(argv)

    sources = sorted(SOURCES_DIR.glob("*.md"))
    if args.doc_ids:
        wanted = set(args.doc_ids)
        missing = wanted - {s.stem for s in sources}
        if missing:
            parser.error(f"unknown doc ids: {', '.join(sorted(missing))}")
        sources = [s for s in sources if s.stem in wanted]
    if not sources:
        print(f"no sources in {SOURCES_DIR}", file=sys.stderr)
        return 1

    args.out.mkdir(parents=True, exist_ok=True)
    n_warnings = 0
    for source in sources:
        report = render_source(source, args.out)
        print(f"{report.doc_id}: {report.pages} page(s)")
        for w in report.warnings:
            print(f"WARNING {report.doc_id}: {w}", file=sys.stderr)
        n_warnings += len(report.warnings)
    print(f"{len(sources)} PDF(s) written to {args.out}" + (f", {n_warnings} warning(s)" if n_warnings else ""))
    if not args.doc_ids:
        bad = make_bad_inputs(args.out)
        print(f"{len(bad)} bad input(s) written to {args.out / 'bad'}")
    return 1 if (args.strict and n_warnings) else 0


if __name__ == "__main__":
    sys.exit(main())
