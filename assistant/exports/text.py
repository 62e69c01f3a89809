"""Plain-text renderings shared by the CLI and the chat (French)."""

from __future__ import annotations

from assistant.domain.referentiel import PART_LABELS_FR, Referentiel
from assistant.domain.vocabulary import LEVEL_FR


def referentiel_text(ref: Referentiel, unit_id: str | None = None) -> str:
    lines = [ref.title, "=" * len(ref.title)]
    if unit_id is None:
        lines += ref.notes
    for bloc in ref.blocs:
        units = [u for u in bloc.units if unit_id is None or u.id == unit_id]
        if not units:
            continue
        lines += ["", f"BLOC {bloc.id} — {bloc.title}"]
        for u in units:
            lines += ["", f"Unité {u.id} — {u.title}"]
            for part in ("activities", "competencies", "deliverables", "assessment_methods"):
                items = getattr(u, part)
                if items:
                    lines.append(f"  {PART_LABELS_FR[part].capitalize()} :")
                    lines += [f"    - {x}" for x in items]
            lines.append("  Critères d'évaluation :")
            for c in u.criteria:
                lines.append(f"    {c.id} {c.title}")
                lines += [f"      {i.id} {i.text}" for i in c.indicators]
    return "\n".join(lines)


def citation_line(c) -> str:  # noqa: ANN001 - qa.Citation
    ident = c.indicator_id or c.criterion_id or f"unité {c.unit}"
    return f"[{ident}] unité {c.unit} · {PART_LABELS_FR.get(c.part, c.part)} — « {c.text} »"


def answer_text(answer) -> str:  # noqa: ANN001 - qa.Answer
    lines = [answer.answer]
    if answer.citations:
        lines += ["", "Sources :"]
        lines += [f"  {n}. {citation_line(c)}" for n, c in enumerate(answer.citations, 1)]
    return "\n".join(lines)


VERDICT_ICON = {"evidenced": "✔", "partial": "◐", "not_evidenced": "✘", "not_assessable": "–"}


def assessment_text(a) -> str:  # noqa: ANN001 - assessment.Assessment
    head = f"Unité {a.unit}" + (f" (détectée, confiance {a.unit_confidence:.2f})" if a.unit_detected else "")
    lines = [f"{a.document.file} — {a.document.pages} page(s) — {head}", ""]
    for w in a.warnings:
        where = f" p. {w.page}" if w.page else ""
        lines.append(f"⚠ {w.message}{where}" + (f" : « {w.quote} »" if w.quote else ""))
    if a.warnings:
        lines.append("")
    lines.append("Points forts :")
    lines += [f"  + {s}" for s in a.summary.strengths]
    lines.append("Priorités :")
    lines += [f"  {n}. {p}" for n, p in enumerate(a.summary.priorities, 1)] or ["  (aucune)"]
    by_crit: dict[str, list] = {}
    for i in a.indicators:
        by_crit.setdefault(i.criterion_id, []).append(i)
    for c in a.criteria:
        lines += ["", f"{c.id} {c.title} — proposé : {LEVEL_FR.get(c.level, c.level)}", f"  {c.rationale}"]
        for i in by_crit.get(c.id, []):
            lines.append(f"  {VERDICT_ICON[i.verdict]} {i.id} {i.feedback}")
            lines += [f"      p. {e.page} : « {e.quote} »" for e in i.evidence]
            if i.advice:
                lines.append(f"      → {i.advice}")
    return "\n".join(lines)


def assessment_markdown(a) -> str:  # noqa: ANN001
    lines = [f"# Retour sur « {a.document.file} » — unité {a.unit}", ""]
    if a.unit_detected:
        lines.append(f"_Unité détectée automatiquement (confiance {a.unit_confidence:.2f})._\n")
    if a.warnings:
        lines.append("## Alertes\n")
        lines += [f"- **{w.message}** (p. {w.page}) : « {w.quote} »" if w.quote else f"- **{w.message}**"
                  for w in a.warnings]
        lines.append("")
    lines += ["## Points forts", ""] + [f"- {s}" for s in a.summary.strengths]
    lines += ["", "## Priorités", ""] + [f"{n}. {p}" for n, p in enumerate(a.summary.priorities, 1)]
    lines += ["", "## Grille proposée", "", "| Critère | Niveau proposé | Justification |", "|---|---|---|"]
    lines += [f"| {c.id} {c.title} | {LEVEL_FR.get(c.level, c.level)} | {c.rationale} |" for c in a.criteria]
    lines += ["", "## Indicateur par indicateur", ""]
    for i in a.indicators:
        lines.append(f"### {VERDICT_ICON[i.verdict]} {i.id} — {i.text}")
        lines.append("")
        lines.append(i.feedback)
        lines += [f"> p. {e.page} : « {e.quote} »" for e in i.evidence]
        if i.advice:
            lines += ["", f"**Conseil :** {i.advice}"]
        lines.append("")
    return "\n".join(lines)
