"""The closed vocabularies shared by assessment, grids, chat and UI, with their French labels."""

from __future__ import annotations

VERDICTS = ("evidenced", "partial", "not_evidenced", "not_assessable")
LEVELS = ("acquis", "partiellement_acquis", "non_acquis")
TO_ASSESS = "a_evaluer"

VERDICT_FR = {
    "evidenced": "démontré",
    "partial": "partiellement démontré",
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
