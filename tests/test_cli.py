"""The CLI contract, driven in-process: output, JSON shapes, error codes and exit statuses."""

from __future__ import annotations

import json

import pytest
from cli_runner import run


def test_referentiel_show_json_contract(capsys):
    code, out, _ = run(capsys, "referentiel", "show", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"id", "title", "units"}
    assert [u["id"] for u in data["units"]] == ["1.1", "1.2", "2", "3.1", "3.2", "3.3"]
    unit = data["units"][2]
    assert set(unit) == {"id", "bloc", "bloc_title", "title", "activities", "competencies", "deliverables",
                         "assessment_methods", "criteria"}
    assert unit["criteria"][0]["indicators"][5] == {"id": "2.C1.I6", "text": "les objectifs poursuivis sont définis et quantifiés"}


def test_referentiel_show_one_unit_text_and_yaml(capsys):
    code, out, _ = run(capsys, "referentiel", "show", "--unit", "3.3")
    assert code == 0 and "Unité 3.3 — Gestion de l'e-réputation" in out and "Unité 2 " not in out
    code, out, _ = run(capsys, "referentiel", "show", "--unit", "1.1", "--format", "yaml")
    assert code == 0 and "1.1.C2.I5" in out


def test_unknown_unit_is_a_usage_error(capsys):
    code, _, err = run(capsys, "referentiel", "show", "--unit", "9")
    assert code == 2 and err.startswith("[unknown_unit]") and "Unités de ce référentiel" in err


def test_bad_option_is_a_usage_error(capsys):
    code, _, _ = run(capsys, "referentiel", "show", "--format", "xml")
    assert code == 2


def test_import_bad_file_exit_3(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: y\nblocs:\n  - id: 1\n    units: []\n", encoding="utf-8")
    code, _, err = run(capsys, "referentiel", "import", str(bad))
    assert code == 3 and err.startswith("[referentiel_invalid]") and "ligne" in err
    code, _, err = run(capsys, "referentiel", "import", str(tmp_path / "missing.txt"))
    assert code == 3 and err.startswith("[file_not_found]")


def test_import_then_list(capsys, tmp_path):
    code, out, _ = run(capsys, "referentiel", "show", "--format", "yaml")
    src = tmp_path / "copy.yaml"
    # re-import the YAML export of the full model (the show YAML is the public shape, not the model)
    from assistant.knowledge.registry import bundled_referentiel
    from ingestion.referentiel_yaml import dump_referentiel_yaml

    other = bundled_referentiel().model_copy(update={"id": "copie", "title": "Copie"})
    src.write_text(dump_referentiel_yaml(other), encoding="utf-8")
    code, out, _ = run(capsys, "referentiel", "import", str(src))
    assert code == 0 and "id : copie" in out and "89 indicateurs" in out
    code, out, _ = run(capsys, "referentiel", "list", "--format", "json")
    assert {r["id"] for r in json.loads(out)} == {"copie", "chef-de-projet-marketing-communication"}


@pytest.mark.slow
def test_index_and_ask_json(capsys):
    code, out, _ = run(capsys, "index")
    assert code == 0 and "passages indexés" in out
    code, out, _ = run(capsys, "ask", "Les objectifs du plan doivent-ils être chiffrés ?", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"answer", "citations"}
    assert set(data["citations"][0]) == {"unit", "criterion_id", "indicator_id", "part", "text"}
    assert any(c["indicator_id"] == "2.C1.I6" for c in data["citations"][:3])
    code, out, _ = run(capsys, "ask", "Comment est évaluée la gestion de l'e-réputation ?")
    assert code == 0 and "Sources :" in out and "[3.3." in out


def test_store_model_mismatch_exit_code(capsys, monkeypatch):
    assert run(capsys, "index")[0] == 0
    monkeypatch.setenv("RNCP_COACH_EMBEDDINGS", "minilm")
    code, _, err = run(capsys, "ask", "budget")
    assert code == 2 and err.startswith("[store_model_mismatch]") and "index --rebuild" in err


@pytest.mark.parametrize("ident", ["../../x", "a/b", "Majuscule", "-tiret", "a" * 65, "point.yaml"])
def test_import_refuses_an_unsafe_referentiel_id_and_writes_nothing(capsys, tmp_path, ident):
    from assistant.config.settings import Settings
    from assistant.knowledge.registry import bundled_referentiel
    from ingestion.referentiel_yaml import dump_referentiel_yaml

    src = tmp_path / "ref.yaml"
    src.write_text(dump_referentiel_yaml(bundled_referentiel()).replace(
        "id: chef-de-projet-marketing-communication", f"id: '{ident}'", 1), encoding="utf-8")
    code, _, err = run(capsys, "referentiel", "import", str(src))
    assert code == 3 and err.startswith("[referentiel_invalid]")
    home = Settings.from_env().home
    assert not any(home.rglob("*.yaml")) if home.exists() else True
