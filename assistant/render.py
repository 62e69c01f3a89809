"""Plain-text renderings shared by the CLI and the chat (French)."""

from __future__ import annotations

from assistant.referentiel import PART_LABELS_FR, Referentiel


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
