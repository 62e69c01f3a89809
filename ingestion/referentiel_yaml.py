"""Référentiel to and from YAML, so that a trainer can edit one by hand or load another certification.

Loading validates the whole structure and reports the line of the first error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.domain.errors import ReferentielFormatError
from assistant.domain.referentiel import Referentiel


def dump_referentiel_yaml(ref: Referentiel) -> str:
    data = ref.model_dump()
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping and sequence item, to point at errors."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(data: Any, loc: tuple) -> int | None:
    """Follow a pydantic error location through the raw data to the closest known line."""
    line = data.get("__line__") if isinstance(data, dict) else None
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "__line__" in node:
            line = node["__line__"]
    return line


def parse_referentiel_yaml(text: str, *, source: str = "référentiel YAML") -> Referentiel:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ReferentielFormatError(
            f"{source} : YAML illisible ({getattr(exc, 'problem', exc)})",
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(data, dict):
        raise ReferentielFormatError(f"{source} : un objet avec id, title et blocs est attendu", line=1)
    try:
        return Referentiel.model_validate(_strip_lines(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ReferentielFormatError(
            f"{source} : champ « {where} » invalide ({err['msg']}). Corrigez le fichier puis réimportez-le",
            line=_line_of(data, err["loc"]),
        ) from exc


def load_referentiel_yaml(path: Path) -> Referentiel:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReferentielFormatError(f"{path.name} n'est pas un texte UTF-8", code="referentiel_encoding") from exc
    return parse_referentiel_yaml(text, source=path.name)
