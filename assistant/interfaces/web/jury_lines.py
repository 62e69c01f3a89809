"""The jury grid's lines in the web app: one row per criterion (decision, comment, « Enregistrer »)."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from assistant.config.settings import Settings
from assistant.domain.vocabulary import LEVEL_FR, LEVELS
from assistant.interfaces.web import handlers as h
from assistant.interfaces.web.render import LEVEL_CHOICES, grid_header_html, grid_line_html, notice_html
from assistant.interfaces.web.shell import failure
from assistant.records.grid_store import Grid


def grid_lines_renderer(settings: Settings, viewer: Callable, *, juror: gr.Textbox, grid_header: gr.HTML,
                        saved_juror: gr.BrowserState) -> Callable[[dict | None], None]:
    """The function ``gr.render`` calls with the open grid, wired to the page's juror and header."""

    def save_line_for(grid_id: str, criterion: str) -> Callable:
        def save_line(level: str | None, comment: str | None, checked: bool, juror_name: str | None,
                      request: gr.Request):
            try:
                v = viewer(request)
                grid = h.jury_decide(settings, v, grid_id, criterion=criterion, level=level,
                                     juror=juror_name, comment=comment)
                if checked:
                    grid = h.jury_confirm_flagged(settings, v, grid_id, criterion=criterion, juror=juror_name)
            except Exception as exc:  # noqa: BLE001
                return gr.update(), failure(exc), gr.update(), gr.update()
            line = grid.line(criterion)
            ok = notice_html(f"Décision enregistrée : {criterion} → {LEVEL_FR.get(line.decided, line.decided)} "
                             f"({line.juror}).", "ok")
            return grid_line_html(grid, line), ok, grid_header_html(grid), juror_name

        return save_line

    def grid_lines(grid_data: dict | None, request: gr.Request) -> None:
        """One line per criterion (decision, comment, « Enregistrer »); read-only once the grid is signed."""
        if not grid_data:
            gr.Markdown("_Choisissez une grille dans la liste, ou pré-remplissez-en une à partir d'un livrable._")
            return
        grid = Grid.model_validate(grid_data)
        signed = grid.status == "signed"
        for crit in grid.criteria:
            slug = crit.item_id.replace(".", "-")
            with gr.Group(elem_classes=["rc-line", f"line-{slug}"]):
                line_html = gr.HTML(grid_line_html(grid, crit), elem_id=f"line-html-{slug}")
                with gr.Row():
                    # Nothing is chosen until the juror chooses: the tool's proposal is shown beside, not
                    # pre-selected (a pre-set answer anchors the juror).
                    level = gr.Dropdown(LEVEL_CHOICES, value=crit.decided if crit.decided in LEVELS else None,
                                        label=f"Décision du jury — {crit.item_id}",
                                        interactive=not signed, key=f"level-{grid.id}-{crit.item_id}",
                                        elem_id=f"level-{slug}", scale=2)
                    comment = gr.Textbox(value=crit.comment or "", label="Commentaire", interactive=not signed,
                                         key=f"comment-{grid.id}-{crit.item_id}", elem_id=f"comment-{slug}", scale=4)
                    save = gr.Button("Enregistrer", interactive=not signed, elem_id=f"save-{slug}", scale=1)
                flagged = [i.item_id for i in grid.indicators
                           if i.criterion_id == crit.item_id and i.review == "instruction" and i.decided is None]
                checked = gr.Checkbox(False, visible=bool(flagged) and not signed, elem_id=f"checked-{slug}",
                                      label=f"J'ai vérifié les indicateurs à vérifier de ce critère "
                                            f"({', '.join(flagged)}) : je confirme leur proposition",
                                      key=f"checked-{grid.id}-{crit.item_id}")
                try:
                    bank = [] if signed else h.jury_comment_bank(settings, viewer(request), crit.item_id)
                except Exception:  # noqa: BLE001 - no bank is no reason to hide the grid
                    bank = []
                reuse = gr.Dropdown(bank, value=None, label="Réutiliser un commentaire déjà écrit pour ce critère",
                                    visible=bool(bank), interactive=True, elem_id=f"bank-{slug}",
                                    key=f"bank-{grid.id}-{crit.item_id}")
                reuse.input(lambda text: text or gr.update(), inputs=[reuse], outputs=[comment], api_name=False)
                status = gr.HTML("", elem_id=f"status-{slug}")
            save.click(save_line_for(grid.id, crit.item_id), inputs=[level, comment, checked, juror],
                       outputs=[line_html, status, grid_header, saved_juror], api_name=False)

    return grid_lines
