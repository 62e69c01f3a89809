"""Shared fixtures: a temp home per test, the real models loaded once per session, no network."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

_real_connect = socket.socket.connect


def _guarded_connect(self, address):  # noqa: ANN001, ANN202
    """Tests may talk to this machine only (a Chroma server, the web app); never to the network."""
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in {"localhost", "::1", "0.0.0.0"} or host.startswith("/")
    ):
        raise RuntimeError(f"network access attempted in a test: {address!r}")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("RNCP_COACH_HOME", str(home))
    for var in ("RNCP_COACH_CHROMA_URL", "RNCP_COACH_EMBEDDINGS", "RNCP_COACH_LLM", "RNCP_COACH_USERS"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def e5():
    from assistant.models.embeddings import get_embeddings

    return get_embeddings("e5")


@pytest.fixture(scope="session")
def referentiel():
    from assistant.knowledge.registry import bundled_referentiel

    return bundled_referentiel()


@pytest.fixture()
def coach(tmp_path: Path, e5):
    from assistant.assessment.coach import Coach
    from assistant.config.settings import Settings

    return Coach(Settings(home=tmp_path / "home"), embeddings=e5)


@pytest.fixture(scope="session")
def indexed_coach(tmp_path_factory: pytest.TempPathFactory, e5):
    """A coach whose référentiel is indexed once for the whole session (read-only use)."""
    from assistant.assessment.coach import Coach
    from assistant.config.settings import Settings

    c = Coach(Settings(home=tmp_path_factory.mktemp("shared-home")), embeddings=e5)
    c.referentiel_index()
    return c
