"""One settings object from the environment; every setting documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config.settings import ENV_VARS, Settings
from assistant.domain.errors import ConfigError

README = Path(__file__).parents[1] / "README.md"


def test_every_setting_is_documented():
    text = README.read_text(encoding="utf-8")
    missing = [var for var in ENV_VARS.values() if var not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_from_env_reads_and_validates(tmp_path):
    s = Settings.from_env({"RNCP_COACH_HOME": str(tmp_path), "RNCP_COACH_MAX_PDF_MB": "2.5",
                           "RNCP_COACH_LLM_API_KEY": "sk-secret"})
    assert s.home == tmp_path and s.max_pdf_bytes == int(2.5 * 1024 * 1024)
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s.describe())
    with pytest.raises(ConfigError, match="RNCP_COACH_"):
        Settings.from_env({"RNCP_COACH_MAX_PDF_PAGES": "beaucoup"})


def test_import_has_no_side_effects(tmp_path):
    import subprocess
    import sys

    home = tmp_path / "never-created"
    code = "import assistant, assistant.interfaces.cli, assistant.assessment.coach, assistant.config.settings, ingestion.referentiel_text"
    env = {"RNCP_COACH_HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parents[1])
    assert not home.exists()
