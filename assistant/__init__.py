"""rncp-coach: coach candidates, jurors and trainers against a certification's evaluation grid.

The public API is a handful of plain functions; the CLI, chat and web app are thin shells around
them. Importing this package has no side effects and loads no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from assistant.assessment.coach import Coach
    from assistant.domain.referentiel import Referentiel

__all__ = ["Coach", "load_referentiel", "ask"]
__version__ = "0.1.0"


def load_referentiel(ident: str | None = None) -> Referentiel:
    """The bundled référentiel, or an imported one by id."""
    from assistant.config.settings import Settings
    from assistant.knowledge.registry import bundled_referentiel, get_referentiel

    return bundled_referentiel() if ident is None else get_referentiel(Settings.from_env(), ident)


def ask(question: str, coach: Coach | None = None):  # noqa: ANN201
    """Answer a trainer's question from the référentiel (see ``assistant.knowledge.qa``)."""
    from assistant.assessment.coach import Coach

    return (coach or Coach()).ask(question)


def __getattr__(name: str):  # noqa: ANN202
    if name == "Coach":
        from assistant.assessment.coach import Coach

        return Coach
    raise AttributeError(name)
