"""Exports: plain text and Markdown, the PDF writer (one), grids as CSV, JSON, XLSX and PDF.
May import: records, knowledge, judging, models, text, config, domain.
Must not import: assessment (an assessment is passed in), interfaces."""
