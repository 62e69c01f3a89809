"""The ``rncp-coach`` command line: thin commands over the library functions.

Errors are printed as ``[code] message`` in French on stderr, with exit status 2 for usage errors
and 3 for bad input files.
"""

from __future__ import annotations

import contextlib
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from assistant.domain.errors import CoachError, UsageError
from assistant.interfaces import cli_common as common
from assistant.interfaces.cli_grid import grid_app

app = typer.Typer(
    name="rncp-coach",
    help="Assistant de certification RNCP : candidats, jurys et formateurs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
referentiel_app = typer.Typer(help="Consulter et importer des référentiels.", no_args_is_help=True)
app.add_typer(referentiel_app, name="referentiel")
app.add_typer(grid_app, name="grid")


# référentiel ---------------------------------------------------------------------------------------
@referentiel_app.command("show")
def referentiel_show(
    unit: Annotated[str | None, typer.Option("--unit", help="Une seule unité (ex. 2, 3.1).")] = None,
    fmt: Annotated[common.TextJsonYaml, typer.Option("--format")] = common.TextJsonYaml.text,
    referentiel: Annotated[str | None, typer.Option("--referentiel", help="Id du référentiel.")] = None,
) -> None:
    """Afficher le référentiel (ou une unité)."""
    from assistant.config.settings import Settings
    from assistant.knowledge.registry import get_referentiel

    ref = get_referentiel(Settings.from_env(), referentiel)
    if unit:
        ref.unit(unit)  # validates the id, with a clear error
    if fmt is common.TextJsonYaml.json:
        common.echo_json(ref.to_public_dict(unit))
        return
    if fmt is common.TextJsonYaml.yaml:
        import yaml

        typer.echo(yaml.safe_dump(ref.to_public_dict(unit), allow_unicode=True, sort_keys=False, width=100))
        return
    from assistant.exports.text import referentiel_text

    typer.echo(referentiel_text(ref, unit))


@referentiel_app.command("import")
def referentiel_import(file: Annotated[Path, typer.Argument(help="Fichier texte officiel ou YAML.")]) -> None:
    """Importer un référentiel (format texte officiel ou YAML)."""
    from assistant.config.settings import Settings
    from assistant.knowledge.registry import import_referentiel

    ref = import_referentiel(Settings.from_env(), file)
    c = ref.counts()
    typer.echo(
        f"Référentiel « {ref.title} » importé (id : {ref.id}) : {c['blocs']} blocs, {c['units']} unités, "
        f"{c['criteria']} critères, {c['indicators']} indicateurs."
    )
    typer.echo("Indexez-le pour les questions : rncp-coach index")


@referentiel_app.command("list")
def referentiel_list(fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text) -> None:
    """Lister les référentiels disponibles."""
    from assistant.config.settings import Settings
    from assistant.knowledge.registry import list_referentiels

    settings = Settings.from_env()
    refs = list_referentiels(settings)
    if fmt is common.TextJson.json:
        common.echo_json([{"id": r.id, "title": r.title, **r.counts(), "default": r.id == settings.referentiel}
                   for r in refs])
        return
    for r in refs:
        c = r.counts()
        mark = "*" if r.id == settings.referentiel else " "
        typer.echo(f"{mark} {r.id} — {r.title} ({c['units']} unités, {c['indicators']} indicateurs)")


# index / ask ---------------------------------------------------------------------------------------
@app.command("index")
def index(rebuild: Annotated[bool, typer.Option("--rebuild", help="Tout ré-indexer.")] = False) -> None:
    """Indexer les référentiels (et ré-indexer les documents avec --rebuild)."""
    coach = common.make_coach()
    report = coach.index(rebuild=rebuild)
    for name, n in report.items():
        typer.echo(f"{name} : {n} passages indexés")
    typer.echo(f"Modèle d'embeddings : {coach.store.model_id}")


SAMPLE_QUESTIONS = (
    "Comment est évaluée la gestion de l'e-réputation ?",
    "Que doit remettre le candidat pour l'étude de marché ?",
    "Combien d'unités compte le bloc 3 ?",
)


@app.command("ask")
def ask(
    question: Annotated[
        str | None, typer.Argument(help="La question, en français. Sans question : mode interactif.")
    ] = None,
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
    referentiel: Annotated[str | None, typer.Option("--referentiel")] = None,
) -> None:
    """Poser une question sur le référentiel (réponse citée, sans LLM)."""
    from assistant.exports.text import answer_text

    coach = common.make_coach()
    if question is not None:
        answer = coach.ask(question, referentiel=referentiel)
        typer.echo(json.dumps(answer.public(), ensure_ascii=False, indent=2) if fmt is common.TextJson.json
                   else answer_text(answer))
        return
    for sample in SAMPLE_QUESTIONS:
        typer.echo(f"\n» {sample}\n{answer_text(coach.ask(sample, referentiel=referentiel))}")
    typer.echo("\nPosez vos questions (ligne vide ou Ctrl-D pour quitter).")
    while True:
        try:
            line = input("\nQuestion > ").strip()
        except EOFError:
            break
        if not line or line in {"/quitter", "quit", "exit"}:
            break
        typer.echo(answer_text(coach.ask(line, referentiel=referentiel)))


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command("assess")
def assess(
    file: Annotated[Path, typer.Argument(help="Le PDF du livrable.")],
    unit: Annotated[str | None, typer.Option("--unit", help="L'unité évaluée (détectée si absente).")] = None,
    candidate: Annotated[str | None, typer.Option("--candidate", help="Conserver document et résultat.")] = None,
    password: Annotated[str | None, typer.Option("--password", help="Mot de passe du PDF protégé.")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.text,
    referentiel: Annotated[str | None, typer.Option("--referentiel")] = None,
    annotate: Annotated[Path | None, typer.Option(
        "--annotate", help="Écrire une copie du PDF où chaque citation est surlignée (couleur du verdict).")] = None,
) -> None:
    """Évaluer un livrable, indicateur par indicateur, avec citations et conseils."""
    from assistant.exports.text import assessment_markdown, assessment_text

    if annotate is not None and annotate.resolve() == file.resolve():
        raise UsageError("--annotate doit nommer un autre fichier que le PDF évalué (il ne sera jamais "
                         "modifié) : par ex. --annotate annote.pdf", code="annotate_same_file")
    coach = common.make_coach()
    result = coach.assess(file, unit=unit, candidate=candidate, password=password, referentiel=referentiel)
    if annotate is not None:
        from assistant.exports.annotate import annotate_pdf

        report = annotate_pdf(file, result, annotate, password=password)
        typer.echo(f"PDF annoté : {annotate} ({len({(p.page, p.quote) for p in report.placed})} surlignages"
                   + (f", {len(report.not_found)} citation(s) non localisée(s)" if report.not_found else "")
                   + ").", err=True)
    if fmt is ReportFormat.json:
        common.echo_json(result.public())
    elif fmt is ReportFormat.markdown:
        typer.echo(assessment_markdown(result))
    else:
        typer.echo(assessment_text(result))


@app.command("ingest")
def ingest(
    file: Annotated[Path, typer.Argument(help="Le PDF du livrable.")],
    candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")],
    password: Annotated[str | None, typer.Option("--password")] = None,
) -> None:
    """Indexer un document d'un candidat (sans l'évaluer)."""
    r = common.make_coach().ingest(file, candidate=candidate, password=password)
    typer.echo(f"{r['file']} ({r['pages']} pages, sha256 {r['sha256'][:12]}…) : {r['chunks']} passages, "
               f"{r['added']} nouveaux, pour le candidat {r['candidate']}.")


@app.command("forget")
def forget(candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")]) -> None:
    """Effacer tout ce qui est conservé sur un candidat (documents, passages, résultats)."""
    from assistant.records.grid import list_grids

    coach = common.make_coach()
    r = coach.forget(candidate)
    typer.echo(f"Candidat {r['candidate']} : {r['documents']} document(s), {r['chunks']} passage(s), "
               f"{r['results']} résultat(s) et {r['uploads']} fichier(s) déposé(s) effacés.")
    kept = list_grids(coach.settings, candidate=candidate)
    if kept:  # exam records: never erased
        typer.echo(f"Conservées (dossiers d'examen) : {len(kept)} grille(s) du jury — "
                   + ", ".join(f"{g.id} ({g.status})" for g in kept) + ".")


@app.command("backup")
def backup(
    target: Annotated[Path, typer.Argument(help="Fichier de sauvegarde à écrire (ex. grilles-2026-12-07.sqlite3).")],
) -> None:
    """Sauvegarder la base des grilles du jury (copie cohérente, même service en marche)."""
    from assistant.records.grid_store import backup as backup_grids

    r = backup_grids(common.settings(), target)
    typer.echo(f"Sauvegarde écrite : {r['file']} ({r['grids']} grille(s), {r['events']} événement(s) du journal).")


# stats / progress ------------------------------------------------------------------------------------
@app.command("stats")
def stats(
    unit: Annotated[str | None, typer.Option("--unit", help="Une seule unité.")] = None,
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Écrire une image PNG : proposition × décision par critère, avec le kappa.")] = None,
) -> None:
    """Accord entre l'outil et les jurys, sur les grilles signées."""
    from assistant.records.grid_stats import stats as grid_stats
    from assistant.records.grid_stats import stats_text

    s = grid_stats(common.settings(), unit=unit)
    if plot is not None:
        if plot.suffix.lower() != ".png":
            raise UsageError(f"--plot attend un fichier .png (reçu « {plot.name} »).", code="plot_not_png")
        from assistant.exports.charts import agreement_heatmap

        agreement_heatmap(s, plot)
        typer.echo(f"Image écrite : {plot}", err=True)
    typer.echo(s.model_dump_json(indent=2) if fmt is common.TextJson.json else stats_text(s))


@app.command("progress")
def progress(
    candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")],
    unit: Annotated[str, typer.Option("--unit", help="L'unité (ex. 2).")],
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Écrire une image PNG : démontrés / partiels / non démontrés par version.")] = None,
) -> None:
    """Comparer les versions successives d'un livrable évaluées pour un candidat."""
    from assistant.assessment.progress import progress as draft_progress
    from assistant.assessment.progress import progress_text

    if plot is not None and plot.suffix.lower() != ".png":
        raise UsageError(f"--plot attend un fichier .png (reçu « {plot.name} »).", code="plot_not_png")
    p = draft_progress(common.settings(), candidate, unit)
    if plot is not None:
        from assistant.exports.charts import progress_chart

        progress_chart(p, plot)
        typer.echo(f"Image écrite : {plot}", err=True)
    typer.echo(p.model_dump_json(indent=2) if fmt is common.TextJson.json else progress_text(p))


@app.command("chat")
def chat(
    role: Annotated[str, typer.Option("--role", help="candidat, jury ou formateur.")] = "candidat",
    candidate: Annotated[str | None, typer.Option("--candidate", help="Identifiant du candidat.")] = None,
) -> None:
    """Discuter avec l'assistant (/aide, /evaluer FICHIER UNITÉ — unité facultative —, /quitter)."""
    from assistant.domain.errors import UsageError
    from assistant.interfaces.chat import ROLES, ChatSession

    if role not in ROLES:
        raise UsageError(f"Rôle inconnu « {role} » : candidat, jury ou formateur.", code="bad_role")
    if candidate:
        from assistant.domain.candidates import check_candidate

        check_candidate(candidate)
    session = ChatSession(common.make_coach(), role=role, candidate=candidate)  # type: ignore[arg-type]
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - line editing and history
        typer.echo(f"Assistant RNCP — rôle {role}. Tapez /aide pour l'aide, /quitter pour sortir.")
    while True:
        try:
            line = input("vous > " if interactive else "")
        except EOFError:
            break
        line = line.strip()
        if not line:
            continue
        if line in {"/quitter", "/quit", "/exit"}:
            break
        shown = ""
        for text in session.stream(line):
            if interactive:
                typer.echo(text[len(shown):], nl=False)
            shown = text
        typer.echo("" if interactive else shown)


# web app / users (thin: see assistant/web.py and assistant/users.py) ------------------------------------
@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute (127.0.0.1 sans fichier d'utilisateurs).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port HTTP.")] = 7860,
) -> None:
    """Démarrer l'application web (onglets Candidat, Jury, Formateur)."""
    from assistant.config.settings import Settings
    from assistant.interfaces.web.handlers import check_host

    settings = Settings.from_env()
    check_host(settings, host)  # before loading anything
    from assistant.interfaces.web.app import launch

    typer.echo(f"Application web : http://{'localhost' if host in {'127.0.0.1', '::1'} else host}:{port}/ "
               "(Ctrl-C pour arrêter)")
    launch(settings, host=host, port=port, quiet=True)


session_app = typer.Typer(help="Session du jury : la feuille de session d'une unité.", no_args_is_help=True)
app.add_typer(session_app, name="session")


@session_app.command("sheet")
def session_sheet(
    unit: Annotated[str, typer.Option("--unit", help="L'unité (ex. 2).")],
    output: Annotated[Path, typer.Option("--output", help="Fichier .xlsx ou .pdf à écrire.")],
    batch: Annotated[Path | None, typer.Option("--batch", help="Seulement les candidats de ce dossier de session.")]
    = None,
) -> None:
    """Feuille de session : un candidat par ligne, la décision finale par critère, le juré et la date."""
    from assistant.exports.session_sheet import write_session_sheet

    settings = common.settings()
    title = ""
    with contextlib.suppress(Exception):
        from assistant.knowledge.registry import get_referentiel

        title = get_referentiel(settings, settings.referentiel).unit(unit).title
    path = write_session_sheet(settings, unit, output, batch=batch, unit_title=title)
    typer.echo(f"Feuille de session écrite : {path}")


@session_app.command("board")
def session_board_command(
    unit: Annotated[str, typer.Option("--unit", help="L'unité (ex. 2).")],
    batch: Annotated[Path | None, typer.Option("--batch", help="Seulement les candidats de ce dossier de session.")]
    = None,
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
) -> None:
    """Tableau de la session : statut, niveau par critère et alertes de chaque candidat."""
    from assistant.exports.session_sheet import board_rows, session_grids

    grids = session_grids(common.settings(), unit, batch)
    header, rows = board_rows(grids)
    if fmt is common.TextJson.json:
        common.echo_json([{"grid_id": g.id, **dict(zip(header, r, strict=True))}
                          for g, r in zip(grids, rows, strict=True)])
        return
    if not rows:
        typer.echo(f"Aucune grille pour l'unité {unit}.")
        return
    typer.echo(" | ".join(header))
    for g, r in zip(grids, rows, strict=True):
        typer.echo(" | ".join(r) + f"   [{g.id}]")


users_app = typer.Typer(help="Comptes de l'application web (fichier RNCP_COACH_USERS).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Nom d'utilisateur.")],
    role: Annotated[str, typer.Option("--role", help="candidat | jury | formateur | admin")],
    candidate: Annotated[str | None, typer.Option("--candidate", help="Identifiant du candidat (rôle candidat).")]
    = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Lire le mot de passe sur l'entrée "
                                                                            "standard.")] = False,
) -> None:
    """Créer (ou remplacer) un compte ; le mot de passe est demandé, jamais passé en argument."""
    import getpass

    from assistant.config.settings import Settings
    from assistant.domain.errors import ConfigError
    from assistant.records.users import add_user

    settings = Settings.from_env()
    if settings.users_file is None:
        raise ConfigError("RNCP_COACH_USERS n'est pas défini : indiquez le chemin du fichier des utilisateurs "
                          "(ex. export RNCP_COACH_USERS=~/rncp-users.json).", code="users_file_missing")
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Confirmez le mot de passe : ") != password:
            raise ConfigError("Les deux mots de passe diffèrent : recommencez.", code="password_mismatch")
    user = add_user(settings.users_file, username, role, password, candidate=candidate)
    extra = f", candidat {user.candidate}" if user.candidate else ""
    typer.echo(f"Compte « {user.username} » enregistré (rôle {user.role}{extra}) dans {settings.users_file}.")


