"""Drive the CLI in-process: exit status, stdout and stderr of one command."""

from __future__ import annotations


def run(capsys, *args: str) -> tuple[int, str, str]:  # noqa: ANN001 - pytest's capsys
    from assistant.interfaces.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
