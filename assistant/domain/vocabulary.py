"""The closed vocabularies shared by assessment, grids, chat and UI, with their French labels."""

from __future__ import annotations

VERDICTS = ("evidenced", "partial", "not_evidenced", "not_assessable")
LEVELS = ("acquis", "partiellement_acquis", "non_acquis")
TO_ASSESS = "a_evaluer"

# The order of verdicts and of levels (higher is better); "not_assessable" and "a_evaluer" have no rank.
VERDICT_RANK = {"not_evidenced": 0, "partial": 1, "evidenced": 2}
LEVEL_RANK = {"non_acquis": 0, "partiellement_acquis": 1, "acquis": 2}

VERDICT_FR = {
    "evidenced": "démontré",
    "partial": "partiellement démontré",
    "not_evidenced": "non démontré",
    "not_assessable": "non évaluable à l'écrit",
}
# Shorter labels for badges and the candidate's report.
VERDICT_SHORT_FR = {
    "evidenced": "démontré",
    "partial": "partiel",
    "not_evidenced": "non démontré",
    "not_assessable": "non évaluable à l'écrit",
}
LEVEL_FR = {
    "acquis": "acquis",
    "partiellement_acquis": "partiellement acquis",
    "non_acquis": "non acquis",
    TO_ASSESS: "à évaluer par le jury",
}
CHANGE_FR = {"improved": "progrès", "regressed": "recul", "unchanged": "inchangé", "not_comparable": "non comparable"}
