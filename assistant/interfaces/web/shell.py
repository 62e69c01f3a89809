"""The web app's shell around gradio: theme (system fonts), French error boxes, tab gating by role, the
login and offline launch defaults (``CoachApp``)."""

from __future__ import annotations

import contextvars
import logging
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.assessment.coach import Coach  # noqa: E402
from assistant.config.settings import Settings  # noqa: E402
from assistant.domain.errors import CoachError, UsageError  # noqa: E402
from assistant.interfaces.web import handlers as h  # noqa: E402
from assistant.interfaces.web.render import (  # noqa: E402
    CSS,
    error_html,
)

log = logging.getLogger(__name__)

SINGLE_USER_BANNER = "Mode mono-utilisateur (accès local uniquement)"
ASSESS_CONCURRENCY = 4
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
AUTH_MESSAGE = ("<p>Connectez-vous avec l'identifiant et le mot de passe fournis par votre centre de "
                "certification.</p>")


def theme() -> gr.themes.Base:
    """The default theme with system fonts: nothing is fetched from a font server."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


# Errors: a French box in the page, never a traceback -------------------------------------------------
def failure(exc: BaseException) -> str:
    if isinstance(exc, CoachError):
        return error_html(*h.message_of(exc))
    log.exception("unexpected error in the web app")
    return error_html("internal", "Une erreur inattendue est survenue. Réessayez ; si le problème persiste, "
                                  "signalez-le à l'administrateur (le détail est dans le journal du serveur).")


def tab_gate(allowed: tuple[str, ...]) -> str:
    """CSS hiding the tab buttons a role may not use (gradio does not reliably hide a tab by update); the tabs'
    contents are hidden too, and the handlers refuse the calls anyway."""
    hidden = [f"#tab-{t}-button" for t in ("candidat", "jury", "formateur") if t not in allowed]
    return f"<style>{', '.join(hidden)} {{display: none !important}}</style>" if hidden else ""


def chat_failure(exc: BaseException) -> str:
    if isinstance(exc, CoachError):
        code, message = h.message_of(exc)
        return f"**[{code}]** {message}"
    log.exception("unexpected error in the chat")
    return "**[internal]** Une erreur inattendue est survenue : reformulez ou réessayez."


def _username(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None


def _discard_gradio_copy(path: str | None) -> None:
    """Delete gradio's cached copy of an upload once we hold our own (it is never served again)."""
    if not path:
        return
    from gradio.utils import get_upload_folder

    p = Path(path).resolve()
    if p.is_file() and Path(get_upload_folder()).resolve() in p.parents:
        p.unlink(missing_ok=True)


# The network address of the request being served: gradio's login hook only receives the username and
# password, so a small ASGI middleware keeps the address for it (per-address backoff).
CLIENT_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("rncp_client_address", default=None)


class ClientAddress:
    """ASGI middleware: the client's address, for :func:`login_ok`, during each HTTP request."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        client = scope.get("client") if scope.get("type") == "http" else None
        token = CLIENT_ADDRESS.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT_ADDRESS.reset(token)


def login_ok(users_file, username: str, password: str) -> bool:  # noqa: ANN001
    """Gradio's login check: a throttled account or address is refused like a wrong password (and logged)."""
    from assistant.records.users import authenticate

    try:
        return authenticate(users_file, username, password, address=CLIENT_ADDRESS.get()) is not None
    except UsageError:
        return False


# A click (or Enter) on a quote of the report or of the grid asks its page: the quote's reference goes into
# the tab's hidden request box, whose « change » event the app listens to. No external script is loaded.
VIEWER_SCRIPT = """<script>
(function () {
  function ask(el) {
    var view = el.getAttribute('data-view');
    var id = '#' + view.split('|')[0].replace('candidat', 'cand') + '-view-req';
    var box = document.querySelector(id + ' textarea, ' + id + ' input');
    if (!box) return;
    box.value = view + '|' + Date.now();  // a new value each time: a second click shows the page again
    box.dispatchEvent(new Event('input', {bubbles: true}));
  }
  document.addEventListener('click', function (e) {
    var el = e.target.closest && e.target.closest('[data-view]');
    if (el) { e.preventDefault(); ask(el); }
  });
  document.addEventListener('keydown', function (e) {
    var el = e.target.closest && e.target.closest('[data-view]');
    if (el && e.key === 'Enter') { ask(el); }
  });
  // the jury grid: Alt+↓ / Alt+↑ moves to the next / previous line's decision (capture phase: before
  // the dropdown's own arrow keys)
  document.addEventListener('keydown', function (e) {
    if (!e.altKey || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
    var lines = Array.prototype.slice.call(document.querySelectorAll('.rc-line'))
      .filter(function (ln) { return !(ln.parentElement && ln.parentElement.closest('.rc-line')); });
    var here = lines.findIndex(function (ln) { return ln.contains(document.activeElement); });
    var next = lines[here + (e.key === 'ArrowDown' ? 1 : -1)] || (here < 0 ? lines[0] : null);
    var target = next && next.querySelector('[id^="level-"] input');
    if (target) {
      e.preventDefault(); e.stopPropagation();
      if (document.activeElement) document.activeElement.blur();
      target.focus(); next.scrollIntoView({block: 'center'});
    }
  }, true);
})();
</script>"""


_PRIVATE = ("chroma", "uploads", "results", "referentiels", "grids.sqlite3", "grids.sqlite3-wal", "grids.sqlite3-shm",
            "vectors.sqlite3", "vectors.sqlite3-wal", "vectors.sqlite3-shm", "web-last-grids.json")


def private_paths(settings: Settings) -> list[str]:
    """Every entry of the home (known ones, and any present at start) but ``exports``, and the users file:
    gradio refuses to serve them, whatever a request asks."""
    home = settings.home
    names = set(_PRIVATE) | ({p.name for p in home.iterdir()} if home.is_dir() else set())
    paths = [str(home / n) for n in sorted(names - {settings.exports_dir.name})]
    return paths + ([str(settings.users_file)] if settings.users_file else [])


class CoachApp(gr.Blocks):
    """gr.Blocks whose ``launch`` brings the app's theme, CSS, login and offline defaults."""

    settings: Settings
    coach: Coach

    def launch(self, *args: Any, **kwargs: Any):  # noqa: ANN201
        settings = self.settings
        kwargs.setdefault("theme", theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", VIEWER_SCRIPT)
        kwargs.setdefault("footer_links", [])
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("share", False)
        kwargs.setdefault("show_error", False)
        kwargs.setdefault("max_file_size", 2 * settings.max_pdf_bytes + 1024 * 1024)  # the French check comes first
        # Nothing under the home is served but the exports (a fresh random folder per download).
        kwargs.setdefault("blocked_paths", private_paths(settings))
        kwargs.setdefault("allowed_paths", [str(settings.exports_dir)])
        if settings.users_file is not None:
            users_file = settings.users_file
            kwargs.setdefault("auth", lambda u, p: login_ok(users_file, u, p))
            from starlette.middleware import Middleware

            app_kwargs = dict(kwargs.get("app_kwargs") or {})
            app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(ClientAddress)]
            kwargs["app_kwargs"] = app_kwargs
            kwargs.setdefault("auth_message", AUTH_MESSAGE)
        return super().launch(*args, **kwargs)
