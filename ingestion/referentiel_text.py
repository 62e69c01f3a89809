"""Parser for the official référentiel text format.

The format is a table extracted to text: rows of 4 tab-separated columns (activities, competencies,
assessment methods, evaluation criteria), with light HTML (``<p>``, ``<i>``, ``<ul>``), bullets ``•``
for top-level items and `` - `` for sub-items. A row whose first column is empty (or does not open a
new unit) continues the unit above, and a cell may start in the middle of a sentence that the
previous row cut at a page break: cells are therefore concatenated per column before any splitting.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.domain.errors import ReferentielFormatError
from assistant.domain.referentiel import Bloc, Criterion, Indicator, Referentiel, Unit

_TAG = re.compile(r"<[^>]+>")
_BLOC = re.compile(r"BLOC DE COMP[EÉ]TENCES\s+N°\s*(\d+)\s*:\s*(.+)", re.IGNORECASE)
_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s+(.+?)\s*$")
_SEPARATOR = re.compile(r"^-{2,}$")
_SUB_ITEM = re.compile(r"(?:^|\s)-\s+")
_DELIVERABLES_INTRO = re.compile(r"productions suivantes\s*:", re.IGNORECASE)
_METHODS_INTRO = re.compile(r"Modalités d'évaluation pour les candidats[^:]*:", re.IGNORECASE)
_METHOD_SPLIT = re.compile(r"\s+(?=(?:Travail|Production|Etude de cas|Mise en situation)\b)")


def clean_text(raw: str) -> str:
    """Strip HTML tags and entities, normalise quotes and whitespace."""
    text = html.unescape(_TAG.sub(" ", raw))
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _strip_item(text: str) -> str:
    return text.strip().rstrip(",.;").strip()


def _paragraphs(raw: str) -> list[str]:
    """Split a cell's HTML into its paragraphs, keeping bullet lists inside the paragraph text."""
    parts = re.split(r"</p>", raw)
    return [p for p in (clean_text(x) for x in parts) if p]


@dataclass
class _RawUnit:
    number: str
    title: str
    bloc: tuple[str, str]
    line: int
    columns: list[list[str]] = field(default_factory=lambda: [[], [], [], []])


def parse_referentiel_text(text: str, *, source: str = "référentiel") -> Referentiel:
    """Parse the official 4-column text into a :class:`Referentiel`."""
    lines = text.replace("\r\n", "\n").split("\n")
    title = ""
    notes: list[str] = []
    bloc: tuple[str, str] | None = None
    units: list[_RawUnit] = []
    saw_table = False
    for lineno, line in enumerate(lines, start=1):
        cols = line.split("\t")
        if len(cols) == 1:
            value = clean_text(cols[0])
            if not value or saw_table:
                continue
            if not title and value.upper().startswith("CERTIFICATION"):
                title = _sentence_case(value[len("CERTIFICATION") :].strip())
            elif value.startswith("-"):
                notes.append(_strip_item(value.lstrip("- ")) + ".")
            continue
        if len(cols) != 4:
            raise ReferentielFormatError(
                f"{source} : une ligne du tableau doit avoir 4 colonnes séparées par des tabulations, "
                f"celle-ci en a {len(cols)}",
                line=lineno,
            )
        saw_table = True
        cells = [c.strip() for c in cols]
        if all(_SEPARATOR.match(c) or not c for c in cells):
            continue
        first = clean_text(cells[0])
        if first.startswith("REFERENTIEL") or clean_text(cells[3]).upper() == "CRITÈRES D'ÉVALUATION":
            continue
        bloc_match = _BLOC.search(first)
        if bloc_match:
            bloc = (bloc_match.group(1), bloc_match.group(2).strip())
            continue
        # A new unit opens with its number and title in italics in the first column.
        first_para = _paragraphs(cells[0])[0] if first else ""
        unit_match = _UNIT.match(first_para) if first_para else None
        if unit_match:
            if bloc is None:
                raise ReferentielFormatError(
                    f"{source} : l'unité {unit_match.group(1)} apparaît avant tout bloc de compétences",
                    line=lineno,
                )
            units.append(_RawUnit(unit_match.group(1), unit_match.group(2), bloc, lineno))
            # Remove the title paragraph from the activities column.
            cells[0] = re.split(r"</p>", cells[0], maxsplit=1)[1] if "</p>" in cells[0] else ""
        elif not units:
            raise ReferentielFormatError(
                f"{source} : ligne de tableau hors de toute unité (titre d'unité attendu, "
                "par ex. « 1.1- Veille de tendances »)",
                line=lineno,
            )
        for i, cell in enumerate(cells):
            if cell:
                units[-1].columns[i].append(cell)
    if not title:
        raise ReferentielFormatError(
            f"{source} : titre de la certification introuvable (ligne « CERTIFICATION ... » attendue)",
            line=1,
        )
    if not units:
        raise ReferentielFormatError(f"{source} : aucune unité trouvée dans le tableau", line=1)
    return _assemble(title, notes, units, source)


