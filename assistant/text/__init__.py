"""Text: French normalisation and tokens, BM25, reciprocal rank fusion; pure functions.
May import: assistant.domain.
Must not import: config, models or any higher part."""