# batch jury sessions (thin: see assistant/batch.py) -------------------------------------------------------
@app.command("assess-batch")
def assess_batch_command(
    folder: Annotated[Path, typer.Argument(help="Dossier des PDF des candidats.")],
    unit: Annotated[str, typer.Option("--unit", help="L'unité évaluée (ex. 2).")],
    workers: Annotated[int, typer.Option("--workers", min=1, help="Évaluations en parallèle.")] = 2,
    output: Annotated[Path | None, typer.Option("--output", help="Dossier des résultats (défaut : DOSSIER/resultats).")]
    = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="CSV « fichier;candidat ».")] = None,
    prefill_grids: Annotated[bool, typer.Option("--prefill-grids", help="Pré-remplir les grilles du jury.")] = False,
) -> None:
    """Évaluer tous les PDF d'un dossier (session du jury) : reprise possible, synthèse CSV."""
    from assistant.assessment.batch import assess_batch

    report = assess_batch(common.make_coach(), folder, unit, workers=workers, output=output, mapping_csv=mapping,
                          prefill_grids=prefill_grids)
    typer.echo(report.text())


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and translate our errors at the edge."""
    try:
        result = app(args=argv, standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except CoachError as exc:
        typer.echo(str(exc), err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("Interrompu.", err=True)
        sys.exit(1)
    except Exception as exc:
        # Usage errors and exits of the (vendored) click that typer runs on.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if hasattr(exc, "exit_code"):
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
