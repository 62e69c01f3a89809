"""The ``rncp-coach`` command line: thin commands over the library functions.

Errors are printed as ``[code] message`` in French on stderr, with exit status 2 for usage errors
and 3 for bad input files.
"""

from __future__ import annotations

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
