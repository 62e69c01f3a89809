"""Web: the gradio app (app), its handlers without gradio (handlers) and its HTML rendering (render).
May import: every other part of assistant (the chat engine included), and ingestion.
Must not import: the CLI (assistant.interfaces.cli)."""
