"""What the web app does, as plain functions with explicit arguments (testable without a browser).

Every handler takes the :class:`Viewer` (who is asking: username, role, candidate id) and checks access
itself: a candidate account only ever reaches its own candidate's documents and results, whatever the
page shows or hides. Errors are :class:`~assistant.domain.errors.CoachError` with a French message.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from assistant.assessment.documents_store import load_results
from assistant.config.settings import Settings
from assistant.domain.candidates import check_candidate
from assistant.domain.errors import AccessDenied, CoachError, ConfigError, GridError, PdfError, UsageError
from assistant.interfaces.web.access import (  # noqa: F401 - the handlers' API includes who is asking
    DEFAULT_LOCAL_CANDIDATE,
    LOCAL_HOSTS,
    LOCAL_VIEWER,
    TABS_BY_ROLE,
    WEB_HINTS,
    Viewer,
    candidate_scope,
    check_host,
    message_of,
    require_role,
    viewer_for,
)

log = logging.getLogger(__name__)

AUTO_UNIT = "auto"
Progress = Callable[[float, str], None]


# Uploads ---------------------------------------------------------------------------------------------
def check_upload(settings: Settings, path: str | Path | None) -> Path:
    """Refuse what is not a PDF or too large, before any work: extension, size, then the magic bytes."""
    if not path:
        raise UsageError("Aucun fichier reçu : choisissez un fichier PDF.", code="no_file")
    from ingestion.pdf.open import precheck_pdf

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
    from assistant.assessment.pipeline import Assessment
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
    from assistant.assessment.progress import progress

    cand = candidate_scope(viewer, candidate)
    if len(load_results(settings, cand, unit)) < 2:
        return None
    return progress(settings, cand, unit)


def missing_by_indicator(coach, assessment) -> dict[str, str]:  # noqa: ANN001
    """What is missing for each partial / not evidenced indicator (from the judge's signals)."""
    from assistant.assessment.feedback import missing_clause
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


def export_dir(settings: Settings) -> Path:
    """A fresh private folder for files handed to the browser, under ``RNCP_COACH_HOME/exports`` (0700,
    owned by this process's user, never through a symlink); gradio copies them to its own cache, so
    folders older than an hour are removed on the way."""
    import os
    import time

    root = settings.exports_dir
    root.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700)
    info = root.lstat()
    if root.is_symlink() or not root.is_dir() or info.st_uid != os.getuid():
        raise ConfigError(f"Dossier d'exports suspect ({root}) : ce doit être un dossier de l'utilisateur du "
                          "service, pas un lien. Supprimez-le, il sera recréé.", code="exports_unsafe")
    os.chmod(root, 0o700)
    for old in root.iterdir():
        try:
            if time.time() - old.lstat().st_mtime > EXPORTS_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return Path(tempfile.mkdtemp(dir=root))


PROGRESS_PNG = "progression.png"  # the drafts' chart, left beside the report files that embed it


def report_files(coach, viewer: Viewer, assessment, folder: Path | None = None, progress=None) -> list[Path]:  # noqa: ANN001
    """The report as Markdown and PDF files (and the annotated PDF); ``progress``, when the caller already
    has it, saves loading the drafts again. The drafts' chart is left beside them as ``PROGRESS_PNG``."""
    from assistant.exports.report_pdf import report_pdf
    from assistant.exports.text import assessment_markdown

    if assessment.candidate:
        candidate_scope(viewer, assessment.candidate)
    else:
        require_role(viewer, "jury")
    folder = folder or export_dir(coach.settings)
    stem = f"retour-{Path(assessment.document.file).stem}-unite-{assessment.unit}"
    md = folder / f"{stem}.md"
    md.write_text(assessment_markdown(assessment) + "\n", encoding="utf-8")
    chart = None
    if assessment.candidate:
        if progress is None:
            progress = draft_progress(coach.settings, viewer, assessment.candidate, assessment.unit)
        if progress is not None:
            from assistant.exports.charts import progress_chart

            chart = progress_chart(progress, folder / PROGRESS_PNG)
    pdf = report_pdf(assessment, folder / f"{stem}.pdf", missing_by_indicator(coach, assessment), chart=chart)
    files = [md, pdf]
    original = stored_original(coach.settings, assessment.candidate, assessment.document.sha256)
    if original is not None:
        from assistant.exports.annotate import annotate_pdf

        try:  # the candidate's own PDF with every quote highlighted on its page
            files.append(annotate_pdf(original, assessment, folder / f"{stem}-annote.pdf").path)
        except Exception:  # noqa: BLE001 - a protected file (no password kept): the report stays whole
            log.warning("annotated PDF not written for %s", assessment.document.file, exc_info=True)
    return files


