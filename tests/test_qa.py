"""Trainer Q&A over the real référentiel, with the real default model."""

from __future__ import annotations

import pytest


def _first_ids(answer, n=3):
    return [c.indicator_id or c.criterion_id or c.unit for c in answer.citations[:n]]


def test_question_in_the_grid_words(indexed_coach):
    answer = indexed_coach.ask("Comment est évaluée la gestion de l'e-réputation ?")
    assert answer.found
    assert {c.unit for c in answer.citations[:3]} == {"3.3"}
    assert "3.3" in answer.answer
    for c in answer.citations:
        unit, crit, ind = indexed_coach.referentiel().find(c.indicator_id or c.criterion_id or c.unit)
        assert c.text in {ind.text if ind else None, crit.title if crit else None, *unit.deliverables,
                          *unit.activities, *unit.competencies, *unit.assessment_methods}


def test_question_about_deliverables_without_the_grid_words(indexed_coach):
    answer = indexed_coach.ask("Que doit remettre le candidat pour l'étude de marché ?")
    top = answer.citations[0]
    assert (top.unit, top.part) == ("1.1", "deliverables")
    assert top.text == "Une étude des tendances du secteur d'activité et du marché d'une entité cliente"


def test_question_about_providers(indexed_coach):
    answer = indexed_coach.ask("Qu'attend le jury sur le choix des prestataires ?")
    assert "2.C3.I3" in _first_ids(answer)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Combien d'unités compte le bloc 3 ?", ["3 unités", "3.1", "3.2", "3.3"]),
        ("combien de criteres pour l'unite 2 ?", ["4 critères"]),
        ("Combien d'indicateurs pour le budget prévisionnel ?", ["2.C3", "6 indicateurs"]),
        ("Combien de blocs et combien d'unités dans le référentiel ?", ["3 blocs", "6 unités"]),
        ("Quelles sont les modalités d'évaluation de l'unité 3.2 ?", ["Etude de cas", "Production écrite et/ou multimédias"]),
    ],
)
def test_structure_questions(indexed_coach, question, expected):
    answer = indexed_coach.ask(question)
    for text in expected:
        assert text in answer.answer


def test_no_match_is_said_honestly(indexed_coach):
    answer = indexed_coach.ask("Quelle est la capitale du Pérou ?")
    assert not answer.found and answer.citations == []
    assert "Je ne trouve rien" in answer.answer


def test_question_restricted_to_a_named_unit(indexed_coach):
    answer = indexed_coach.ask("Pour l'unité 3.1, qu'est-il attendu sur le calendrier ?")
    assert answer.citations and all(c.unit == "3.1" for c in answer.citations)
    assert {"3.1.C1.I5", "3.1.C2.I4"} & set(_first_ids(answer))


def test_metadata_filters_restrict_dense_and_lexical_search(indexed_coach):
    idx = indexed_coach.referentiel_index()
    hits = idx.search("budget prévisionnel et devis", k=10, unit="2", part="criteria")
    assert hits and all(h.passage.metadata["unit"] == "2" and h.passage.metadata["part"] == "criteria" for h in hits)
    delivs = idx.search("que remettre", k=5, part="deliverables")
    assert delivs and {h.passage.metadata["part"] for h in delivs} == {"deliverables"}
    assert idx.search("budget", unit="9") == []


def test_an_answer_cites_only_what_it_says(indexed_coach):
    """Every citation is named in the answer's text, once; nothing off-topic is listed beside it."""
    answer = indexed_coach.ask("Qu'attend le jury sur le choix des prestataires ?")
    ids = [c.indicator_id or c.criterion_id for c in answer.citations]
    assert ids[0] == "2.C3.I3" and len(ids) == len(set(ids))
    assert all(i in answer.answer for i in ids) and len(ids) <= 3
