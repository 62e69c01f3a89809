"""What the CLI commands share: the output formats, the session's Coach and settings, JSON output.

Commands call these through the module (``common.make_coach()``), so that tests can replace them.
"""

from __future__ import annotations

import json
from enum import Enum

import typer


class TextJson(str, Enum):
    text = "text"
    json = "json"


class TextJsonYaml(str, Enum):
    text = "text"
    json = "json"
    yaml = "yaml"


def make_coach():  # noqa: ANN202
    from assistant.assessment.coach import Coach

    return Coach()


def echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))



def settings():  # noqa: ANN201
    from assistant.config.settings import Settings

    return Settings.from_env()
