"""The web app (gradio): three tabs, « Candidat », « Jury » and « Formateur », over the plain handlers of
:mod:`assistant.interfaces.web.handlers` (which also enforce access) and the HTML of
:mod:`assistant.interfaces.web.render`.

Offline: analytics off, no share link, no external font (system fonts), no server-side rendering.
Without a users file (``RNCP_COACH_USERS``) the app only listens on 127.0.0.1; with one, a login is
required and each role sees its own tab(s).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.assessment.coach import Coach  # noqa: E402
from assistant.config.settings import Settings  # noqa: E402
from assistant.domain.errors import CoachError, UnitUncertain  # noqa: E402
from assistant.interfaces.web import handlers as h  # noqa: E402
from assistant.interfaces.web.jury_lines import grid_lines_renderer  # noqa: E402
from assistant.interfaces.web.render import (  # noqa: E402
    VERDICT_CHOICES,
    citations_html,
    error_html,
    esc,
    grid_header_html,
    indicator_details_html,
    indicator_table_html,
    notice_html,
    progress_html,
    referentiel_html,
    summary_html,
    warnings_html,
)
from assistant.interfaces.web.shell import (  # noqa: E402
    ASSESS_CONCURRENCY,
    SINGLE_USER_BANNER,
    CoachApp,
    _discard_gradio_copy,
    _username,
    chat_failure,
    failure,
    tab_gate,
)
from assistant.knowledge.qa import Citation  # noqa: E402
from assistant.records.grid_store import Grid  # noqa: E402


# The app ----------------------------------------------------------------------------------------------
def create_app(settings: Settings | None = None, coach: Coach | None = None) -> gr.Blocks:
    settings = settings or (coach.settings if coach is not None else Settings.from_env())
    coach = coach or Coach(settings)
    ref = coach.referentiel()
    units = h.unit_choices(coach)

    def viewer(request: gr.Request | None) -> h.Viewer:
        return h.viewer_for(settings, _username(request))


    with CoachApp(title="rncp-coach — assistant de certification", analytics_enabled=False,
                  delete_cache=(1800, 3600)) as app:
        app.settings, app.coach = settings, coach
        open_tabs = settings.users_file is None  # with logins, nothing shows before the role is known
        with gr.Row():
            banner = gr.HTML(notice_html(SINGLE_USER_BANNER, "banner") if settings.users_file is None else "",
                             elem_id="rc-banner")
            who = gr.HTML("" if open_tabs else tab_gate(()), elem_id="rc-user")
            logout = gr.Button("Se déconnecter", link="/logout", size="sm", visible=False, scale=0)

        # Kept in the browser (encrypted localStorage): a reload reopens the juror's grid.
        saved_grid = gr.BrowserState(None, storage_key="rncp-coach-grid")
        saved_juror = gr.BrowserState("", storage_key="rncp-coach-juror")
        with gr.Tabs() as tabs:
            # Candidat ------------------------------------------------------------------------------------
            with gr.Tab("Candidat", id="candidat", elem_id="tab-candidat"), gr.Column(visible=open_tabs) as cand_body:
                with gr.Row():
                    with gr.Column(scale=3):
                        gr.Markdown("### Évaluer mon livrable\nDéposez votre livrable en PDF : chaque indicateur de "
                                    "l'unité est examiné, avec les passages cités et des conseils.")
                        with gr.Row():
                            cand_id = gr.Textbox(label="Identifiant du candidat", value=h.DEFAULT_LOCAL_CANDIDATE,
                                                 elem_id="cand-id")
                            cand_unit = gr.Dropdown(units, value=h.AUTO_UNIT, label="Unité", elem_id="cand-unit")
                        cand_file = gr.File(label="Livrable (PDF)", file_types=[".pdf"], type="filepath",
                                            elem_id="cand-file")
                        cand_pwd = gr.Textbox(label="Mot de passe du PDF (seulement s'il est protégé)", type="password",
                                              elem_id="cand-pwd")
                        cand_go = gr.Button("Évaluer mon livrable", variant="primary", elem_id="cand-assess")
                        cand_error = gr.HTML("", elem_id="cand-error")
                        # When the unit is not sure: the two most likely ones, one click away.
                        cand_unit_pick = gr.Radio([], label="De quelle unité s'agit-il ?", visible=False,
                                                  elem_id="cand-unit-pick")
                        cand_summary = gr.HTML("", elem_id="cand-summary")
                        cand_table = gr.HTML("", elem_id="cand-table")
                        cand_details = gr.HTML("", elem_id="cand-details")
                        cand_progress = gr.HTML("", elem_id="cand-progress")
                        cand_files = gr.File(label="Télécharger le retour (Markdown et PDF)", file_count="multiple",
                                             interactive=False, elem_id="cand-downloads")
                        cand_meta = gr.JSON(visible=False, elem_id="cand-meta")
                        with gr.Accordion("Mes évaluations précédentes", open=False):
                            cand_saved = gr.Dropdown([], label="Évaluation enregistrée", elem_id="cand-saved")
                            with gr.Row():
                                cand_show = gr.Button("Afficher", elem_id="cand-show")
                                cand_refresh = gr.Button("Actualiser la liste")
                    with gr.Column(scale=2, elem_id="cand-chat-col"):
                        gr.Markdown("### Questions sur votre retour")
                        cand_chat = gr.Chatbot(label="Échange avec le coach", height=460, latex_delimiters=[],
                                               feedback_options=None, elem_id="cand-chat")
                        cand_q = gr.Textbox(label="Votre question", elem_id="cand-question",
                                            placeholder="Pourquoi 2.C3.I3 n'est pas validé ? Comment améliorer… ?")
                        cand_send = gr.Button("Envoyer", elem_id="cand-send")
                        # The evidence viewer: a click on a quote of the report shows its page here.
                        cand_view_req = gr.Textbox("", elem_id="cand-view-req", elem_classes=["rc-hidden"],
                                                   show_label=False, container=False)
                        cand_view_caption = gr.Markdown("", elem_id="cand-view-caption")
                        cand_view = gr.Image(None, type="pil", format="png", label="La page citée", interactive=False,
                                             visible=False, elem_id="cand-view")
                cand_assessment = gr.State(None)
                cand_session = gr.State(None)

            # Jury -----------------------------------------------------------------------------------------
            with gr.Tab("Jury", id="jury", elem_id="tab-jury"), gr.Column(visible=open_tabs) as jury_body:
                jury_alert = gr.HTML("", elem_id="jury-warnings")
                jury_error = gr.HTML("", elem_id="jury-error")
                with gr.Row():
                    juror = gr.Textbox(label="Juré (prénom et nom, obligatoire)", elem_id="jury-name", scale=2)
                    grid_dd = gr.Dropdown([], label="Grille d'un candidat", elem_id="jury-grid", scale=4)
                    grid_refresh = gr.Button("Actualiser la liste", scale=1)
                with gr.Accordion("Tableau de la session (une ligne par candidat)", open=False,
                                  elem_id="jury-board-box"):
                    with gr.Row():
                        board_unit = gr.Dropdown([u for u in units if u[1] != h.AUTO_UNIT], value=None,
                                                 label="Unité de la session", elem_id="jury-board-unit", scale=3)
                        board_btn = gr.Button("Afficher le tableau", elem_id="jury-board-show", scale=1)
                    board = gr.Dataframe(headers=["Candidat"], value=[], interactive=False, wrap=True,
                                         label="Cliquez sur une ligne pour ouvrir la grille (colonnes triables)",
                                         elem_id="jury-board")
                    board_ids = gr.State([])
                with gr.Accordion("Statistiques d'accord outil / jury", open=False, elem_id="jury-stats-box"):
                    with gr.Row():
                        stats_unit = gr.Dropdown(units, value=h.AUTO_UNIT, label="Unité (ou toutes)",
                                                 elem_id="jury-stats-unit", scale=3)
                        stats_btn = gr.Button("Afficher les statistiques", elem_id="jury-stats-show", scale=1)
                    stats_text = gr.Markdown("", elem_id="jury-stats-text")
                    stats_img = gr.Image(None, type="filepath", format="png", show_label=False, interactive=False,
                                         visible=False, elem_id="jury-stats-plot")
                    stats_table = gr.Dataframe(headers=["Grille", "Critère", "Indicateur", "Proposition de l'outil",
                                                        "Décision du jury", "Commentaire"], value=[],
                                               interactive=False, wrap=True, elem_id="jury-disagreements",
                                               label="Désaccords (cliquez sur une ligne pour ouvrir la grille)")
                # The open grid's candidate, file and progress come first; the pre-fill panel folds once a
                # grid is open.
                grid_header = gr.HTML("", elem_id="jury-header")
                with gr.Accordion("Pré-remplir une grille à partir d'un livrable (PDF)", open=False,
                                  elem_id="jury-prefill-box") as prefill_box:
                    with gr.Row():
                        jury_cand = gr.Textbox(label="Identifiant du candidat", elem_id="jury-cand")
                        jury_unit = gr.Dropdown(units, value=h.AUTO_UNIT, label="Unité", elem_id="jury-unit")
                    jury_file = gr.File(label="Livrable du candidat (PDF)", file_types=[".pdf"], type="filepath",
                                        elem_id="jury-file")
                    jury_pwd = gr.Textbox(label="Mot de passe du PDF (s'il est protégé)", type="password")
                    jury_prefill_btn = gr.Button("Pré-remplir la grille", variant="primary", elem_id="jury-prefill")
                grid_state = gr.State(None)
                jury_view_req = gr.Textbox("", elem_id="jury-view-req", elem_classes=["rc-hidden"], show_label=False,
                                           container=False)
                with gr.Accordion("La page citée", open=True, visible=False, elem_id="jury-view-box") as jury_view_box:
                    jury_view_caption = gr.Markdown("", elem_id="jury-view-caption")
                    jury_view = gr.Image(None, type="pil", format="png", show_label=False, interactive=False,
                                         elem_id="jury-view")
                gr.render(inputs=[grid_state])(grid_lines_renderer(
                    settings, viewer, juror=juror, grid_header=grid_header, saved_juror=saved_juror))
                with gr.Accordion("Corriger le verdict d'un indicateur", open=False):
                    with gr.Row():
                        ind_dd = gr.Dropdown([], label="Indicateur", elem_id="jury-ind")
                        ind_verdict = gr.Dropdown(VERDICT_CHOICES, label="Verdict du jury", elem_id="jury-verdict")
                    ind_comment = gr.Textbox(label="Commentaire", elem_id="jury-ind-comment")
                    ind_save = gr.Button("Enregistrer l'indicateur", elem_id="jury-ind-save")
                with gr.Row():
                    confirm_btn = gr.Button("Confirmer les propositions restantes", elem_id="jury-confirm-rest")
                    sign_btn = gr.Button("Signer la grille", variant="primary", interactive=False, elem_id="jury-sign")
                    export_btn = gr.Button("Exporter (XLSX, PDF, CSV)", interactive=False, elem_id="jury-export")
                jury_files = gr.File(label="Exports de la grille", file_count="multiple", interactive=False,
                                     elem_id="jury-exports")

            # Formateur ------------------------------------------------------------------------------------
            with (gr.Tab("Formateur", id="formateur", elem_id="tab-formateur"),
                  gr.Column(visible=open_tabs) as form_body):
                with gr.Row():
                    with gr.Column(scale=3):
                        gr.Markdown("### Questions sur le référentiel\nChaque réponse cite l'unité, le critère et "
                                    "l'indicateur, mot pour mot.")
                        form_chat = gr.Chatbot(label="Réponses citées", height=420, latex_delimiters=[],
                                               feedback_options=None, elem_id="form-chat")
                        form_q = gr.Textbox(label="Votre question", elem_id="form-question",
                                            placeholder="Qu'attend le jury sur le choix des prestataires ?")
                        form_send = gr.Button("Poser la question", variant="primary", elem_id="form-send")
                        form_cites = gr.HTML("", elem_id="form-cites")
                    with gr.Column(scale=2):
                        gr.Markdown("### Le référentiel")
                        gr.HTML(referentiel_html(ref), elem_id="form-ref")
                form_session = gr.State(None)

        # Page load: who is there, which tabs, restored juror state -----------------------------------
        def on_load(last_grid: str | None, last_juror: str | None, request: gr.Request):
            try:
                v = viewer(request)
            except CoachError as exc:
                hidden = gr.update(visible=False)
                return (error_html(*h.message_of(exc)), tab_gate(()), gr.update(visible=True), hidden, hidden, hidden,
                        gr.update(), gr.update(), gr.update(), gr.update(), None, "", gr.update())
            first = v.tabs[0] if v.tabs else "candidat"
            user_line = tab_gate(v.tabs) + '<span data-ready="1"></span>' + (
                "" if v.single_user else f"Connecté : <strong>{esc(v.username)}</strong> ({esc(v.role)})")
            cand_value = gr.update(value=v.candidate, interactive=False) if v.role == "candidat" else gr.update()
            saved = gr.update()
            if "candidat" in v.tabs:
                try:
                    saved = gr.update(choices=h.saved_reports(settings, v, v.candidate or h.DEFAULT_LOCAL_CANDIDATE),
                                      value=None)
                except CoachError:
                    saved = gr.update()
            grid_choices, grid_value, grid_data, header = gr.update(), None, None, ""
            if "jury" in v.tabs:
                grids = h.jury_grids(settings, v)
                ids = {g.id for g in grids}
                if last_grid not in ids:  # a fresh browser: the grid this account opened last, kept server-side
                    last_grid = h.last_grid(settings, v)
                grid_value = last_grid if last_grid in ids else None
                grid_choices = gr.update(choices=h.grid_choices(grids), value=grid_value)
            # with logins, the juror is the account (shown, not editable); alone, the name typed last time
            juror_value = (last_juror or "") if v.single_user else gr.update(value=v.username, interactive=False)
            return (
                gr.update(), user_line, gr.update(visible=not v.single_user),
                gr.update(visible="candidat" in v.tabs), gr.update(visible="jury" in v.tabs),
                gr.update(visible="formateur" in v.tabs),
                gr.Tabs(selected=first) if first != "candidat" else gr.update(), cand_value, saved,
                grid_choices, grid_data, juror_value, header,
            )

        app.load(on_load, inputs=[saved_grid, saved_juror],
                 outputs=[banner, who, logout, cand_body, jury_body, form_body, tabs, cand_id, cand_saved, grid_dd,
                          grid_state, juror, grid_header], api_name=False)

        # Candidat handlers -----------------------------------------------------------------------------
        def show_report(v: h.Viewer, a) -> tuple:  # noqa: ANN001
            missing = h.missing_by_indicator(coach, a)
            prog = h.draft_progress(settings, v, a.candidate, a.unit) if a.candidate else None
            paths = h.report_files(coach, v, a, progress=prog)
            files = [str(p) for p in paths]
            meta = {"candidate": a.candidate, "file": a.document.file, "sha256": a.document.sha256, "unit": a.unit,
                    "pages": a.document.pages, "indicators": {i.id: i.verdict for i in a.indicators}}
            chart = ""
            if prog and len(prog.drafts) > 1:  # the drafts as a picture, beside the table of changes
                import base64

                drawn = paths[0].parent / h.PROGRESS_PNG  # drawn once, for the PDF report
                png = base64.b64encode(drawn.read_bytes()).decode("ascii")
                chart = (f'<img id="cand-progress-chart" src="data:image/png;base64,{png}" style="max-width:100%" '
                         f'alt="Indicateurs démontrés, partiels et non démontrés pour chacune des '
                         f'{len(prog.drafts)} versions">')
            return (summary_html(a), indicator_table_html(a), indicator_details_html(a, missing),
                    (progress_html(prog) + chart) if prog else "", files, meta)

        def assess(file: str | None, unit: str | None, candidate: str | None, password: str | None,
                   request: gr.Request, progress: gr.Progress = gr.Progress()):  # noqa: B008
            try:
                v = viewer(request)
                a = h.assess_upload(coach, v, file, unit, candidate, password,
                                    progress=lambda f, m: progress(f, desc=m))
                progress(0.95, desc="Préparation du retour")
                summary, table, details, prog, files, meta = show_report(v, a)
                saved = gr.update(choices=h.saved_reports(settings, v, a.candidate), value=None)
            except Exception as exc:  # noqa: BLE001 - shown in the page, the app keeps working
                pick = (gr.update(choices=[(f"Unité {u}", u) for u in exc.choices], value=None, visible=True)
                        if isinstance(exc, UnitUncertain) and exc.choices else gr.update(visible=False))
                return (None, failure(exc), "", "", "", "", None, None, gr.update(), gr.update(), gr.update(),
                        gr.update(), gr.update(), pick, gr.update())
            _discard_gradio_copy(file)
            return (meta, "", summary, table, details, prog, files, a, gr.update(value=None), [], None, saved,
                    gr.update(value=""), gr.update(visible=False, value=None), gr.update())

        assess_outputs = [cand_meta, cand_error, cand_summary, cand_table, cand_details, cand_progress, cand_files,
                          cand_assessment, cand_file, cand_chat, cand_session, cand_saved, cand_pwd, cand_unit_pick,
                          cand_unit]

        def assess_picked(unit: str | None, file: str | None, candidate: str | None, password: str | None,
                          request: gr.Request, progress: gr.Progress = gr.Progress()):  # noqa: B008
            if not unit:
                return tuple(gr.update() for _ in assess_outputs)
            out = assess(file, unit, candidate, password, request, progress)
            return (*out[:-1], gr.update(value=unit) if out[0] is not None else gr.update())

        cand_unit_pick.input(assess_picked, inputs=[cand_unit_pick, cand_file, cand_id, cand_pwd],
                             outputs=assess_outputs, api_name=False, concurrency_limit=ASSESS_CONCURRENCY,
                             concurrency_id="assess")
        cand_go.click(
            assess, inputs=[cand_file, cand_unit, cand_id, cand_pwd],
            outputs=assess_outputs,
            api_name="evaluer", concurrency_limit=ASSESS_CONCURRENCY, concurrency_id="assess",
        )

        def show_saved(key: str | None, candidate: str | None, request: gr.Request):
            try:
                v = viewer(request)
                a = h.load_report(settings, v, candidate, key)
                summary, table, details, prog, files, _ = show_report(v, a)
            except Exception as exc:  # noqa: BLE001
                return failure(exc), "", "", "", "", None, None, [], None
            return "", summary, table, details, prog, files, a, [], None

        cand_show.click(show_saved, inputs=[cand_saved, cand_id],
                        outputs=[cand_error, cand_summary, cand_table, cand_details, cand_progress, cand_files,
                                 cand_assessment, cand_chat, cand_session], api_name="retour_enregistre")

        def refresh_saved(candidate: str | None, request: gr.Request):
            try:
                return gr.update(choices=h.saved_reports(settings, viewer(request), candidate), value=None), ""
            except Exception as exc:  # noqa: BLE001
                return gr.update(), failure(exc)

        cand_refresh.click(refresh_saved, inputs=[cand_id], outputs=[cand_saved, cand_error], api_name=False)

        def cand_ask(message: str, history: list | None, session, assessment, candidate: str | None,  # noqa: ANN001
                     request: gr.Request) -> Iterator[tuple]:
            history = list(history or [])
            message = (message or "").strip()
            if not message:
                yield history, session, ""
                return
            history.append({"role": "user", "content": message})
            try:
                if session is None:
                    session = h.chat_session(coach, viewer(request), "candidat", candidate, assessment)
                history.append({"role": "assistant", "content": "…"})
                for text in h.chat_stream(session, message):
                    history[-1] = {"role": "assistant", "content": text}
                    yield history, session, ""
            except Exception as exc:  # noqa: BLE001 - the error becomes the answer
                history[-1:] = [history[-1]] if history[-1]["role"] == "user" else []
                history.append({"role": "assistant", "content": chat_failure(exc)})
                yield history, session, ""

        for trigger in (cand_send.click, cand_q.submit):
            trigger(cand_ask, inputs=[cand_q, cand_chat, cand_session, cand_assessment, cand_id],
                    outputs=[cand_chat, cand_session, cand_q], api_name=False)

        def show_cand_page(request_text: str, assessment, request: gr.Request):  # noqa: ANN001
            try:
                image, caption = h.evidence_page(settings, viewer(request), request_text, assessment=assessment)
            except Exception as exc:  # noqa: BLE001
                return gr.update(visible=False), failure(exc)
            return gr.update(value=image, visible=True), caption

        cand_view_req.change(show_cand_page, inputs=[cand_view_req, cand_assessment],
                            outputs=[cand_view, cand_view_caption], api_name=False)

        def show_jury_page(request_text: str, grid_data: dict | None, request: gr.Request):
            try:
                grid = Grid.model_validate(grid_data) if grid_data else None
                image, caption = h.evidence_page(settings, viewer(request), request_text, grid=grid)
            except Exception as exc:  # noqa: BLE001
                return gr.update(visible=True), gr.update(), failure(exc)
            return gr.update(visible=True), image, caption

        jury_view_req.change(show_jury_page, inputs=[jury_view_req, grid_state],
                            outputs=[jury_view_box, jury_view, jury_view_caption], api_name=False)

        # Jury handlers ----------------------------------------------------------------------------------
        def grid_view(v: h.Viewer, grid: Grid) -> tuple:
            signed = grid.status == "signed"
            alert = warnings_html(h.grid_warnings(settings, v, grid))
            inds = [(f"{i.item_id} — {i.title[:70]}", i.item_id) for i in grid.indicators]
            return (grid.model_dump(mode="json"), grid_header_html(grid), alert,
                    gr.update(choices=inds, value=None, interactive=not signed),
                    gr.update(interactive=not signed), gr.update(interactive=not signed),
                    gr.update(interactive=not signed), gr.update(interactive=not signed), gr.update(interactive=True))

        grid_outputs = [grid_state, grid_header, jury_alert, ind_dd, ind_verdict, ind_comment, ind_save, sign_btn,
                        export_btn]

        def open_grid(grid_id: str | None, request: gr.Request):
            if not grid_id:
                return ("", None, "", "", gr.update(choices=[], value=None), *[gr.update(interactive=False)] * 5,
                        None)
            try:
                v = viewer(request)
                view = grid_view(v, h.jury_grid(settings, v, grid_id))
                h.remember_grid(settings, v, grid_id)
                return ("", *view, grid_id)
            except Exception as exc:  # noqa: BLE001
                return (failure(exc), *[gr.update()] * 9, None)

        grid_dd.change(open_grid, inputs=[grid_dd], outputs=[jury_error, *grid_outputs, saved_grid],
                       api_name="ouvrir_grille")

        def show_board(unit: str | None, request: gr.Request):
            try:
                header, rows, ids = h.session_board(settings, viewer(request), unit)
            except Exception as exc:  # noqa: BLE001
                return gr.update(), [], failure(exc)
            return gr.update(value=rows or None, headers=header), ids, ""

        board_btn.click(show_board, inputs=[board_unit], outputs=[board, board_ids, jury_error], api_name=False)

        def pick_from_board(ids: list, request: gr.Request, evt: gr.SelectData):
            """A click on a row opens that candidate's grid (the row's candidate, whatever the sort)."""
            try:
                candidate = evt.row_value[0] if evt.row_value else None
                grids = h.jury_grids(settings, viewer(request))
                target = next((g.id for g in reversed(grids) if g.candidate == candidate and g.id in ids), None)
                if target is None:
                    return gr.update(), ""
                return gr.update(choices=h.grid_choices(grids), value=target), ""
            except Exception as exc:  # noqa: BLE001
                return gr.update(), failure(exc)

        board.select(pick_from_board, inputs=[board_ids], outputs=[grid_dd, jury_error], api_name=False)

        def show_stats(unit: str | None, request: gr.Request):
            try:
                png, text, rows = h.agreement_view(settings, viewer(request), unit)
            except Exception as exc:  # noqa: BLE001
                return failure(exc), gr.update(visible=False), []
            return text, gr.update(value=str(png) if png else None, visible=png is not None), rows or None

        stats_btn.click(show_stats, inputs=[stats_unit], outputs=[stats_text, stats_img, stats_table], api_name=False)

        def open_disagreement(request: gr.Request, evt: gr.SelectData):
            try:
                grid_id = evt.row_value[0] if evt.row_value else None
                grids = h.jury_grids(settings, viewer(request))
                if grid_id not in {g.id for g in grids}:
                    return gr.update(), ""
                return gr.update(choices=h.grid_choices(grids), value=grid_id), ""
            except Exception as exc:  # noqa: BLE001
                return gr.update(), failure(exc)

        stats_table.select(open_disagreement, inputs=[], outputs=[grid_dd, jury_error], api_name=False)

        def refresh_grids(current: str | None, request: gr.Request):
            try:
                grids = h.jury_grids(settings, viewer(request))
                return gr.update(choices=h.grid_choices(grids), value=current), ""
            except Exception as exc:  # noqa: BLE001
                return gr.update(), failure(exc)

        grid_refresh.click(refresh_grids, inputs=[grid_dd], outputs=[grid_dd, jury_error], api_name=False)

        def prefill(file: str | None, candidate: str | None, unit: str | None, password: str | None,
                    request: gr.Request, progress: gr.Progress = gr.Progress()):  # noqa: B008
            try:
                v = viewer(request)
                grid = h.jury_prefill(coach, v, file, candidate, unit, password,
                                      progress=lambda f, m: progress(f, desc=m))
                grids = h.jury_grids(settings, v)
            except Exception as exc:  # noqa: BLE001
                return failure(exc), gr.update(), gr.update(), gr.update()
            _discard_gradio_copy(file)
            return "", gr.update(choices=h.grid_choices(grids), value=grid.id), gr.update(value=None), \
                gr.update(open=False)

        jury_prefill_btn.click(prefill, inputs=[jury_file, jury_cand, jury_unit, jury_pwd],
                               outputs=[jury_error, grid_dd, jury_file, prefill_box], api_name="prefill_grille",
                               concurrency_limit=ASSESS_CONCURRENCY, concurrency_id="assess")

        def save_indicator(grid_data: dict | None, indicator: str | None, verdict: str | None, comment: str | None,
                           juror_name: str | None, request: gr.Request):
            try:
                if not grid_data:
                    raise CoachError("Choisissez d'abord une grille.", code="grid_required")
                if not indicator:
                    raise CoachError("Choisissez l'indicateur à corriger.", code="unknown_indicator")
                grid = Grid.model_validate(grid_data)
                line = grid.line(indicator)
                v = viewer(request)
                grid = h.jury_decide(settings, v, grid.id, criterion=line.criterion_id if line else "", level=None,
                                     juror=juror_name, comment=comment, indicator=indicator, verdict=verdict)
            except Exception as exc:  # noqa: BLE001
                return failure(exc), gr.update(), gr.update()
            return (notice_html(f"Verdict enregistré pour {indicator}.", "ok"), grid.model_dump(mode="json"),
                    grid_header_html(grid))

        ind_save.click(save_indicator, inputs=[grid_state, ind_dd, ind_verdict, ind_comment, juror],
                       outputs=[jury_error, grid_state, grid_header], api_name=False)

        def sign_grid(grid_data: dict | None, juror_name: str | None, request: gr.Request):
            try:
                if not grid_data:
                    raise CoachError("Choisissez d'abord une grille.", code="grid_required")
                v = viewer(request)
                grid = h.jury_sign(settings, v, grid_data["id"], juror_name)
                return (notice_html(f"Grille signée par {grid.signed_by} : elle est désormais en lecture seule.",
                                    "ok"), *grid_view(v, grid))
            except Exception as exc:  # noqa: BLE001
                return (failure(exc), *[gr.update()] * 9)

        sign_btn.click(sign_grid, inputs=[grid_state, juror], outputs=[jury_error, *grid_outputs], api_name=False)

        def confirm_rest(grid_data: dict | None, juror_name: str | None, request: gr.Request):
            try:
                if not grid_data:
                    raise CoachError("Choisissez d'abord une grille.", code="grid_required")
                v = viewer(request)
                grid, done = h.jury_confirm_remaining(settings, v, grid_data["id"], juror_name)
                text = (f"Propositions confirmées : {', '.join(done)} (chaque confirmation est journalisée)."
                        if done else "Aucune proposition restante à confirmer.")
                return (notice_html(text, "ok"), *grid_view(v, grid))
            except Exception as exc:  # noqa: BLE001
                return (failure(exc), *[gr.update()] * 9)

        confirm_btn.click(confirm_rest, inputs=[grid_state, juror], outputs=[jury_error, *grid_outputs],
                          api_name=False)

        def export(grid_data: dict | None, request: gr.Request):
            try:
                if not grid_data:
                    raise CoachError("Choisissez d'abord une grille.", code="grid_required")
                files = h.jury_export(settings, viewer(request), grid_data["id"])
                return "", [str(p) for p in files]
            except Exception as exc:  # noqa: BLE001
                return failure(exc), None

        export_btn.click(export, inputs=[grid_state], outputs=[jury_error, jury_files], api_name="exporter_grille")

        # Formateur handler ------------------------------------------------------------------------------
        def trainer_ask(message: str, history: list | None, session, request: gr.Request) -> Iterator[tuple]:  # noqa: ANN001
            history = list(history or [])
            message = (message or "").strip()
            if not message:
                yield history, gr.update(), session, ""
                return
            history.append({"role": "user", "content": message})
            try:
                v = viewer(request)
                h.require_role(v, "formateur")
                if session is None:  # the citations are shown once, beside the answer
                    session = h.chat_session(coach, v, "formateur", inline_sources=False)
                history.append({"role": "assistant", "content": "…"})
                for text in h.chat_stream(session, message):
                    history[-1] = {"role": "assistant", "content": text}
                    yield history, gr.update(), session, ""
                reply = session.last_reply
                cites = citations_html([Citation.model_validate(c) for c in reply.citations]) if reply else ""
                yield history, cites, session, ""
            except Exception as exc:  # noqa: BLE001
                history.append({"role": "assistant", "content": chat_failure(exc)})
                yield history, failure(exc), session, ""

        for trigger in (form_send.click, form_q.submit):
            trigger(trainer_ask, inputs=[form_q, form_chat, form_session],
                    outputs=[form_chat, form_cites, form_session, form_q], api_name=False)

    app.queue(default_concurrency_limit=2)
    return app


def launch(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860, *,
           coach: Coach | None = None, block: bool = True, quiet: bool = False):  # noqa: ANN201
    """Index the référentiel if needed, then serve the app (refused on a non-local host without users file)."""
    settings = settings or Settings.from_env()
    h.check_host(settings, host)
    coach = coach or Coach(settings)
    coach.referentiel_index()
    app = create_app(settings, coach)
    app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=quiet)
    return app
