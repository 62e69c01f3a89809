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

from assistant.errors import CoachError

app = typer.Typer(
    name="rncp-coach",
    help="Assistant de certification RNCP : candidats, jurys et formateurs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
referentiel_app = typer.Typer(help="Consulter et importer des référentiels.", no_args_is_help=True)
app.add_typer(referentiel_app, name="referentiel")


class TextJson(str, Enum):
    text = "text"
    json = "json"


class TextJsonYaml(str, Enum):
    text = "text"
    json = "json"
    yaml = "yaml"


def _coach():  # noqa: ANN202
    from assistant.coach import Coach

    return Coach()


def echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


# référentiel ---------------------------------------------------------------------------------------
@referentiel_app.command("show")
def referentiel_show(
    unit: Annotated[str | None, typer.Option("--unit", help="Une seule unité (ex. 2, 3.1).")] = None,
    fmt: Annotated[TextJsonYaml, typer.Option("--format")] = TextJsonYaml.text,
    referentiel: Annotated[str | None, typer.Option("--referentiel", help="Id du référentiel.")] = None,
) -> None:
    """Afficher le référentiel (ou une unité)."""
    from assistant.registry import get_referentiel
    from assistant.settings import Settings

    ref = get_referentiel(Settings.from_env(), referentiel)
    if unit:
        ref.unit(unit)  # validates the id, with a clear error
    if fmt is TextJsonYaml.json:
        echo_json(ref.to_public_dict(unit))
        return
    if fmt is TextJsonYaml.yaml:
        import yaml

        typer.echo(yaml.safe_dump(ref.to_public_dict(unit), allow_unicode=True, sort_keys=False, width=100))
        return
    from assistant.render import referentiel_text

    typer.echo(referentiel_text(ref, unit))


@referentiel_app.command("import")
def referentiel_import(file: Annotated[Path, typer.Argument(help="Fichier texte officiel ou YAML.")]) -> None:
    """Importer un référentiel (format texte officiel ou YAML)."""
    from assistant.registry import import_referentiel
    from assistant.settings import Settings

    ref = import_referentiel(Settings.from_env(), file)
    c = ref.counts()
    typer.echo(
        f"Référentiel « {ref.title} » importé (id : {ref.id}) : {c['blocs']} blocs, {c['units']} unités, "
        f"{c['criteria']} critères, {c['indicators']} indicateurs."
    )
    typer.echo("Indexez-le pour les questions : rncp-coach index")


@referentiel_app.command("list")
def referentiel_list(fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text) -> None:
    """Lister les référentiels disponibles."""
    from assistant.registry import list_referentiels
    from assistant.settings import Settings

    settings = Settings.from_env()
    refs = list_referentiels(settings)
    if fmt is TextJson.json:
        echo_json([{"id": r.id, "title": r.title, **r.counts(), "default": r.id == settings.referentiel}
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
    coach = _coach()
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
    fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text,
    referentiel: Annotated[str | None, typer.Option("--referentiel")] = None,
) -> None:
    """Poser une question sur le référentiel (réponse citée, sans LLM)."""
    from assistant.render import answer_text

    coach = _coach()
    if question is not None:
        answer = coach.ask(question, referentiel=referentiel)
        typer.echo(json.dumps(answer.public(), ensure_ascii=False, indent=2) if fmt is TextJson.json
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
) -> None:
    """Évaluer un livrable, indicateur par indicateur, avec citations et conseils."""
    from assistant.render import assessment_markdown, assessment_text

    result = _coach().assess(file, unit=unit, candidate=candidate, password=password, referentiel=referentiel)
    if fmt is ReportFormat.json:
        echo_json(result.public())
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
    r = _coach().ingest(file, candidate=candidate, password=password)
    typer.echo(f"{r['file']} ({r['pages']} pages, sha256 {r['sha256'][:12]}…) : {r['chunks']} passages, "
               f"{r['added']} nouveaux, pour le candidat {r['candidate']}.")


@app.command("forget")
def forget(candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")]) -> None:
    """Effacer tout ce qui est conservé sur un candidat (documents, passages, résultats)."""
    r = _coach().forget(candidate)
    typer.echo(f"Candidat {r['candidate']} : {r['documents']} document(s), {r['chunks']} passage(s), "
               f"{r['results']} résultat(s) et {r['uploads']} fichier(s) déposé(s) effacés.")


# grid / stats / progress -----------------------------------------------------------------------------
grid_app = typer.Typer(help="Grilles d'évaluation du jury : pré-remplir, décider, signer, exporter.",
                       no_args_is_help=True)
app.add_typer(grid_app, name="grid")


class ExportFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"
    json = "json"


def _settings():  # noqa: ANN202
    from assistant.settings import Settings

    return Settings.from_env()


JurorOpt = Annotated[str | None, typer.Option("--juror", help="Nom du juré (obligatoire).")]


@grid_app.command("prefill")
def grid_prefill(
    file: Annotated[Path, typer.Argument(help="Le PDF du livrable.")],
    candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")],
    unit: Annotated[str | None, typer.Option("--unit", help="L'unité évaluée (détectée si absente).")] = None,
    password: Annotated[str | None, typer.Option("--password", help="Mot de passe du PDF protégé.")] = None,
) -> None:
    """Évaluer le livrable et créer une grille pré-remplie (son identifiant est la dernière ligne)."""
    from assistant.grid import prefill
    from assistant.grid_export import prefill_summary

    grid = prefill(_coach(), file, candidate, unit=unit, password=password)
    typer.echo(prefill_summary(grid))
    typer.echo(grid.id)


@grid_app.command("show")
def grid_show(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text,
) -> None:
    """Afficher une grille : propositions de l'outil et décisions du jury."""
    from assistant.grid import get_grid
    from assistant.grid_export import grid_text

    grid = get_grid(_settings(), grid_id)
    typer.echo(json.dumps(grid.model_dump(mode="json"), ensure_ascii=False, indent=2) if fmt is TextJson.json
               else grid_text(grid))


@grid_app.command("decide")
def grid_decide(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    criterion: Annotated[str, typer.Option("--criterion", help="Critère (ex. 2.C1).")],
    level: Annotated[str | None, typer.Option("--level", help="acquis | partiellement_acquis | non_acquis")] = None,
    indicator: Annotated[str | None, typer.Option("--indicator", help="Indicateur (ex. 2.C1.I6).")] = None,
    verdict: Annotated[
        str | None, typer.Option("--verdict", help="evidenced | partial | not_evidenced | not_assessable")
    ] = None,
    comment: Annotated[str, typer.Option("--comment", help="Commentaire du juré.")] = "",
    juror: JurorOpt = None,
) -> None:
    """Confirmer ou corriger le niveau d'un critère (et le verdict d'un de ses indicateurs)."""
    from assistant.grid import decide
    from assistant.grid_export import label

    grid = decide(_settings(), grid_id, criterion=criterion, level=level, juror=juror or "", comment=comment,
                  indicator=indicator, verdict=verdict)
    for item in [i for i in (indicator, criterion if level else None) if i]:
        line = grid.line(item)
        typer.echo(f"Décision enregistrée : {item} → {label(line, line.decided)} (juré {line.juror}).")


@grid_app.command("sign")
def grid_sign(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    juror: JurorOpt = None,
) -> None:
    """Signer la grille (elle devient non modifiable)."""
    from assistant.grid import sign
    from assistant.grid_export import when

    grid = sign(_settings(), grid_id, juror or "")
    typer.echo(f"Grille {grid.id} signée par {grid.signed_by} le {when(grid.signed_at)}.")


@grid_app.command("reopen")
def grid_reopen(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    juror: JurorOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Motif de la réouverture.")] = None,
) -> None:
    """Rouvrir une grille signée pour la corriger (motif obligatoire, tracé)."""
    from assistant.grid import reopen

    grid = reopen(_settings(), grid_id, juror or "", reason or "")
    typer.echo(f"Grille {grid.id} rouverte : elle est de nouveau modifiable et devra être signée à nouveau.")


@grid_app.command("export")
def grid_export(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    output: Annotated[Path, typer.Option("--output", help="Fichier à écrire.")],
    fmt: Annotated[ExportFormat | None, typer.Option("--format", help="Déduit de l'extension si absent.")] = None,
) -> None:
    """Exporter une grille (CSV, XLSX, PDF pour le jury, JSON)."""
    from assistant.grid import get_grid, history
    from assistant.grid_export import export_grid

    settings = _settings()
    grid = get_grid(settings, grid_id)
    path = export_grid(grid, fmt.value if fmt else output.suffix.lstrip(".").lower(), output,
                       events=history(settings, grid.id))
    typer.echo(f"Grille {grid.id} exportée : {path}")


@grid_app.command("history")
def grid_history(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text,
) -> None:
    """Afficher le journal des actions sur la grille."""
    from assistant.grid import history
    from assistant.grid_export import history_text

    events = history(_settings(), grid_id)
    typer.echo(json.dumps([e.model_dump(mode="json") for e in events], ensure_ascii=False, indent=2)
               if fmt is TextJson.json else history_text(events))


@grid_app.command("list")
def grid_list(
    candidate: Annotated[str | None, typer.Option("--candidate", help="Un seul candidat.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Une seule unité.")] = None,
    fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text,
) -> None:
    """Lister les grilles."""
    from assistant.grid import list_grids
    from assistant.grid_export import grids_text

    grids = list_grids(_settings(), candidate=candidate, unit=unit)
    if fmt is TextJson.json:
        echo_json([g.model_dump(mode="json", exclude={"lines"}) for g in grids])
    else:
        typer.echo(grids_text(grids))


@app.command("stats")
def stats(
    unit: Annotated[str | None, typer.Option("--unit", help="Une seule unité.")] = None,
    fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text,
) -> None:
    """Accord entre l'outil et les jurys, sur les grilles signées."""
    from assistant.grid_stats import stats as grid_stats
    from assistant.grid_stats import stats_text

    s = grid_stats(_settings(), unit=unit)
    typer.echo(s.model_dump_json(indent=2) if fmt is TextJson.json else stats_text(s))


@app.command("progress")
def progress(
    candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")],
    unit: Annotated[str, typer.Option("--unit", help="L'unité (ex. 2).")],
    fmt: Annotated[TextJson, typer.Option("--format")] = TextJson.text,
) -> None:
    """Comparer les versions successives d'un livrable évaluées pour un candidat."""
    from assistant.progress import progress as draft_progress
    from assistant.progress import progress_text

    p = draft_progress(_settings(), candidate, unit)
    typer.echo(p.model_dump_json(indent=2) if fmt is TextJson.json else progress_text(p))


@app.command("chat")
def chat(
    role: Annotated[str, typer.Option("--role", help="candidat, jury ou formateur.")] = "candidat",
    candidate: Annotated[str | None, typer.Option("--candidate", help="Identifiant du candidat.")] = None,
) -> None:
    """Discuter avec l'assistant (/aide, /evaluer FICHIER UNITÉ — unité facultative —, /quitter)."""
    from assistant.chat import ROLES, ChatSession
    from assistant.errors import UsageError

    if role not in ROLES:
        raise UsageError(f"Rôle inconnu « {role} » : candidat, jury ou formateur.", code="bad_role")
    if candidate:
        from assistant.documents_store import check_candidate

        check_candidate(candidate)
    session = ChatSession(_coach(), role=role, candidate=candidate)  # type: ignore[arg-type]
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
    from assistant.settings import Settings
    from assistant.web_handlers import check_host

    settings = Settings.from_env()
    check_host(settings, host)  # before loading anything
    from assistant.web import launch

    typer.echo(f"Application web : http://{'localhost' if host in {'127.0.0.1', '::1'} else host}:{port}/ "
               "(Ctrl-C pour arrêter)")
    launch(settings, host=host, port=port, quiet=True)


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

    from assistant.errors import ConfigError
    from assistant.settings import Settings
    from assistant.users import add_user

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
    from assistant.batch import assess_batch

    report = assess_batch(_coach(), folder, unit, workers=workers, output=output, mapping_csv=mapping,
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
