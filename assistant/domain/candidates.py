"""Candidate ids: they become folder names, so they are validated before anything is stored."""

from __future__ import annotations

import re

from assistant.domain.errors import UsageError

_CANDIDATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_candidate(candidate: str) -> str:
    if not _CANDIDATE.fullmatch(candidate or "") or ".." in candidate:
        raise UsageError(
            f"Identifiant de candidat invalide « {candidate} » : utilisez 1 à 64 lettres, chiffres, points, "
            "tirets ou soulignés (ex. dupont-marie).",
            code="bad_candidate_id",
        )
    return candidate
