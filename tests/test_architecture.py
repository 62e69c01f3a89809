"""The layout holds: the import contracts of pyproject.toml (one-way parts, no cycle) and one `__init__`
docstring per part saying what it owns, what it may import and what it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_every_part_says_what_it_owns_and_may_import() -> None:
    inits = [p for p in (ROOT / "assistant").rglob("__init__.py") if p.parent.name not in {"assistant", "judging"}]
    inits += [ROOT / "ingestion" / "__init__.py", ROOT / "ingestion" / "pdf" / "__init__.py"]
    assert len(inits) >= 10
    for init in inits:
        text = init.read_text(encoding="utf-8")
        assert "May import:" in text and "Must not import:" in text, init
