"""The PDF builders live in ``evals/pdf_fixtures.py`` (the evals use them for their bad inputs too)."""

from evals.pdf_fixtures import *  # noqa: F403
