"""Who is asking the web app, and what they may do: the viewer (user, role, candidate), role checks, the
candidate a viewer may reach, the host check, and the French message of an error shown in the page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.config.settings import Settings
from assistant.domain.candidates import check_candidate
from assistant.domain.errors import AccessDenied, CoachError, ConfigError, UsageError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TABS_BY_ROLE = {
    "candidat": ("candidat",),
    "jury": ("jury",),
    "formateur": ("formateur",),
    "admin": ("candidat", "jury", "formateur"),
}
DEFAULT_LOCAL_CANDIDATE = "candidat-local"

# The CLI's hints ("--unit", "--password", "--juror") become the page's controls.
WEB_HINTS = {
    "unit_uncertain": "Choisissez l'unité parmi les hypothèses proposées ci-dessous (ou dans la liste « Unité »).",
    "pdf_encrypted": "Dans l'application : saisissez le mot de passe dans le champ « Mot de passe du PDF », "
                     "ou déposez une copie sans protection.",
    "grid_signed": "Dans l'application, une grille signée est en lecture seule.",
    "grid_incomplete": "Enregistrez une décision pour chacun de ces critères, puis signez.",
    "juror_required": "Indiquez votre nom dans le champ « Juré ».",
}



# Who is asking ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Viewer:
    username: str
    role: str  # candidat | jury | formateur | admin
    candidate: str | None = None
    single_user: bool = False

    @property
    def tabs(self) -> tuple[str, ...]:
        return TABS_BY_ROLE.get(self.role, ())


LOCAL_VIEWER = Viewer(username="local", role="admin", single_user=True)


def viewer_for(settings: Settings, username: str | None) -> Viewer:
    """The viewer behind a request: the logged-in user, or the local user in single-user mode."""
    if settings.users_file is None:
        return LOCAL_VIEWER
    from assistant.records.users import get_user

    user = get_user(settings.users_file, username)
    if user is None:
        raise AccessDenied("Session non authentifiée ou compte supprimé : reconnectez-vous.", code="not_logged_in")
    return Viewer(username=user.username, role=user.role, candidate=user.candidate)


def require_role(viewer: Viewer, *roles: str) -> None:
    if viewer.role != "admin" and viewer.role not in roles:
        raise AccessDenied(
            f"Accès refusé : cette fonction est réservée au rôle {' ou '.join(roles)} "
            f"(vous êtes connecté en tant que {viewer.role}).",
        )


def candidate_scope(viewer: Viewer, requested: str | None) -> str:
    """The candidate whose data the viewer may touch: their own for a candidate account (asking for
    another one is refused), the one asked for a juror or an administrator."""
    requested = (requested or "").strip()
    if viewer.role == "candidat":
        if requested and requested != viewer.candidate:
            raise AccessDenied(
                "Accès refusé : un compte candidat ne peut consulter que ses propres documents et résultats."
            )
        return check_candidate(viewer.candidate or "")
    require_role(viewer, "jury")
    if not requested:
        raise UsageError("Identifiant du candidat manquant : indiquez-le (ex. dupont-marie).",
                         code="candidate_required")
    return check_candidate(requested)


def check_host(settings: Settings, host: str) -> None:
    """Without a users file nobody logs in, so the app may only listen on this machine."""
    if settings.users_file is None and host not in LOCAL_HOSTS:
        raise ConfigError(
            f"Adresse d'écoute refusée « {host} » : sans fichier d'utilisateurs (RNCP_COACH_USERS), l'application "
            "est en mode mono-utilisateur et n'accepte que les connexions locales (--host 127.0.0.1). Pour l'ouvrir "
            "sur le réseau, créez des comptes avec « rncp-coach users add NOM --role R » et définissez "
            "RNCP_COACH_USERS.",
            code="single_user_local_only",
        )
    if settings.users_file is not None:
        from assistant.records.users import load_users

        if not load_users(settings.users_file):
            raise ConfigError(
                f"Aucun utilisateur dans « {settings.users_file} » : créez un compte avec "
                "« rncp-coach users add NOM --role R » avant de démarrer l'application.",
                code="no_users",
            )


_CLI = re.compile(r"\s--[a-z]|rncp-coach\s")


def message_of(exc: CoachError) -> tuple[str, str]:
    """(code, French message) for the page: sentences telling how to retry on the command line are replaced by
    what to do in the page."""
    message = exc.message
    hint = WEB_HINTS.get(exc.code)
    if hint:
        stripped = " ".join(x for x in re.split(r"(?<=\.)\s+", message) if not _CLI.search(x))
        message = f"{stripped} {hint}" if stripped else f"{message} {hint}"
    return exc.code, message
