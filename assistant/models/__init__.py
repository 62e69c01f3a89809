"""Models: the embedding models (e5, MiniLM) and the optional chat model, built from the settings.
May import: assistant.config, assistant.text, assistant.domain.
Must not import: ingestion, judging, knowledge or any higher part."""
