"""Domain: the référentiel and document models, the verdict/level vocabulary, candidate ids, error codes.
May import: the standard library and third-party libraries (pydantic) only.
Must not import: anything else of ours (no other part of assistant, no ingestion)."""
