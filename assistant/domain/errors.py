"""The errors the product raises on purpose.

Each error carries a stable ``code`` (printed in brackets by the CLI, e.g. ``[pdf_encrypted]``), a
French message saying what is wrong and what to do, and the CLI exit status that goes with it.
"""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_RUNTIME = 1


class CoachError(Exception):
    """Base class: a failure a user can understand and act on."""

    code: str = "error"
    exit_code: int = EXIT_RUNTIME

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class UsageError(CoachError):
    """The command was called wrongly (unknown unit, missing option...)."""

    code = "usage"
    exit_code = EXIT_USAGE


class UnitUncertain(UsageError):
    """The deliverable's unit could not be told for sure: ``choices`` are the most likely units, best first,
    for a screen or a chat to offer."""

    code = "unit_uncertain"

    def __init__(self, message: str, *, choices: list[str] | None = None) -> None:
        super().__init__(message, code="unit_uncertain")
        self.choices = list(choices or [])


class InputFileError(CoachError):
    """An input file cannot be used (bad référentiel, bad PDF...)."""

    code = "bad_input"
    exit_code = EXIT_BAD_INPUT


class ReferentielFormatError(InputFileError):
    code = "referentiel_invalid"

    def __init__(self, message: str, *, line: int | None = None, code: str | None = None) -> None:
        self.line = line
        where = f" (ligne {line})" if line is not None else ""
        super().__init__(f"{message}{where}", code=code)


class PdfError(InputFileError):
    """A candidate PDF cannot be read; ``code`` says why (not_pdf, pdf_corrupt, ...)."""

    def __init__(self, code: str, message: str, *, pages: list[int] | None = None) -> None:
        super().__init__(message, code=code)
        self.pages = pages or []


class StoreError(CoachError):
    code = "store_error"


class StoreModelMismatch(StoreError):
    code = "store_model_mismatch"
    exit_code = EXIT_USAGE


class ConfigError(CoachError):
    code = "config_invalid"
    exit_code = EXIT_USAGE


class NotFoundError(CoachError):
    code = "not_found"
    exit_code = EXIT_USAGE


class GridError(CoachError):
    code = "grid_error"
    exit_code = EXIT_USAGE


class AccessDenied(CoachError):
    code = "access_denied"
    exit_code = EXIT_USAGE
