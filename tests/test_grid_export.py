"""Grid exports read back with their own readers: csv, openpyxl, pypdf, json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assistant.config.settings import Settings
from assistant.domain.errors import GridError
from assistant.exports.grid_export import COLUMNS, export_grid, grid_text, history_text
from assistant.records.grid import create_grid, decide, get_grid, history, sign

COMMENT = "Très bien ; œuvre « argumentée », budget à 15 000 €"


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def make_grid(settings: Settings, *, signed: bool):
    from grid_fixtures import synthetic_assessment

    g = create_grid(settings, synthetic_assessment("dupont-elise", file="plan été.pdf"),
                    unit_title="Conception du plan marketing/communication de l'entité cliente")
    decide(settings, g.id, criterion="2.C1", level="acquis", juror="Claire Juré", comment=COMMENT,
           indicator="2.C1.I6", verdict="evidenced")
    for crit in ("2.C2", "2.C3", "2.C4"):
        decide(settings, g.id, criterion=crit, level="partiellement_acquis", juror="Paul Pair", comment="")
    if signed:
        sign(settings, g.id, "Claire Juré")
    return get_grid(settings, g.id)


def test_csv_has_a_bom_semicolons_and_every_line(settings, tmp_path):
    grid = make_grid(settings, signed=True)
    path = export_grid(grid, "csv", tmp_path / "out" / "grille.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert tuple(rows[0]) == COLUMNS == ("id", "intitulé", "proposition", "décision", "commentaire", "juré", "date")
    body = rows[1:]
    assert len(body) == 24 and [r[0] for r in body[:4]] == ["2.C1", "2.C2", "2.C3", "2.C4"]
    c1 = dict(zip(COLUMNS, body[0], strict=True))
    assert c1["intitulé"] == "Qualité du plan marketing/communication"
    assert (c1["proposition"], c1["décision"], c1["commentaire"], c1["juré"]) == (
        "partiellement acquis", "acquis", COMMENT, "Claire Juré")
    assert c1["date"].endswith(" UTC") and len(c1["date"]) == 20
    i6 = next(dict(zip(COLUMNS, r, strict=True)) for r in body if r[0] == "2.C1.I6")
    assert (i6["proposition"], i6["décision"]) == ("partiellement démontré", "démontré")
    assert all(r[3] for r in body)  # signed: every line decided
    assert not list(path.parent.glob(".tmp-*"))


def test_xlsx_sheet_header_frozen_widths_and_rows(settings, tmp_path):
    from openpyxl import load_workbook

    grid = make_grid(settings, signed=True)
    path = export_grid(grid, "xlsx", tmp_path / "grille.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [f"Grille {grid.id}"]
    ws = wb.active
    assert ws["A1"].value == "Candidat" and ws["B1"].value == grid.candidate and ws["A1"].font.bold
    assert ws["B2"].value.startswith("2 Conception du plan") and grid.sha256[:12] in ws["B3"].value
    assert ws["B4"].value.startswith("signée par Claire Juré")
    header = [c.value for c in ws[6]]
    assert tuple(header) == COLUMNS and all(c.font.bold for c in ws[6])
    assert ws.freeze_panes == "A7"
    assert ws.column_dimensions["B"].width >= 50 and ws.column_dimensions["E"].width >= 40
    assert ws.column_dimensions["A"].width >= 10
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=7)]
    assert len(data) == 24 and data[0][:5] == ["2.C1", "Qualité du plan marketing/communication",
                                               "partiellement acquis", "acquis", COMMENT]
    assert [r[0] for r in data[4:6]] == ["2.C1.I1", "2.C1.I2"]
    assert ws["B7"].alignment.wrap_text


def test_pdf_jury_sheet(settings, tmp_path):
    from pypdf import PdfReader

    grid = make_grid(settings, signed=True)
    path = export_grid(grid, "pdf", tmp_path / "grille.pdf")
    reader = PdfReader(path)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    for expected in (
        "Grille d'évaluation du jury", f"Candidat : {grid.candidate}", "Unité 2 — Conception du plan",
        "plan été.pdf", grid.sha256[:12], "Jurés : Claire Juré, Paul Pair", "Statut : signée par Claire Juré",
        "Qualité du plan marketing/communication", "partiellement acquis", "Très bien", "œuvre",
        "Signature du jury", "Indicateurs", "2.C1.I6",
    ):
        assert expected in text, expected
    sig = text[text.index("Signature du jury"):]
    assert "Claire Juré" in sig and "Paul Pair" in sig and grid.signed_at[:10] in sig and "signataire" in sig
    assert reader.metadata.title == f"Grille {grid.id}"


def test_pdf_of_an_open_grid_says_not_signed(settings, tmp_path):
    from pypdf import PdfReader

    grid = make_grid(settings, signed=False)
    text = " ".join((p.extract_text() or "") for p in PdfReader(export_grid(grid, "pdf", tmp_path / "g.pdf")).pages)
    assert "Statut : non signée" in " ".join(text.split())


def test_json_export_with_history(settings, tmp_path):
    grid = make_grid(settings, signed=True)
    path = export_grid(grid, "json", tmp_path / "grille.json", events=history(settings, grid.id))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["id"] == grid.id and data["status"] == "signed" and data["signed_by"] == "Claire Juré"
    assert len(data["lines"]) == 24 and data["lines"][0]["comment"] == COMMENT
    assert data["lines"][4]["evidence"] == [{"page": 1, "quote": "Citation pour 2.C1.I1"}]
    assert [e["action"] for e in data["history"]][:2] == ["prefill", "decide"]
    assert data["history"][-1]["action"] == "sign"


def test_writes_are_atomic(settings, tmp_path, monkeypatch):
    grid = make_grid(settings, signed=False)
    target = tmp_path / "grille.pdf"
    target.write_bytes(b"previous version")

    def broken(grid, path):  # noqa: ANN001
        Path(path).write_bytes(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr("assistant.exports.grid_export.write_pdf", broken)
    with pytest.raises(RuntimeError):
        export_grid(grid, "pdf", target)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
    with pytest.raises(GridError) as exc:
        export_grid(grid, "docx", tmp_path / "g.docx")
    assert exc.value.code == "invalid_format" and "csv, xlsx, pdf, json" in exc.value.message


def test_text_views(settings):
    grid = make_grid(settings, signed=True)
    text = grid_text(grid)
    assert f"Grille {grid.id}" in text and "Statut : signée par Claire Juré" in text
    assert "proposé : partiellement acquis — décision : acquis (Claire Juré)" in text
    assert f"commentaire : {COMMENT}" in text and "2.C1.I6 partiellement démontré → démontré" in text
    log = history_text(history(settings, grid.id))
    assert "rncp-coach : pré-remplissage" in log and "Claire Juré : décision 2.C1 — → acquis" in log and "2.C1.I6 — → démontré" in log
    assert log.splitlines()[-1].endswith("Claire Juré : signature")
    assert "(4 critères, 20 indicateurs)" in log.splitlines()[0]


FORMULA = '=HYPERLINK("http://exemple.invalid","clic")'


@pytest.mark.parametrize("comment", [FORMULA, "+33 6 12", "-1+2", "@SUM(A1)", "\t=1+1"])
def test_a_comment_never_becomes_a_spreadsheet_formula(settings, tmp_path, comment):
    from grid_fixtures import synthetic_assessment
    from openpyxl import load_workbook

    g = create_grid(settings, synthetic_assessment("dupont-elise", file="plan.pdf"), unit_title="Unité 2")
    decide(settings, g.id, criterion="2.C1", level="acquis", juror="Claire Juré", comment=comment)
    grid = get_grid(settings, g.id)
    comment = grid.line("2.C1").comment  # as stored (trimmed)
    csv_path = export_grid(grid, "csv", tmp_path / "grille.csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        c1 = next(r for r in csv.reader(fh, delimiter=";") if r[0] == "2.C1")
    assert c1[4] == "'" + comment  # quoted: read as text
    xlsx = export_grid(grid, "xlsx", tmp_path / "grille.xlsx")
    ws = load_workbook(xlsx).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value == comment]
    assert cells and all(c.data_type == "s" for c in cells)  # a string cell, not a formula
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
