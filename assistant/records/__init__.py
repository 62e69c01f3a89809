"""Records: the juror grids (SQLite, audit log), the tool/juror agreement statistics, the web users.
May import: knowledge, judging, models, text, config, domain (a grid is filled from an assessment passed in).
Must not import: assessment, exports, interfaces."""