def _assemble(title: str, notes: list[str], raw_units: list[_RawUnit], source: str) -> Referentiel:
    blocs: dict[str, tuple[str, list[Unit]]] = {}
    for raw in raw_units:
        unit = _build_unit(raw, source)
        blocs.setdefault(raw.bloc[0], (raw.bloc[1], []))[1].append(unit)
    return Referentiel(
        id=slugify(title),
        title=title,
        notes=notes,
        blocs=[Bloc(id=k, title=t, units=us) for k, (t, us) in blocs.items()],
    )


def _join(cells: list[str]) -> str:
    """Concatenate a column's cells; a cell cut mid-sentence continues in the next one."""
    return clean_text(" ".join(cells))


def _split_bullets(text: str) -> list[str]:
    return [_strip_item(x) for x in text.split("•")]


def _build_unit(raw: _RawUnit, source: str) -> Unit:
    activities_text = _join(raw.columns[0])
    activities_text = re.sub(r"^Activités principales\s*:\s*", "", activities_text)
    activities = [a for a in _split_bullets(activities_text) if a]

    competencies = [c for c in _split_bullets(_join(raw.columns[1])) if c]

    deliverables, methods = _split_methods(_join(raw.columns[2]))
    criteria = _parse_criteria(_join(raw.columns[3]), raw, source)
    return Unit(
        id=raw.number,
        bloc=raw.bloc[0],
        bloc_title=raw.bloc[1],
        title=_strip_item(raw.title),
        activities=activities,
        competencies=competencies,
        deliverables=deliverables,
        assessment_methods=methods,
        criteria=criteria,
    )


def _split_methods(text: str) -> tuple[list[str], list[str]]:
    intro = _DELIVERABLES_INTRO.search(text)
    body = text[intro.end() :] if intro else text
    methods_match = _METHODS_INTRO.search(body)
    deliv_text = body[: methods_match.start()] if methods_match else body
    methods_text = body[methods_match.end() :] if methods_match else ""
    deliverables: list[str] = []
    for piece in _SUB_ITEM.split(deliv_text):
        piece = piece.strip()
        if piece:
            deliverables.append(piece if piece.endswith(":") else _strip_item(piece))
    methods = [_strip_item(m) for m in _METHOD_SPLIT.split(methods_text) if _strip_item(m)]
    return deliverables, methods


def _parse_criteria(text: str, raw: _RawUnit, source: str) -> list[Criterion]:
    criteria: list[Criterion] = []
    for group in text.split("•"):
        group = group.strip()
        if not group:
            continue
        if ":" not in group:
            raise ReferentielFormatError(
                f"{source} : unité {raw.number}, critère sans « : » ({group[:60]}…)", line=raw.line
            )
        head, _, body = group.partition(":")
        items = [_strip_item(x) for x in _SUB_ITEM.split(" " + body)]
        items = [x for x in items if x]
        cid = f"{raw.number}.C{len(criteria) + 1}"
        if not items:
            raise ReferentielFormatError(
                f"{source} : unité {raw.number}, le critère « {head.strip()} » n'a aucun indicateur",
                line=raw.line,
            )
        criteria.append(
            Criterion(
                id=cid,
                title=_strip_item(head),
                indicators=[Indicator(id=f"{cid}.I{n}", text=t) for n, t in enumerate(items, 1)],
            )
        )
    if not criteria:
        raise ReferentielFormatError(
            f"{source} : unité {raw.number} sans critère d'évaluation", line=raw.line
        )
    return criteria


def _sentence_case(text: str) -> str:
    """« CHEF DE PROJET » -> « Chef de projet » (titles are printed in capitals in the source)."""
    if text.isupper():
        text = text.lower()
    return text[:1].upper() + text[1:]


def slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def load_referentiel_text(path: Path) -> Referentiel:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReferentielFormatError(
            f"{path.name} n'est pas un texte UTF-8 ; enregistrez-le en UTF-8 puis réessayez",
            code="referentiel_encoding",
        ) from exc
    return parse_referentiel_text(text, source=path.name)
