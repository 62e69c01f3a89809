"""Interfaces: the shells around the product: the CLI, the terminal chat and the web app.
May import: every other part of assistant, and ingestion.
Must not import: evals or tests; nothing below imports an interface."""
