"""Config: settings from the environment, atomic file writes, loading prompts and data files.
May import: assistant.domain.
Must not import: any other part (text, models, knowledge, judging, assessment, records, exports, interfaces)."""
