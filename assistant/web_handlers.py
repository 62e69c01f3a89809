"""What the web app does, as plain functions with explicit arguments (testable without a browser).

Every handler takes the :class:`Viewer` (who is asking: username, role, candidate id) and checks access
itself: a candidate account only ever reaches its own candidate's documents and results, whatever the
page shows or hides. Errors are :class:`~assistant.errors.CoachError` with a French message.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.documents_store import check_candidate, load_results
from assistant.errors import AccessDenied, CoachError, ConfigError, GridError, PdfError, UsageError
from assistant.settings import Settings

AUTO_UNIT = "auto"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TABS_BY_ROLE = {
    "candidat": ("candidat",),
    "jury": ("jury",),
    "formateur": ("formateur",),
    "admin": ("candidat", "jury", "formateur"),
}
DEFAULT_LOCAL_CANDIDATE = "candidat-local"
Progress = Callable[[float, str], None]

# The CLI's hints ("--unit", "--password", "--juror") become the page's controls.
WEB_HINTS = {
    "unit_uncertain": "Dans l'application : choisissez l'unité dans la liste « Unité », puis relancez.",
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
    from assistant.users import get_user

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
        from assistant.users import load_users

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


# Uploads ---------------------------------------------------------------------------------------------
def check_upload(settings: Settings, path: str | Path | None) -> Path:
    """Refuse what is not a PDF or too large, before any work: extension, size, then the magic bytes."""
    if not path:
        raise UsageError("Aucun fichier reçu : choisissez un fichier PDF.", code="no_file")
    from ingestion.pdf import precheck_pdf

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise PdfError("not_pdf", f"Le fichier « {path.name} » n'est pas un PDF (extension "
                                  f"« {path.suffix or 'aucune'} »). Exportez votre document au format PDF "
                                  "(Fichier › Exporter › PDF) et renvoyez-le.")
    return precheck_pdf(path, max_bytes=settings.max_pdf_bytes)


def safe_name(original: str) -> str:
    """A file name made only of ASCII letters, digits, dots, dashes and underscores, ending in .pdf."""
    stem = Path(original or "").stem
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:60] or "document"
    return f"{stem}.pdf"


def store_upload(settings: Settings, candidate: str, source: Path) -> Path:
    """Copy an upload to ``uploads/<candidate>/<timestamp>-<random>/<safe name>.pdf`` (never the user's path)."""
    folder = settings.uploads_dir / check_candidate(candidate) / (
        f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}")
    folder.mkdir(parents=True, exist_ok=False)
    target = folder / safe_name(Path(source).name)
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return target


def _discard(stored: Path) -> None:
    shutil.rmtree(stored.parent, ignore_errors=True)


def unit_choices(coach) -> list[tuple[str, str]]:  # noqa: ANN001
    ref = coach.referentiel()
    return [("Détection automatique", AUTO_UNIT)] + [(f"Unité {u.id} — {u.title}", u.id) for u in ref.units]


def _unit(choice: str | None) -> str | None:
    return None if not choice or choice == AUTO_UNIT else choice


# Candidate -------------------------------------------------------------------------------------------
def assess_upload(coach, viewer: Viewer, file_path: str | Path | None, unit: str | None, candidate: str | None,  # noqa: ANN001
                  password: str | None = None, progress: Progress | None = None):  # noqa: ANN201
    """Check, store and assess an uploaded PDF for the candidate; returns the Assessment."""
    cand = candidate_scope(viewer, candidate)
    source = check_upload(coach.settings, file_path)
    stored = store_upload(coach.settings, cand, source)
    try:
        return coach.assess(stored, unit=_unit(unit), candidate=cand, password=password or None, progress=progress)
    except CoachError:
        _discard(stored)  # a file we could not read is not kept
        raise


def result_key(record: dict) -> str:
    a = record["assessment"]
    return f"{record['created_at']}|{a['document']['sha256'][:12]}|{a['unit']}"


def saved_reports(settings: Settings, viewer: Viewer, candidate: str | None) -> list[tuple[str, str]]:
    """The candidate's saved assessments, newest first, as (label, key) choices."""
    cand = candidate_scope(viewer, candidate)
    out = []
    for r in reversed(load_results(settings, cand)):
        a = r["assessment"]
        out.append((f"{r['created_at'][:16].replace('T', ' ')} — {a['document']['file']} — unité {a['unit']}",
                    result_key(r)))
    return out


def load_report(settings: Settings, viewer: Viewer, candidate: str | None, key: str | None = None):  # noqa: ANN201
    """A saved assessment of the candidate (the latest without ``key``)."""
    from assistant.assessment import Assessment
    from assistant.judging.base import IndicatorResult

    cand = candidate_scope(viewer, candidate)
    records = load_results(settings, cand)
    if key:
        records = [r for r in records if result_key(r) == key]
    if not records:
        raise UsageError(f"Aucune évaluation enregistrée pour le candidat {cand}.", code="no_results")
    record = records[-1]
    a = Assessment.model_validate(record["assessment"])
    return a.model_copy(update={
        "candidate": cand, "results": [IndicatorResult.model_validate(x) for x in record.get("results", [])],
        "judge": record.get("judge", "offline"), "prompt_version": record.get("prompt_version", ""),
    })


def draft_progress(settings: Settings, viewer: Viewer, candidate: str | None, unit: str):  # noqa: ANN201
    """Progress between the candidate's drafts of ``unit`` (None with fewer than two drafts)."""
    from assistant.progress import progress

    cand = candidate_scope(viewer, candidate)
    if len(load_results(settings, cand, unit)) < 2:
        return None
    return progress(settings, cand, unit)


def missing_by_indicator(coach, assessment) -> dict[str, str]:  # noqa: ANN001
    """What is missing for each partial / not evidenced indicator (from the judge's signals)."""
    from assistant.feedback import missing_clause
    from assistant.judging.hints import hint_for

    if not assessment.results:
        return {}
    ref = coach.referentiel(assessment.referentiel)
    out = {}
    for r in assessment.results:
        if r.verdict in {"partial", "not_evidenced"}:
            try:
                _, _, ind = ref.find(r.indicator_id)
            except CoachError:
                continue
            if ind is not None:
                out[r.indicator_id] = missing_clause(r, hint_for(ref, ind))
    return out


EXPORTS_MAX_AGE_S = 3600


def export_dir() -> Path:
    """A fresh private folder (0700) for files handed to the browser; gradio copies them to its own cache, so
    folders older than an hour are removed on the way."""
    import time

    root = Path(tempfile.gettempdir()) / "rncp-coach-exports"
    root.mkdir(mode=0o700, exist_ok=True)
    for old in root.iterdir():
        try:
            if time.time() - old.stat().st_mtime > EXPORTS_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return Path(tempfile.mkdtemp(dir=root))


def report_files(coach, viewer: Viewer, assessment, folder: Path | None = None) -> list[Path]:  # noqa: ANN001
    """The report as Markdown and PDF files."""
    from assistant.render import assessment_markdown
    from assistant.web_render import report_pdf

    if assessment.candidate:
        candidate_scope(viewer, assessment.candidate)
    else:
        require_role(viewer, "jury")
    folder = folder or export_dir()
    stem = f"retour-{Path(assessment.document.file).stem}-unite-{assessment.unit}"
    md = folder / f"{stem}.md"
    md.write_text(assessment_markdown(assessment) + "\n", encoding="utf-8")
    pdf = report_pdf(assessment, folder / f"{stem}.pdf", missing_by_indicator(coach, assessment))
    return [md, pdf]


# Chat ------------------------------------------------------------------------------------------------
def chat_session(coach, viewer: Viewer, role: str, candidate: str | None = None, assessment=None):  # noqa: ANN001, ANN201
    """A chat session for the viewer: the candidate's own (with their last assessment) or the trainer's."""
    from assistant.chat import ChatSession

    if role == "candidat":
        cand = candidate_scope(viewer, candidate)
        if assessment is not None and assessment.candidate and assessment.candidate != cand:
            raise AccessDenied("Accès refusé : ce retour appartient à un autre candidat.")
    else:
        require_role(viewer, role)
        cand = None
    session = ChatSession(coach, role=role, candidate=cand, read_files=False)
    if assessment is not None:
        session.attach_assessment(assessment)
    return session


def _folded(message: str) -> str:
    from assistant.french import fold

    return fold(message).strip()


def chat_stream(session, message: str) -> Iterator[str]:  # noqa: ANN001
    """The growing answer text. In the web app a document is assessed through the upload form only: the
    chat's ``/evaluer FILE`` command would read a path on the server, so it is refused here."""
    message = (message or "").strip()
    if not message:
        yield "Posez une question (par exemple : « Pourquoi 2.C3.I3 n'est-il pas validé ? »)."
        return
    if _folded(message).startswith("/evaluer"):
        yield ("Dans l'application, déposez votre livrable avec le formulaire « Évaluer mon livrable » : la "
               "commande /evaluer n'est pas disponible ici.")
        return
    yield from session.stream(message)


# Juror -----------------------------------------------------------------------------------------------
def jury_grids(settings: Settings, viewer: Viewer, candidate: str | None = None) -> list:
    from assistant.grid import list_grids

    require_role(viewer, "jury")
    return list_grids(settings, candidate=(check_candidate(candidate) if candidate else None))


def grid_choices(grids: list) -> list[tuple[str, str]]:
    from assistant.grid_export import when

    return [(f"{g.candidate} — unité {g.unit} — {g.file} — {when(g.created_at)}"
             + (" — signée" if g.status == "signed" else ""), g.id) for g in reversed(grids)]


def jury_prefill(coach, viewer: Viewer, file_path: str | Path | None, candidate: str | None,  # noqa: ANN001
                 unit: str | None = None, password: str | None = None, progress: Progress | None = None):  # noqa: ANN201
    """Assess an uploaded deliverable for the candidate and store the proposal as a new grid."""
    from assistant.grid import create_grid

    require_role(viewer, "jury")
    cand = candidate_scope(viewer, candidate)
    source = check_upload(coach.settings, file_path)
    stored = store_upload(coach.settings, cand, source)
    try:
        result = coach.assess(stored, unit=_unit(unit), candidate=cand, password=password or None, progress=progress)
    except CoachError:
        _discard(stored)
        raise
    title = coach.referentiel(result.referentiel).unit(result.unit).title
    return create_grid(coach.settings, result, unit_title=title)


def jury_grid(settings: Settings, viewer: Viewer, grid_id: str | None):  # noqa: ANN201
    from assistant.grid import get_grid

    require_role(viewer, "jury")
    if not grid_id:
        raise UsageError("Choisissez une grille dans la liste.", code="grid_required")
    return get_grid(settings, grid_id)


def grid_warnings(settings: Settings, viewer: Viewer, grid) -> list:  # noqa: ANN001
    """The warnings of the assessment behind the grid (suspicious instructions, hidden text...)."""
    from assistant.assessment import Warning

    require_role(viewer, "jury")
    for record in reversed(load_results(settings, grid.candidate, grid.unit)):
        if record["assessment"]["document"]["sha256"] == grid.sha256:
            return [Warning.model_validate(w) for w in record["assessment"].get("warnings", [])]
    return []


def _juror_name(juror: str | None) -> str:
    name = " ".join((juror or "").split())
    if not name:
        raise GridError("Nom du juré manquant : indiquez votre nom dans le champ « Juré » avant d'enregistrer.",
                        code="juror_required")
    return name


def jury_decide(settings: Settings, viewer: Viewer, grid_id: str, *, criterion: str, level: str | None,
                juror: str | None, comment: str | None = "", indicator: str | None = None,
                verdict: str | None = None):  # noqa: ANN201
    """Save one line's decision at once (a reload shows it); returns the grid."""
    from assistant.grid import decide

    require_role(viewer, "jury")
    if not level and not indicator:
        raise GridError("Niveau manquant : choisissez un niveau dans la liste « Décision ».", code="invalid_level")
    if indicator and not verdict:
        raise GridError("Verdict manquant : choisissez un verdict pour l'indicateur.", code="invalid_verdict")
    return decide(settings, grid_id, criterion=criterion, level=level or None, juror=_juror_name(juror),
                  comment=comment or "", indicator=indicator, verdict=verdict)


def jury_sign(settings: Settings, viewer: Viewer, grid_id: str, juror: str | None):  # noqa: ANN201
    from assistant.grid import sign

    require_role(viewer, "jury")
    return sign(settings, grid_id, _juror_name(juror))


def jury_export(settings: Settings, viewer: Viewer, grid_id: str, formats: tuple[str, ...] = ("xlsx", "pdf", "csv"),
                folder: Path | None = None) -> list[Path]:
    from assistant.grid import get_grid, history
    from assistant.grid_export import export_grid

    require_role(viewer, "jury")
    grid = get_grid(settings, grid_id)
    folder = folder or export_dir()
    events = history(settings, grid.id)
    return [export_grid(grid, fmt, folder / f"grille-{grid.candidate}-unite-{grid.unit}-{grid.id}.{fmt}",
                        events=events) for fmt in formats]


# Trainer ---------------------------------------------------------------------------------------------
def trainer_answer(coach, viewer: Viewer, question: str):  # noqa: ANN001, ANN201
    """A cited answer about the référentiel (qa.Answer): the citations shown beside the chat."""
    require_role(viewer, "formateur")
    return coach.ask(question)


def referentiel_view(coach, viewer: Viewer):  # noqa: ANN001, ANN201
    """The référentiel; anyone logged in may read it."""
    return coach.referentiel()
