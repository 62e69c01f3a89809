"""Optional chat model, through LangChain's interfaces.

``RNCP_COACH_LLM`` = ``none`` (default) | ``ollama:<model>`` | ``openai:<model>`` (any OpenAI-compatible
server, base URL from ``RNCP_COACH_LLM_URL``, key from ``RNCP_COACH_LLM_API_KEY``, never logged).
Provider packages are optional extras; a missing one is a clear error naming the extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from langchain_core.language_models import BaseChatModel

from assistant.config.settings import Settings
from assistant.domain.errors import ConfigError

T = TypeVar("T")
RETRIES = 2
BACKOFF_S = 0.5


class ModelUnavailable(Exception):
    """The chat model could not be reached or answered garbage: callers fall back to the offline path."""


def get_chat_model(settings: Settings) -> BaseChatModel | None:
    spec = (settings.llm or "none").strip()
    if spec in {"", "none", "off"}:
        return None
    provider, _, model = spec.partition(":")
    if not model:
        raise ConfigError(
            f"RNCP_COACH_LLM={spec} : indiquez le modèle, par ex. ollama:mistral ou openai:gpt-4o-mini.",
        )
    if provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise ConfigError(
                "Le fournisseur Ollama n'est pas installé : pip install 'rncp-coach[ollama]'.",
                code="missing_extra",
            ) from exc
        kwargs = {"model": model, "temperature": 0, "client_kwargs": {"timeout": settings.llm_timeout_s}}
        if settings.llm_url:
            kwargs["base_url"] = settings.llm_url
        return ChatOllama(**kwargs)
    if provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise ConfigError(
                "Le fournisseur OpenAI-compatible n'est pas installé : pip install 'rncp-coach[openai]'.",
                code="missing_extra",
            ) from exc
        kwargs = {"model": model, "temperature": 0, "timeout": settings.llm_timeout_s, "max_retries": 0}
        if settings.llm_url:
            kwargs["base_url"] = settings.llm_url
        kwargs["api_key"] = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "sans-cle"
        return ChatOpenAI(**kwargs)
    raise ConfigError(
        f"Fournisseur de modèle inconnu « {provider} ». Valeurs possibles : none, ollama:<modèle>, "
        "openai:<modèle>.",
    )


def with_retries(call: Callable[[], T], *, retries: int = RETRIES, backoff_s: float = BACKOFF_S) -> T:
    """Run a model call, retrying with exponential backoff; raise ModelUnavailable at the end."""
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            return call()
        except ModelUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any provider failure means "unavailable"
            last = exc
            if attempt < retries:
                time.sleep(backoff_s * (2**attempt))
    raise ModelUnavailable(f"{last.__class__.__name__}: {last}") from last


def model_name(model: BaseChatModel | None) -> str:
    if model is None:
        return "aucun"
    return getattr(model, "model", None) or getattr(model, "model_name", None) or model.__class__.__name__
