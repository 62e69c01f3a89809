"""Access to the data files in ``prompts/``: YAML texts and Jinja templates rendered strictly."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=64)
def load_yaml(relative: str) -> Any:
    """Load ``prompts/<relative>`` (a YAML file shipped with the package)."""
    path = resources.files("prompts").joinpath(*relative.split("/"))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def prompt_exists(relative: str) -> bool:
    return resources.files("prompts").joinpath(*relative.split("/")).is_file()


def render(template: str, **values: Any) -> str:
    """Render a Jinja template; a missing variable is an error, never an empty string."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    return env.from_string(template).render(**values)
