"""Prompts: data only (YAML, Markdown, Jinja templates), read through assistant.config.prompting.
May import: nothing (no code lives here).
Must not import: anything."""
