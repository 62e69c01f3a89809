"""Progress between two drafts of the same unit: a weak plan, then an improved one, really assessed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import run

from assistant.assessment.progress import compare, progress, progress_text
from assistant.config.settings import Settings
from assistant.domain.errors import UsageError

CANDIDATE = "bernard-lea"


@pytest.fixture(scope="session")
def drafts_coach(tmp_path_factory: pytest.TempPathFactory, e5):
    """One coach, and the candidate's two drafts assessed once (weak, then improved)."""
    from grid_fixtures import STRONG_PLAN, WEAK_PLAN
    from pdf_fixtures import make_text_pdf

    from assistant.assessment.coach import Coach

    folder = tmp_path_factory.mktemp("drafts")
    coach = Coach(Settings(home=folder / "home"), embeddings=e5)
    weak = coach.assess(make_text_pdf(folder / "plan-v1.pdf", WEAK_PLAN), unit="2", candidate=CANDIDATE)
    strong = coach.assess(make_text_pdf(folder / "plan-v2.pdf", STRONG_PLAN), unit="2", candidate=CANDIDATE)
    return coach, weak, strong


def test_progress_between_a_weak_and_an_improved_draft(drafts_coach):
    coach, weak, strong = drafts_coach
    p = progress(coach.settings, CANDIDATE, "2")
    assert [d.file for d in p.drafts] == ["plan-v1.pdf", "plan-v2.pdf"] and len(p.steps) == 1
    assert p.overall == p.steps[0] and (p.overall.before, p.overall.after) == (1, 2)
    by_id = {i.id: i for i in p.overall.indicators}
    assert len(by_id) == 20
    before = {i.id: i.verdict for i in weak.indicators}
    after = {i.id: i.verdict for i in strong.indicators}
    rank = {"not_evidenced": 0, "partial": 1, "evidenced": 2}
    for iid, change in by_id.items():
        assert (change.before, change.after) == (before[iid], after[iid])
        if before[iid] == after[iid]:
            assert change.change == "unchanged"
        elif before[iid] in rank and after[iid] in rank:
            assert change.change == ("improved" if rank[after[iid]] > rank[before[iid]] else "regressed")
        else:
            assert change.change == "not_comparable"
    counts = p.overall.counts
    assert sum(counts.values()) == 20 and counts["improved"] >= 5 and counts["improved"] > counts["regressed"]
    # the quotes that newly support an improved indicator come from the improved draft
    improved = [i for i in by_id.values() if i.change == "improved" and i.quotes_added]
    assert improved
    strong_quotes = {e.quote for i in strong.indicators for e in i.evidence}
    assert all(q.quote in strong_quotes for i in improved for q in i.quotes_added)
    assert by_id["2.C1.I6"].change == "improved"  # "objectifs chiffrés" only in the second draft
    assert any(c.change == "improved" for c in p.overall.criteria)

    text = progress_text(p)
    assert f"Progression du candidat {CANDIDATE}, unité 2 : 2 versions" in text
    assert f"Version 1 → version 2 : {counts['improved']} indicateur(s) en progrès" in text
    assert "↑ 2.C1.I6" in text and "      + p. " in text


def test_compare_quotes_and_not_assessable():
    def assessment(verdict: str, quotes: list[str], level: str) -> dict:
        return {"indicators": [{"id": "2.C1.I1", "criterion_id": "2.C1", "text": "t", "verdict": verdict,
                                "evidence": [{"page": 1, "quote": q} for q in quotes]}],
                "criteria": [{"id": "2.C1", "title": "T", "level": level}]}

    c = compare(assessment("partial", ["Budget  de 15 000 €", "ancien"], "non_acquis"),
                assessment("partial", ["budget de 15 000 €", "nouveau"], "partiellement_acquis"), (1, 2))
    (ind,) = c.indicators
    assert ind.change == "unchanged" and [q.quote for q in ind.quotes_added] == ["nouveau"]
    assert [q.quote for q in ind.quotes_removed] == ["ancien"]  # spacing and case do not count as a change
    assert c.criteria[0].change == "improved"
    c = compare(assessment("evidenced", [], "acquis"), assessment("not_assessable", [], "a_evaluer"), (1, 2))
    assert c.indicators[0].change == "not_comparable" and c.criteria[0].change == "not_comparable"
    c = compare(assessment("evidenced", [], "acquis"), assessment("partial", [], "partiellement_acquis"), (1, 2))
    assert c.indicators[0].change == "regressed" and c.counts["regressed"] == 1


def test_fewer_than_two_drafts_is_a_clear_error(tmp_path):
    settings = Settings(home=tmp_path / "h")
    with pytest.raises(UsageError) as exc:
        progress(settings, "personne", "2")
    assert exc.value.code == "no_drafts" and exc.value.exit_code == 2 and "au moins 2" in exc.value.message



def test_cli_progress(capsys, monkeypatch, drafts_coach):
    coach, _, _ = drafts_coach
    code, _, err = run(capsys, "progress", "--candidate", CANDIDATE, "--unit", "2")
    assert code == 2 and err.startswith("[no_drafts]")  # the per-test home holds no draft
    monkeypatch.setenv("RNCP_COACH_HOME", str(coach.settings.home))
    code, out, _ = run(capsys, "progress", "--candidate", CANDIDATE, "--unit", "2")
    assert code == 0 and "Version 1 → version 2" in out
    code, out, _ = run(capsys, "progress", "--candidate", CANDIDATE, "--unit", "2", "--format", "json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"candidate", "unit", "drafts", "steps", "overall"}
    assert data["overall"]["counts"]["improved"] >= 5
    png = Path(coach.settings.home).parent / "progression.png"
    code, _, err = run(capsys, "progress", "--candidate", CANDIDATE, "--unit", "2", "--plot", str(png))
    assert code == 0 and "Image écrite" in err
    from PIL import Image

    with Image.open(png) as img:
        assert img.size[0] > 300 and img.size[1] > 200
        low, high = img.convert("L").getextrema()
    assert low < 60 and high > 200  # bars, counts and labels drawn on a white background
    code, _, err = run(capsys, "progress", "--candidate", CANDIDATE, "--unit", "3.1")
    assert code == 2 and err.startswith("[no_drafts]")
    code, _, err = run(capsys, "progress", "--candidate", "../x", "--unit", "2")
    assert code == 2 and err.startswith("[bad_candidate_id]")
    assert Path(coach.settings.home).is_dir()
