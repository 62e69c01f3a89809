"""Which référentiels exist: the bundled one, plus those imported under ``$RNCP_COACH_HOME``."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from assistant.config.settings import Settings
from assistant.domain.errors import InputFileError, NotFoundError
from assistant.domain.referentiel import Referentiel

BUNDLED_FILE = "referentiel-chef-de-projet-marketing-communication.txt"


@lru_cache(maxsize=1)
def bundled_referentiel() -> Referentiel:
    from ingestion.referentiel_text import parse_referentiel_text

    text = resources.files("assistant").joinpath("data", BUNDLED_FILE).read_text(encoding="utf-8")
    return parse_referentiel_text(text, source=BUNDLED_FILE)


def load_referentiel_file(path: Path) -> Referentiel:
    """Load a référentiel from the official text format or from YAML (by extension or content)."""
    from ingestion.referentiel_text import load_referentiel_text
    from ingestion.referentiel_yaml import load_referentiel_yaml

    if not path.is_file():
        raise InputFileError(f"Fichier introuvable : {path}. Vérifiez le chemin.", code="file_not_found")
    if path.suffix.lower() in {".yaml", ".yml"}:
        return load_referentiel_yaml(path)
    return load_referentiel_text(path)


def imported_referentiels(settings: Settings) -> dict[str, Path]:
    folder = settings.referentiels_dir
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def list_referentiels(settings: Settings) -> list[Referentiel]:
    refs = {bundled_referentiel().id: bundled_referentiel()}
    for ident, path in imported_referentiels(settings).items():
        refs[ident] = _load_imported(path, path.stat().st_mtime_ns)
    return list(refs.values())


@lru_cache(maxsize=16)
def _load_imported(path: Path, _mtime: int) -> Referentiel:
    from ingestion.referentiel_yaml import load_referentiel_yaml

    return load_referentiel_yaml(path)


def get_referentiel(settings: Settings, ident: str | None = None) -> Referentiel:
    ident = ident or settings.referentiel
    imported = imported_referentiels(settings)
    if ident in imported:
        return _load_imported(imported[ident], imported[ident].stat().st_mtime_ns)
    bundled = bundled_referentiel()
    if ident == bundled.id:
        return bundled
    known = sorted({bundled.id, *imported})
    raise NotFoundError(
        f"Référentiel inconnu « {ident} ». Référentiels disponibles : {', '.join(known)}. "
        "Importez-en un avec : rncp-coach referentiel import FICHIER.",
        code="unknown_referentiel",
    )


def import_referentiel(settings: Settings, path: Path) -> Referentiel:
    """Validate a référentiel file and save it (as YAML) under the home folder, atomically."""
    from ingestion.referentiel_yaml import dump_referentiel_yaml

    ref = load_referentiel_file(path)
    from assistant.config.files import atomic_write_text

    atomic_write_text(settings.referentiels_dir / f"{ref.id}.yaml", dump_referentiel_yaml(ref))
    return ref
