"""Assessment: the Coach, assessing a document, feedback, progress between drafts, the candidate store, batches.
May import: records (batch grid prefill), knowledge, judging, models, ingestion, text, config, domain.
Must not import: exports, interfaces."""
