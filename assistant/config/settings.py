"""One settings object, read from ``RNCP_COACH_*`` environment variables.

Nothing is created on import: directories are made by the code that writes into them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from assistant.domain.errors import ConfigError

ENV_PREFIX = "RNCP_COACH_"

# Name of each setting -> (environment variable, French description). The README documents them all
# (a test checks it).
ENV_VARS: dict[str, str] = {
    "home": "RNCP_COACH_HOME",
    "embeddings": "RNCP_COACH_EMBEDDINGS",
    "chroma_url": "RNCP_COACH_CHROMA_URL",
    "referentiel": "RNCP_COACH_REFERENTIEL",
    "max_pdf_mb": "RNCP_COACH_MAX_PDF_MB",
    "max_pdf_pages": "RNCP_COACH_MAX_PDF_PAGES",
    "llm": "RNCP_COACH_LLM",
    "llm_url": "RNCP_COACH_LLM_URL",
    "llm_api_key": "RNCP_COACH_LLM_API_KEY",
    "llm_timeout_s": "RNCP_COACH_LLM_TIMEOUT",
    "users_file": "RNCP_COACH_USERS",
    "stats_min_kappa": "RNCP_COACH_STATS_MIN_KAPPA",
    "stats_min_decisions": "RNCP_COACH_STATS_MIN_DECISIONS",
    "ocr": "RNCP_COACH_OCR",
}


def _default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("rncp-coach", appauthor=False))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=_default_home)
    embeddings: str = "e5"
    chroma_url: str | None = None
    referentiel: str = "chef-de-projet-marketing-communication"
    max_pdf_mb: float = 20.0
    max_pdf_pages: int = 200
    llm: str = "none"
    llm_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    users_file: Path | None = None
    stats_min_kappa: float = 0.4
    stats_min_decisions: int = 10
    ocr: str = "tesseract"  # Tesseract's command (name or path) for image-only pages; "off" to never OCR

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, var in ENV_VARS.items():
            raw = env.get(var)
            if raw is not None and raw.strip() != "":
                values[name] = raw.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigError(
                f"Réglage invalide : {exc}. Vérifiez les variables d'environnement RNCP_COACH_*."
            ) from exc

    # Derived locations -------------------------------------------------------------------------
    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def grids_db(self) -> Path:
        return self.home / "grids.sqlite3"

    @property
    def referentiels_dir(self) -> Path:
        return self.home / "referentiels"

    @property
    def exports_dir(self) -> Path:
        """Files handed to a browser (reports, grid exports), in fresh 0700 folders, kept one hour."""
        return self.home / "exports"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def results_dir(self) -> Path:
        return self.home / "results"

    @property
    def max_pdf_bytes(self) -> int:
        return int(self.max_pdf_mb * 1024 * 1024)

    def describe(self) -> dict[str, str]:
        """Settings as printable strings, secrets masked."""
        out = {}
        for name in ENV_VARS:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********"
            out[ENV_VARS[name]] = "" if value is None else str(value)
        return out


def offline_environment() -> None:
    """Make every library we load stay offline (no hub download, no telemetry)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
