"""PDF reading: open and check (open), extract (extract), hidden text (hidden), clean (clean).
May import: assistant.domain (documents, errors) and assistant.text; pypdf.
Must not import: any other part of assistant (settings are passed in as limits)."""