@functools.lru_cache(maxsize=512)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """A stored upload's digest, computed once per file version (each quote click looks it up)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stored_original(settings: Settings, candidate: str | None, sha256: str) -> Path | None:
    """The candidate's stored upload with this content, if it is still kept (never a path a user typed)."""
    if not candidate:
        return None
    folder = settings.uploads_dir / check_candidate(candidate)
    for path in sorted(folder.glob("*/*.pdf"), reverse=True) if folder.is_dir() else []:
        info = path.stat()
        if _file_sha256(str(path), info.st_size, info.st_mtime_ns) == sha256:
            return path
    return None


# Chat ------------------------------------------------------------------------------------------------
def chat_session(coach, viewer: Viewer, role: str, candidate: str | None = None, assessment=None,  # noqa: ANN001, ANN201
                 *, inline_sources: bool = True):
    """A chat session for the viewer: the candidate's own (with their last assessment) or the trainer's."""
    from assistant.interfaces.chat import ChatSession

    if role == "candidat":
        cand = candidate_scope(viewer, candidate)
        if assessment is not None and assessment.candidate and assessment.candidate != cand:
            raise AccessDenied("Accès refusé : ce retour appartient à un autre candidat.")
    else:
        require_role(viewer, role)
        cand = None
    session = ChatSession(coach, role=role, candidate=cand, read_files=False, inline_sources=inline_sources)
    if assessment is not None:
        session.attach_assessment(assessment)
    return session


def _folded(message: str) -> str:
    from assistant.text.french import fold

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
    from assistant.records.grid import list_grids

    require_role(viewer, "jury")
    return list_grids(settings, candidate=(check_candidate(candidate) if candidate else None))


def _last_grids_file(settings: Settings) -> Path:
    return settings.home / "web-last-grids.json"


