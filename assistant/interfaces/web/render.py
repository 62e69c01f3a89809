"""HTML shown by the web app: pure functions of the domain objects, in French.

Everything the user or the document supplies is escaped; nothing here touches gradio.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from assistant.domain.referentiel import PART_LABELS_FR
from assistant.domain.vocabulary import CHANGE_FR, LEVEL_FR, LEVELS, VERDICT_SHORT_FR, VERDICTS

VERDICT_WEB = VERDICT_SHORT_FR
VERDICT_CLASS = {"evidenced": "v-ok", "partial": "v-partial", "not_evidenced": "v-no", "not_assessable": "v-na"}
LEVEL_CLASS = {"acquis": "v-ok", "partiellement_acquis": "v-partial", "non_acquis": "v-no", "a_evaluer": "v-na"}
CHANGE_ICON = {"improved": "↑", "regressed": "↓", "unchanged": "=", "not_comparable": "≠"}

# Colours: text stays readable on each background (WCAG AA) and the verdict is also written out.
CSS = """
.rc-banner {background:#fff7e0;border:1px solid #e0b000;border-radius:6px;padding:8px 12px;color:#5a4500}
.rc-user {text-align:right;color:#444;font-size:0.9em}
.rc-error {background:#fdecea;border:2px solid #c62828;border-radius:6px;padding:10px 14px;color:#7f1010}
.rc-error strong {color:#b71c1c}
.rc-alert {background:#fdecea;border:2px solid #c62828;border-radius:6px;padding:10px 14px;color:#7f1010;
  margin-bottom:8px}
.rc-notice {background:#e8f0fe;border:1px solid #3f6fd8;border-radius:6px;padding:8px 12px;color:#1a3a7a}
.rc-ok {background:#e7f5ea;border:1px solid #2e7d32;border-radius:6px;padding:8px 12px;color:#1b4d20}
.rc-muted {color:#555}
table.rc-table {border-collapse:collapse;width:100%;font-size:0.92em}
table.rc-table th, table.rc-table td {border:1px solid #c8ccd4;padding:4px 6px;vertical-align:top;text-align:left}
table.rc-table th {background:#dde4f0;color:#111}
.v-ok {background:#d7f0dc;color:#114a1c}
.v-partial {background:#fff0c2;color:#5c4400}
.v-no {background:#f9d5d3;color:#7a1410}
.v-na {background:#e6e6e6;color:#333}
.rc-verdict {font-weight:600;white-space:nowrap}
blockquote.rc-quote {cursor:pointer}
blockquote.rc-quote:hover, blockquote.rc-quote:focus {background:#eef3fd}
.rc-view {font-size:0.85em;color:#1a3a7a;text-decoration:underline;margin-left:6px}
.rc-hidden {display:none !important}
.rc-review {background:#ffe3c2;color:#5c2a00;border:1px solid #b35900;border-radius:4px;padding:0 4px;
  font-weight:600}
details.rc-ind {border:1px solid #c8ccd4;border-radius:6px;margin:4px 0;padding:4px 8px;background:#fff;color:#111}
details.rc-ind > summary {cursor:pointer}
details.rc-ind blockquote {margin:4px 0 4px 10px;padding-left:8px;border-left:3px solid #3f6fd8;color:#222}
details.rc-ref {margin:2px 0 2px 8px}
details.rc-ref > summary {cursor:pointer;font-weight:600}
.rc-cite {border-left:3px solid #3f6fd8;padding:2px 8px;margin:4px 0;color:#222}
.gradio-container {overflow:clip !important}
#cand-chat-col {position:sticky;top:8px;align-self:flex-start}
.rc-line {border:1px solid #c8ccd4;border-radius:8px;padding:6px 10px;margin:6px 0}
"""


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def verdict_badge(verdict: str) -> str:
    return f'<span class="rc-verdict {VERDICT_CLASS.get(verdict, "")}">{esc(VERDICT_WEB.get(verdict, verdict))}</span>'


def level_badge(level: str | None) -> str:
    if not level:
        return '<span class="rc-muted">—</span>'
    return f'<span class="rc-verdict {LEVEL_CLASS.get(level, "")}">{esc(LEVEL_FR.get(level, level))}</span>'


def _ul(items: Iterable[str], ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(f"<li>{esc(x)}</li>" for x in items) + f"</{tag}>"


# Messages -------------------------------------------------------------------------------------------
def error_html(code: str, message: str) -> str:
    return f'<div class="rc-error" role="alert"><strong>Erreur [{esc(code)}]</strong> {esc(message)}</div>'


def notice_html(message: str, kind: str = "notice") -> str:
    return f'<div class="rc-{kind}">{esc(message)}</div>'


def warnings_html(warnings: list) -> str:
    """The document's warnings (suspicious instructions, hidden text...) in a red box, or nothing."""
    if not warnings:
        return ""
    items, seen = [], set()
    for w in warnings:
        key = (getattr(w, "kind", ""), " ".join(str(getattr(w, "quote", "")).split()), getattr(w, "message", ""))
        if key in seen:  # one line per passage: the same text flagged twice is shown once
            continue
        seen.add(key)
        where = f" (p. {w.page})" if getattr(w, "page", None) else ""
        quote = f" : « {esc(w.quote)} »" if getattr(w, "quote", "") else ""
        items.append(f"<li>{esc(w.message)}{esc(where)}{quote}</li>")
    return ('<div class="rc-alert" role="alert" id="rc-warnings"><strong>⚠ Alertes sur ce document</strong>'
            f"<ul>{''.join(items)}</ul></div>")


# Candidate report -----------------------------------------------------------------------------------
_NUMBERS_FR = {2: "Deux", 3: "Trois"}


def _priorities_heading(n: int) -> str:
    """« Trois priorités », « Deux priorités », « Une priorité » — the heading counts what it lists."""
    if n <= 1:
        return "Une priorité" if n == 1 else "Priorités"
    return f"{_NUMBERS_FR.get(n, str(n))} priorités"


def summary_html(a) -> str:  # noqa: ANN001 - assessment.Assessment
    detected = (f" — unité détectée automatiquement (confiance {a.unit_confidence:.2f})" if a.unit_detected else "")
    counts = {v: sum(i.verdict == v for i in a.indicators) for v in VERDICTS}
    tally = " · ".join(f"{counts[v]} {VERDICT_WEB[v]}" for v in VERDICTS if counts[v])
    parts = [
        f"<h3>Retour sur « {esc(a.document.file)} » — unité {esc(a.unit)}</h3>",
        f'<p class="rc-muted">{a.document.pages} page(s){esc(detected)} · {len(a.indicators)} indicateurs : '
        f"{esc(tally)}</p>",
        warnings_html(a.warnings),
        "<h4>Points forts</h4>", _ul(a.summary.strengths),
        f"<h4>{_priorities_heading(len(a.summary.priorities))}</h4>",
        _ul(a.summary.priorities, ordered=True) if a.summary.priorities
        else '<p class="rc-muted">Aucune priorité : tous les indicateurs évaluables sont démontrés.</p>',
        "<h4>Niveaux proposés par critère</h4>",
        '<table class="rc-table"><tr><th>Critère</th><th>Niveau proposé</th><th>Justification</th></tr>',
        *(f"<tr><td>{esc(c.id)} {esc(c.title)}</td><td>{level_badge(c.level)}</td><td>{esc(c.rationale)}</td></tr>"
          for c in a.criteria),
        "</table>",
    ]
    return "\n".join(parts)


def indicator_table_html(a) -> str:  # noqa: ANN001
    rows = []
    for i in a.indicators:
        pages = sorted({e.page for e in i.evidence})
        rows.append(
            f'<tr class="{VERDICT_CLASS.get(i.verdict, "")}" data-indicator="{esc(i.id)}">'
            f"<td>{esc(i.id)}</td><td>{esc(i.text)}</td><td>{verdict_badge(i.verdict)}</td>"
            f"<td>{esc(', '.join(map(str, pages)) or '—')}</td></tr>"
        )
    return ('<table class="rc-table" id="rc-indicators"><tr><th>Indicateur</th><th>Intitulé</th><th>Verdict</th>'
            "<th>Pages citées</th></tr>" + "".join(rows) + "</table>")


def _quotes(evidence: list, view: str = "") -> str:
    """The quotes with their page; with ``view`` (« candidat|2.C1.I6 »), each one opens the evidence viewer
    (the page rendered, the quote highlighted) when clicked."""
    if not evidence:
        return '<p class="rc-muted">Aucune citation retenue.</p>'
    out = []
    for n, e in enumerate(evidence):
        page = e["page"] if isinstance(e, dict) else e.page
        quote = e["quote"] if isinstance(e, dict) else e.quote
        attrs = (f' class="rc-quote" data-view="{esc(view)}|{n}" role="button" tabindex="0" '
                 f'title="Voir la page {esc(page)} avec la citation surlignée"') if view else ""
        out.append(f"<blockquote{attrs}>p. {esc(page)} : « {esc(quote)} »"
                   + (' <span class="rc-view">voir la page</span>' if view else "") + "</blockquote>")
    return "".join(out)


def indicator_details_html(a, missing: dict[str, str] | None = None) -> str:  # noqa: ANN001
    """One expandable panel per indicator: quotes with their page, what is missing, the advice."""
    missing = missing or {}
    panels = []
    for i in a.indicators:
        body = [f"<p>{esc(i.feedback)}</p>", "<p><strong>Citations du document :</strong></p>",
                _quotes(i.evidence, f"candidat|{i.id}")]
        if i.verdict in {"partial", "not_evidenced"} and missing.get(i.id):
            body.append(f"<p><strong>Ce qui manque :</strong> {esc(missing[i.id])}</p>")
        if i.advice:
            body.append(f"<p><strong>Conseil :</strong> {esc(i.advice)}</p>")
        panels.append(
            f'<details class="rc-ind" data-indicator="{esc(i.id)}"><summary><strong>{esc(i.id)}</strong> '
            f"{verdict_badge(i.verdict)} {esc(i.text)}</summary>{''.join(body)}</details>"
        )
    return "<h4>Détail par indicateur</h4>" + "".join(panels)


def progress_html(p) -> str:  # noqa: ANN001 - progress.Progress
    """Progress between the candidate's successive drafts of one unit."""
    drafts = "".join(
        f"<li>Version {d.number} : {esc(d.file)} ({esc(d.created_at[:16].replace('T', ' '))}) — "
        f"{d.verdicts.get('evidenced', 0)} démontré(s), {d.verdicts.get('partial', 0)} partiel(s), "
        f"{d.verdicts.get('not_evidenced', 0)} non démontré(s)</li>"
        for d in p.drafts
    )
    last = p.steps[-1]
    n = last.counts
    rows = "".join(
        f"<tr><td>{CHANGE_ICON[c.change]} {esc(c.id)}</td><td>{esc(c.text)}</td><td>{verdict_badge(c.before)}</td>"
        f"<td>{verdict_badge(c.after)}</td><td>{esc(CHANGE_FR[c.change])}</td></tr>"
        for c in last.indicators if c.change != "unchanged"
    )
    table = ('<table class="rc-table"><tr><th>Indicateur</th><th>Intitulé</th><th>Avant</th><th>Après</th>'
             f"<th>Évolution</th></tr>{rows}</table>") if rows else "<p>Aucun verdict n'a changé.</p>"
    return (
        f'<div id="rc-progress"><h4>Progression depuis la version précédente (unité {esc(p.unit)})</h4>'
        f"<ol>{drafts}</ol>"
        f"<p>Version {last.before} → version {last.after} : <strong>{n['improved']} en progrès</strong>, "
        f"{n['regressed']} en recul, {n['unchanged']} inchangé(s).</p>{table}</div>"
    )


# Chat and trainer answers ----------------------------------------------------------------------------
def citations_html(citations: list) -> str:
    if not citations:
        return ""
    items = []
    for c in citations:
        ident = c.indicator_id or c.criterion_id or f"unité {c.unit}"
        items.append(
            f'<div class="rc-cite" data-cite="{esc(ident)}"><strong>[{esc(ident)}]</strong> unité {esc(c.unit)} · '
            f"{esc(PART_LABELS_FR.get(c.part, c.part))} — « {esc(c.text)} »</div>"
        )
    return "<h4>Sources citées</h4>" + "".join(items)


def citations_markdown(citations: list) -> str:
    if not citations:
        return ""
    lines = ["", "**Sources :**"]
    for n, c in enumerate(citations, 1):
        ident = c.indicator_id or c.criterion_id or f"unité {c.unit}"
        lines.append(f"{n}. **[{ident}]** unité {c.unit} · {PART_LABELS_FR.get(c.part, c.part)} — « {c.text} »")
    return "\n".join(lines)


# Référentiel browser ---------------------------------------------------------------------------------
def referentiel_html(ref) -> str:  # noqa: ANN001 - referentiel.Referentiel
    out = [f"<h3>{esc(ref.title)}</h3>"]
    for bloc in ref.blocs:
        out.append(f'<details class="rc-ref"><summary>Bloc {esc(bloc.id)} — {esc(bloc.title)}</summary>')
        for u in bloc.units:
            out.append(f'<details class="rc-ref" data-unit="{esc(u.id)}"><summary>Unité {esc(u.id)} — '
                       f"{esc(u.title)}</summary>")
            for part in ("activities", "competencies", "deliverables", "assessment_methods"):
                items = getattr(u, part)
                if items:
                    out.append(f"<p><strong>{esc(PART_LABELS_FR[part].capitalize())}</strong></p>{_ul(items)}")
            for c in u.criteria:
                out.append(f'<details class="rc-ref"><summary>{esc(c.id)} — {esc(c.title)}</summary><ul>')
                out += [f"<li><strong>{esc(i.id)}</strong> {esc(i.text)}</li>" for i in c.indicators]
                out.append("</ul></details>")
            out.append("</details>")
        out.append("</details>")
    return "".join(out)


# Juror grid -----------------------------------------------------------------------------------------
def grid_header_html(grid) -> str:  # noqa: ANN001 - grid.Grid
    from assistant.exports.grid_export import when

    done = sum(c.decided is not None for c in grid.criteria)
    status = (f'<div class="rc-notice" id="rc-signed"><strong>Grille signée</strong> par {esc(grid.signed_by)} le '
              f"{esc(when(grid.signed_at))} : elle est en lecture seule.</div>" if grid.status == "signed" else "")
    return (
        f"{status}<h3>Grille {esc(grid.id)} — candidat {esc(grid.candidate)} — unité {esc(grid.unit)} "
        f"{esc(grid.unit_title)}</h3>"
        f'<p class="rc-muted">Document : {esc(grid.file)} (sha256 {esc(grid.sha256[:12])}…) · créée le '
        f"{esc(when(grid.created_at))} · {done}/{len(grid.criteria)} critères décidés · "
        f"{'signée' if grid.status == 'signed' else 'non signée'}</p>"
    )


def grid_line_html(grid, crit) -> str:  # noqa: ANN001 - grid.Grid, grid.GridLine
    """A criterion of the grid: proposal, rationale, decision, and its indicators with their quotes."""
    from assistant.exports.grid_export import when

    decided = (f"Décision : {level_badge(crit.decided)} par {esc(crit.juror)} le {esc(when(crit.decided_at))}"
               + (f" — « {esc(crit.comment)} »" if crit.comment else "")) if crit.decided else \
        '<span class="rc-muted">Pas encore de décision du jury : choisissez un niveau ci-dessous.</span>'
    note = f'<p class="rc-muted">{esc(crit.note)}</p>' if crit.note else ""
    inds = []
    flagged_first = {"instruction": 0, "uncertain": 1, "": 2}  # what needs the juror's eyes comes first
    for i in sorted((i for i in grid.indicators if i.criterion_id == crit.item_id),
                    key=lambda i: flagged_first.get(i.review, 2) if not i.decided else 3):
        change = (f" → décision : {verdict_badge(i.decided)}" if i.decided and i.decided != i.proposed else "")
        if i.review == "instruction" and not i.decided:
            change += (' <span class="rc-review" data-review="instruction">à vérifier — une consigne du document '
                       "porte sur cet indicateur : décision explicite requise</span>")
        elif i.review == "uncertain" and not i.decided:
            change += ' <span class="rc-review" data-review="uncertain">à vérifier — proposition incertaine</span>'
        proposed_label = "proposition de l'outil : "
        comment = f"<p>Commentaire du jury : {esc(i.comment)}</p>" if i.comment else ""
        inds.append(
            f'<details class="rc-ind" data-indicator="{esc(i.item_id)}"><summary><strong>{esc(i.item_id)}</strong> '
            f"{proposed_label}{verdict_badge(i.proposed)}{change} {esc(i.title)}</summary><p>{esc(i.rationale)}</p>"
            f"{_quotes(i.evidence, f'jury|{i.item_id}')}{comment}</details>"
        )
    return (
        f"<h4>{esc(crit.item_id)} — {esc(crit.title)}</h4>"
        f"<p>Proposition de l'outil : {level_badge(crit.proposed)} — {esc(crit.rationale)}</p>{note}"
        f"<p>{decided}</p>{''.join(inds)}"
    )


LEVEL_CHOICES = [(LEVEL_FR[v], v) for v in LEVELS]
VERDICT_CHOICES = [(VERDICT_WEB[v], v) for v in VERDICTS]
