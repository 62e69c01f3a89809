"""The bundled référentiel parses to the official structure, with verbatim texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.config.settings import Settings
from assistant.domain.errors import NotFoundError, ReferentielFormatError
from assistant.knowledge.registry import import_referentiel, list_referentiels, load_referentiel_file
from ingestion.referentiel_text import parse_referentiel_text
from ingestion.referentiel_yaml import dump_referentiel_yaml, parse_referentiel_yaml

SEED = Path(__file__).parents[1] / "assistant" / "data" / "referentiel-chef-de-projet-marketing-communication.txt"


def test_counts(referentiel):
    assert referentiel.counts() == {"blocs": 3, "units": 6, "criteria": 17, "indicators": 89}
    per_unit = {u.id: (len(u.criteria), len(u.indicators)) for u in referentiel.units}
    assert per_unit == {"1.1": (2, 9), "1.2": (3, 17), "2": (4, 20), "3.1": (3, 22), "3.2": (2, 9), "3.3": (3, 12)}
    assert [b.id for b in referentiel.blocs] == ["1", "2", "3"]
    assert [u.id for u in referentiel.blocs[2].units] == ["3.1", "3.2", "3.3"]


def test_ids_are_stable_and_one_based(referentiel):
    unit = referentiel.unit("2")
    assert [c.id for c in unit.criteria] == ["2.C1", "2.C2", "2.C3", "2.C4"]
    assert unit.criterion("2.C3").indicators[3].id == "2.C3.I4"
    assert unit.criterion("2.C3").indicators[3].text == (
        "les critères de choix d'affectation budgétaire sont cohérents au regard des actions à mener "
        "et de leur ordre de priorité"
    )
    for u, c, i in referentiel.iter_indicators():
        assert re.fullmatch(rf"{re.escape(c.id)}\.I\d+", i.id)
        assert c.id.startswith(f"{u.id}.C")


def test_titles_and_blocs(referentiel):
    assert referentiel.title == "Chef de projet marketing & communication"
    assert referentiel.id == "chef-de-projet-marketing-communication"
    u = referentiel.unit("3.3")
    assert u.title == "Gestion de l'e-réputation et animation communautaire"
    assert u.bloc == "3"
    assert u.bloc_title.startswith("Pilotage de la mise en œuvre et évaluation des actions")
    assert referentiel.unit("2").criterion("2.C1").title == "Qualité du plan marketing/communication"


@pytest.mark.parametrize(
    ("ident", "text"),
    [
        ("2.C1.I6", "les objectifs poursuivis sont définis et quantifiés"),
        ("1.1.C2.I2", "l'analyse est juste au regard des informations et indicateurs collectés"),
        # the last indicator of a criterion that continues after a page break
        ("1.1.C2.I5", "les évolutions et tendances du marché, notamment en matière de pratiques de "
                      "consommation, sont correctement identifiées"),
        ("1.2.C3.I3", "la solution retenue est en adéquation avec la problématique du client"),
        ("1.2.C3.I4", "la solution retenue est la plus appropriée compte tenu des contraintes et ressources du client"),
        ("2.C3.I5", "les arbitrages sont judicieux et contribuent à la sécurisation et la préservation de la qualité du projet"),
        ("3.1.C3.I5", "les réunions d'équipe et de bilan permettent une prise de décision consensuelle"),
        ("3.2.C2.I2", "le niveau d'information du contenu rédactionnel/visuel/audiovisuel est adapté au format et au support"),
        ("3.3.C1.I4", "les contenus sont efficaces et contribuent à l'attractivité et la notoriété digitales de l'entité cliente"),
        ("3.3.C3.I3", "les données collectées sont restituables visuellement"),
    ],
)
def test_indicator_texts_verbatim(referentiel, ident, text):
    _, _, ind = referentiel.find(ident)
    assert ind is not None and ind.text == text


def test_sentences_cut_by_page_breaks_are_rejoined(referentiel):
    comp_12 = referentiel.unit("1.2").competencies
    assert any(
        c.endswith("en explicitant ses objectifs et son système de contraintes, afin de vérifier la justesse "
                   "de la première analyse produite") for c in comp_12
    )
    comp_2 = referentiel.unit("2").competencies
    assert any("afin de le présenter aux décideurs de l'entité cliente pour négociation et validation" in c
               for c in comp_2)
    comp_31 = referentiel.unit("3.1").competencies
    assert any("pour négocier" not in c and "financiers, afin de négocier et de contractualiser" in c
               for c in comp_31)
    comp_32 = referentiel.unit("3.2").competencies
    assert any("en collaboration avec des créatifs (graphistes, designers) et des experts techniques" in c
               for c in comp_32)
    assert referentiel.unit("3.1").activities[-1] == (
        "L'évaluation continue et finale des actions mises en œuvre et de leurs retombées pour l'entité cliente"
    )
    assert referentiel.unit("3.3").deliverables[-2:] == [
        "la charte de community management",
        "les indicateurs de mesure d'audience et de performance",
    ]


def test_no_markup_bullets_or_trailing_punctuation(referentiel):
    for unit in referentiel.units:
        texts = [unit.title, *unit.activities, *unit.competencies, *unit.deliverables, *unit.assessment_methods]
        for c in unit.criteria:
            texts += [c.title, *(i.text for i in c.indicators)]
        for t in texts:
            assert "<" not in t and ">" not in t, t
            assert "•" not in t and not t.startswith("-"), t
            assert not t.endswith((",", ".", ";")), t
            assert t == t.strip() and "  " not in t, t


def test_deliverables_and_methods(referentiel):
    u2 = referentiel.unit("2")
    assert u2.deliverables[0].startswith("Un plan de marketing/communication, sous la forme d'une recommandation")
    assert "le budget prévisionnel" in u2.deliverables
    assert u2.assessment_methods == [
        "Mise en situation professionnelle simulée fondée sur une étude de cas réel",
        "Travail collectif",
        "Production orale et écrite",
    ]
    assert referentiel.unit("1.1").assessment_methods == ["Etude de cas", "Travail individuel", "Production écrite"]
    assert referentiel.unit("1.1").deliverables == [
        "Une étude des tendances du secteur d'activité et du marché d'une entité cliente"
    ]


def test_yaml_round_trip(referentiel):
    text = dump_referentiel_yaml(referentiel)
    assert parse_referentiel_yaml(text) == referentiel


def test_yaml_error_reports_line(referentiel):
    text = dump_referentiel_yaml(referentiel)
    lines = text.splitlines()
    # Break the first indicator: remove its text field.
    n = next(i for i, line in enumerate(lines) if line.strip().startswith("- id: 1.1.C1.I1"))
    del lines[n + 1]
    with pytest.raises(ReferentielFormatError) as err:
        parse_referentiel_yaml("\n".join(lines))
    assert err.value.line == n + 1
    assert "text" in err.value.message and f"ligne {n + 1}" in err.value.message


def test_yaml_syntax_error_reports_line():
    with pytest.raises(ReferentielFormatError) as err:
        parse_referentiel_yaml("id: x\ntitle: [unclosed\nblocs: []\n")
    assert err.value.line is not None and err.value.line >= 2


def test_text_format_errors_have_lines():
    bad = "CERTIFICATION TEST\n\nA\tB\tC\n"
    with pytest.raises(ReferentielFormatError) as err:
        parse_referentiel_text(bad)
    assert err.value.line == 3 and "4 colonnes" in err.value.message
    with pytest.raises(ReferentielFormatError, match="aucune unité"):
        parse_referentiel_text("CERTIFICATION TEST\n")


def test_import_and_list(tmp_path, referentiel):
    settings = Settings(home=tmp_path / "home")
    other = referentiel.model_copy(update={"id": "autre-certif", "title": "Autre certification"})
    path = tmp_path / "autre.yaml"
    path.write_text(dump_referentiel_yaml(other), encoding="utf-8")
    imported = import_referentiel(settings, path)
    assert imported.id == "autre-certif"
    assert {r.id for r in list_referentiels(settings)} == {"autre-certif", referentiel.id}
    # the official text format imports too
    assert load_referentiel_file(SEED) == referentiel


def test_unknown_ids_are_clear_errors(referentiel):
    with pytest.raises(NotFoundError, match="Unités de ce référentiel"):
        referentiel.unit("4")
    with pytest.raises(NotFoundError) as err:
        referentiel.find("2.C9")
    assert err.value.code == "unknown_criterion"