def remember_grid(settings: Settings, viewer: Viewer, grid_id: str) -> None:
    """Keep, per account, the grid opened last (a fresh browser reopens it). Grid ids only."""
    import json

    from assistant.config.files import atomic_write_text

    path = _last_grids_file(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        data = {}
    if data.get(viewer.username) != grid_id:
        data[viewer.username] = grid_id
        atomic_write_text(path, json.dumps(data, ensure_ascii=False))


def last_grid(settings: Settings, viewer: Viewer) -> str | None:
    import json

    try:
        return json.loads(_last_grids_file(settings).read_text(encoding="utf-8")).get(viewer.username)
    except (OSError, ValueError, AttributeError):
        return None


def grid_choices(grids: list) -> list[tuple[str, str]]:
    from assistant.exports.grid_export import when

    return [(f"{g.candidate} — unité {g.unit} — {g.file} — {when(g.created_at)}"
             + (" — signée" if g.status == "signed" else ""), g.id) for g in reversed(grids)]


def session_board(settings: Settings, viewer: Viewer, unit: str | None) -> tuple[list[str], list[list], list[str]]:
    """The session board of a unit (:func:`assistant.exports.session_sheet.board_rows`): (header, rows, grid
    ids in row order)."""
    from assistant.exports.session_sheet import board_rows, session_grids

    require_role(viewer, "jury")
    if not unit or unit == AUTO_UNIT:
        raise UsageError("Choisissez l'unité de la session.", code="unit_required")
    grids = session_grids(settings, unit)
    header, rows = board_rows(grids)
    return header, rows, [g.id for g in grids]


def agreement_view(settings: Settings, viewer: Viewer, unit: str | None):  # noqa: ANN201
    """The « Statistiques » view: (heatmap PNG path or None, summary text, disagreement rows)."""
    from assistant.domain.vocabulary import LEVEL_FR, VERDICT_FR
    from assistant.exports.charts import agreement_heatmap
    from assistant.records.grid_stats import stats

    require_role(viewer, "jury")
    s = stats(settings, unit=None if not unit or unit == AUTO_UNIT else unit)
    if not s.grids:
        return None, "Aucune grille signée pour l'instant : pas encore de statistiques d'accord.", []
    png = agreement_heatmap(s, export_dir(settings) / "accord.png")
    kappa = "—" if s.kappa is None else f"{s.kappa:.2f}"
    text = (f"{s.grids} grille(s) signée(s), {s.decisions} décisions sur les critères, kappa pondéré {kappa}"
            + (f" ; ne plus pré-remplir : {', '.join(s.do_not_prefill)}" if s.do_not_prefill else "") + ".")
    fr = {**LEVEL_FR, **VERDICT_FR}
    rows = [[d.grid_id, d.criterion_id, d.indicator_id or "—", fr.get(d.proposed, d.proposed),
             fr.get(d.decided, d.decided), d.comment] for d in s.disagreements]
    return png, text, rows


def jury_prefill(coach, viewer: Viewer, file_path: str | Path | None, candidate: str | None,  # noqa: ANN001
                 unit: str | None = None, password: str | None = None, progress: Progress | None = None):  # noqa: ANN201
    """Assess an uploaded deliverable for the candidate and store the proposal as a new grid."""
    from assistant.records.grid import create_grid

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
    from assistant.records.grid import get_grid

    require_role(viewer, "jury")
    if not grid_id:
        raise UsageError("Choisissez une grille dans la liste.", code="grid_required")
    return get_grid(settings, grid_id)


def grid_warnings(settings: Settings, viewer: Viewer, grid) -> list:  # noqa: ANN001
    """The warnings of the assessment behind the grid (suspicious instructions, hidden text...)."""
    from assistant.assessment.pipeline import Warning

    require_role(viewer, "jury")
    for record in reversed(load_results(settings, grid.candidate, grid.unit)):
        if record["assessment"]["document"]["sha256"] == grid.sha256:
            return [Warning.model_validate(w) for w in record["assessment"].get("warnings", [])]
    return []


def _juror_name(juror: str | None, settings: Settings | None = None, viewer: Viewer | None = None) -> str:
    """Who signs: with logins, the logged-in account (whatever was typed); alone, the typed name."""
    if settings is not None and settings.users_file is not None and viewer is not None:
        return viewer.username
    name = " ".join((juror or "").split())
    if not name:
        raise GridError("Nom du juré manquant : indiquez votre nom dans le champ « Juré » avant d'enregistrer.",
                        code="juror_required")
    return name


def jury_decide(settings: Settings, viewer: Viewer, grid_id: str, *, criterion: str, level: str | None,
                juror: str | None, comment: str | None = "", indicator: str | None = None,
                verdict: str | None = None):  # noqa: ANN201
    """Save one line's decision at once (a reload shows it); returns the grid."""
    from assistant.records.grid import decide

    require_role(viewer, "jury")
    if not level and not indicator:
        raise GridError("Niveau manquant : choisissez un niveau dans la liste « Décision ».", code="invalid_level")
    if indicator and not verdict:
        raise GridError("Verdict manquant : choisissez un verdict pour l'indicateur.", code="invalid_verdict")
    return decide(settings, grid_id, criterion=criterion, level=level or None,
                  juror=_juror_name(juror, settings, viewer),
                  comment=comment or "", indicator=indicator, verdict=verdict)


def jury_confirm_flagged(settings: Settings, viewer: Viewer, grid_id: str, *, criterion: str,
                         juror: str | None):  # noqa: ANN201
    """The juror has checked the indicators of a criterion that an instruction in the document bears on:
    each undecided one is recorded as decided, as proposed, with that statement (one event each)."""
    from assistant.records.grid import get_grid

    require_role(viewer, "jury")
    grid = get_grid(settings, grid_id)
    for ind in grid.indicators:
        if ind.criterion_id == criterion and ind.review == "instruction" and ind.decided is None:
            grid = jury_decide(settings, viewer, grid_id, criterion=criterion, level=None, juror=juror,
                               indicator=ind.item_id, verdict=ind.proposed,
                               comment="Vérifié par le jury (consigne détectée dans le document).")
    return grid


def jury_confirm_remaining(settings: Settings, viewer: Viewer, grid_id: str, juror: str | None):  # noqa: ANN201
    """« Confirmer les propositions restantes »: (grid, criteria confirmed)."""
    from assistant.records.grid import confirm_remaining

    require_role(viewer, "jury")
    return confirm_remaining(settings, grid_id, _juror_name(juror, settings, viewer))


def jury_comment_bank(settings: Settings, viewer: Viewer, criterion: str) -> list[str]:
    """The juror's earlier comments for this criterion (the logged-in account's, or everyone's alone)."""
    from assistant.records.grid import comment_bank

    require_role(viewer, "jury")
    juror = viewer.username if settings.users_file is not None else None
    return comment_bank(settings, juror, criterion)


def jury_sign(settings: Settings, viewer: Viewer, grid_id: str, juror: str | None):  # noqa: ANN201
    from assistant.records.grid import sign

    require_role(viewer, "jury")
    return sign(settings, grid_id, _juror_name(juror, settings, viewer))


def jury_export(settings: Settings, viewer: Viewer, grid_id: str, formats: tuple[str, ...] = ("xlsx", "pdf", "csv"),
                folder: Path | None = None) -> list[Path]:
    from assistant.exports.grid_export import export_grid
    from assistant.records.grid import get_grid, history

    require_role(viewer, "jury")
    grid = get_grid(settings, grid_id)
    folder = folder or export_dir(settings)
    events = history(settings, grid.id)
    files = [export_grid(grid, fmt, folder / f"grille-{grid.candidate}-unite-{grid.unit}-{grid.id}.{fmt}",
                         events=events) for fmt in formats]
    annotated = _annotated_for_grid(settings, grid, folder)
    return files + ([annotated] if annotated else [])


def _annotated_for_grid(settings: Settings, grid, folder: Path) -> Path | None:  # noqa: ANN001
    """The graded PDF with the quotes of the tool's proposal highlighted, when the upload is still kept."""
    from assistant.assessment.pipeline import Assessment
    from assistant.exports.annotate import annotate_pdf

    original = stored_original(settings, grid.candidate, grid.sha256)
    record = next((r for r in reversed(load_results(settings, grid.candidate, grid.unit))
                   if r["assessment"]["document"]["sha256"] == grid.sha256), None)
    if original is None or record is None:
        return None
    try:
        assessment = Assessment.model_validate(record["assessment"])
        out = folder / f"livrable-{grid.candidate}-unite-{grid.unit}-{grid.id}-annote.pdf"
        return annotate_pdf(original, assessment, out).path
    except Exception:  # noqa: BLE001 - a protected file (no password kept): the grid exports stay whole
        log.warning("annotated PDF not written for grid %s", grid.id, exc_info=True)
        return None


# Trainer ---------------------------------------------------------------------------------------------
def trainer_answer(coach, viewer: Viewer, question: str):  # noqa: ANN001, ANN201
    """A cited answer about the référentiel (qa.Answer): the citations shown beside the chat."""
    require_role(viewer, "formateur")
    return coach.ask(question)


def referentiel_view(coach, viewer: Viewer):  # noqa: ANN001, ANN201
    """The référentiel; anyone logged in may read it."""
    return coach.referentiel()


# Evidence viewer -------------------------------------------------------------------------------------
def evidence_page(settings: Settings, viewer: Viewer, request: str, *, assessment=None, grid=None):  # noqa: ANN001, ANN201
    """The page a clicked quote sits on, rendered with the quote highlighted: (image, caption).

    ``request`` is what the page sends: « candidat|2.C1.I6|0 » (a quote of the candidate's report) or
    « jury|2.C1.I6|0 » (a quote of the open grid)."""
    from assistant.exports.annotate import page_image

    try:
        scope, ident, n = (request or "").split("|")[:3]
        index = int(n)
    except ValueError as exc:
        raise UsageError("Citation inconnue : cliquez sur une citation du rapport.", code="bad_quote") from exc
    if scope == "jury":
        require_role(viewer, "jury")
        if grid is None:
            raise UsageError("Ouvrez d'abord une grille.", code="grid_required")
        line = grid.line(ident)
        evidence = [(e["page"], e["quote"]) for e in line.evidence] if line else []
        verdict, candidate, sha256 = (line.proposed if line else ""), grid.candidate, grid.sha256
    else:
        if assessment is None:
            raise UsageError("Évaluez d'abord un livrable.", code="assessment_required")
        candidate = candidate_scope(viewer, assessment.candidate)
        ind = next((i for i in assessment.indicators if i.id == ident), None)
        evidence = [(e.page, e.quote) for e in ind.evidence] if ind else []
        verdict, sha256 = (ind.verdict if ind else ""), assessment.document.sha256
    if not 0 <= index < len(evidence):
        raise UsageError("Citation inconnue : cliquez sur une citation du rapport.", code="bad_quote")
    original = stored_original(settings, candidate, sha256)
    if original is None:
        raise UsageError("Le PDF de ce livrable n'est plus conservé : la page ne peut pas être affichée.",
                         code="document_gone")
    page, quote = evidence[index]
    image, found = page_image(original, page, quote, verdict=verdict)
    caption = f"{ident} — p. {page} : « {quote} »" + ("" if found else " (passage non localisé sur la page)")
    return image, caption
