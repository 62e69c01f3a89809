"""Knowledge: the Chroma store, the référentiel registry, the référentiel index and the trainer Q&A.
May import: judging (indicator hints), models, ingestion (référentiel files), text, config, domain.
Must not import: assessment, records, exports, interfaces."""
