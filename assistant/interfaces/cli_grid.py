"""The ``rncp-coach grid`` commands: pre-fill, show, decide, sign, reopen, export, history and list juror grids."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from assistant.interfaces import cli_common as common

# grid ---------- -----------------------------------------------------------------------------
grid_app = typer.Typer(help="Grilles d'évaluation du jury : pré-remplir, décider, signer, exporter.",
                       no_args_is_help=True)


class ExportFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"
    json = "json"


JurorOpt = Annotated[str | None, typer.Option("--juror", help="Nom du juré (obligatoire).")]


@grid_app.command("prefill")
def grid_prefill(
    file: Annotated[Path, typer.Argument(help="Le PDF du livrable.")],
    candidate: Annotated[str, typer.Option("--candidate", help="Identifiant du candidat.")],
    unit: Annotated[str | None, typer.Option("--unit", help="L'unité évaluée (détectée si absente).")] = None,
    password: Annotated[str | None, typer.Option("--password", help="Mot de passe du PDF protégé.")] = None,
) -> None:
    """Évaluer le livrable et créer une grille pré-remplie (son identifiant est la dernière ligne)."""
    from assistant.exports.grid_export import prefill_summary
    from assistant.records.grid import prefill

    grid = prefill(common.make_coach(), file, candidate, unit=unit, password=password)
    typer.echo(prefill_summary(grid))
    typer.echo(grid.id)


@grid_app.command("show")
def grid_show(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
) -> None:
    """Afficher une grille : propositions de l'outil et décisions du jury."""
    from assistant.exports.grid_export import grid_text
    from assistant.records.grid import get_grid

    grid = get_grid(common.settings(), grid_id)
    typer.echo(json.dumps(grid.model_dump(mode="json"), ensure_ascii=False, indent=2) if fmt is common.TextJson.json
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
    from assistant.exports.grid_export import label
    from assistant.records.grid import decide

    grid = decide(common.settings(), grid_id, criterion=criterion, level=level, juror=juror or "", comment=comment,
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
    from assistant.exports.grid_export import when
    from assistant.records.grid import sign

    grid = sign(common.settings(), grid_id, juror or "")
    typer.echo(f"Grille {grid.id} signée par {grid.signed_by} le {when(grid.signed_at)}.")


@grid_app.command("reopen")
def grid_reopen(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    juror: JurorOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Motif de la réouverture.")] = None,
) -> None:
    """Rouvrir une grille signée pour la corriger (motif obligatoire, tracé)."""
    from assistant.records.grid import reopen

    grid = reopen(common.settings(), grid_id, juror or "", reason or "")
    typer.echo(f"Grille {grid.id} rouverte : elle est de nouveau modifiable et devra être signée à nouveau.")


@grid_app.command("export")
def grid_export(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    output: Annotated[Path, typer.Option("--output", help="Fichier à écrire.")],
    fmt: Annotated[ExportFormat | None, typer.Option("--format", help="Déduit de l'extension si absent.")] = None,
) -> None:
    """Exporter une grille (CSV, XLSX, PDF pour le jury, JSON)."""
    from assistant.exports.grid_export import export_grid
    from assistant.records.grid import get_grid, history

    settings = common.settings()
    grid = get_grid(settings, grid_id)
    path = export_grid(grid, fmt.value if fmt else output.suffix.lstrip(".").lower(), output,
                       events=history(settings, grid.id))
    typer.echo(f"Grille {grid.id} exportée : {path}")


@grid_app.command("history")
def grid_history(
    grid_id: Annotated[str, typer.Argument(metavar="ID", help="Identifiant de la grille.")],
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
) -> None:
    """Afficher le journal des actions sur la grille."""
    from assistant.exports.grid_export import history_text
    from assistant.records.grid import history

    events = history(common.settings(), grid_id)
    typer.echo(json.dumps([e.model_dump(mode="json") for e in events], ensure_ascii=False, indent=2)
               if fmt is common.TextJson.json else history_text(events))


@grid_app.command("list")
def grid_list(
    candidate: Annotated[str | None, typer.Option("--candidate", help="Un seul candidat.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Une seule unité.")] = None,
    fmt: Annotated[common.TextJson, typer.Option("--format")] = common.TextJson.text,
) -> None:
    """Lister les grilles."""
    from assistant.exports.grid_export import grids_text
    from assistant.records.grid import list_grids

    grids = list_grids(common.settings(), candidate=candidate, unit=unit)
    if fmt is common.TextJson.json:
        common.echo_json([g.model_dump(mode="json", exclude={"lines"}) for g in grids])
    else:
        typer.echo(grids_text(grids))
