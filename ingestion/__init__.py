"""Ingestion: reading files into domain objects: PDFs (pdf/), chunking, the référentiel as text or YAML.
May import: assistant.domain and assistant.text only.
Must not import: config, models, knowledge, judging, assessment, records, exports, interfaces."""
