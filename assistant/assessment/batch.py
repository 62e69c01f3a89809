"""Batch jury sessions: assess every PDF of a folder against one unit, resumably, with a summary CSV.

    assess_batch(coach, folder, unit, workers=2) -> BatchReport

- The candidate id comes from the file name (slugified so it is a valid id, see
  :func:`candidate_id_from_name`) or from a CSV mapping ``file,candidate`` (``;`` or ``,``).
- One JSON result per document in the output folder (default ``<folder>/resultats/``), named
  ``<candidate>__<sha256[:12]>.json``: the public assessment plus a ``settings_key`` (hash of the
  embedding model, judge model version, prompt version, unit and référentiel id). Files are written
  atomically (temp file, fsync, ``os.replace``) by the main process only.
- Resumable: a document whose result file exists with the same ``settings_key`` is not assessed again
  (« déjà traité »). A document that fails (``pdf_encrypted``...) is recorded in the summary with its
  code and does not stop the batch; it is tried again on the next run.
- ``synthese.csv`` (``;``-separated, UTF-8 with BOM for Excel) lists every document of the folder.
- Workers: a pool of spawned processes, each with its own ``Coach`` built from the settings and one
  engine thread per core share; workers assess with ``candidate=None``, so they never write the vector
  store (nor anything else). With one worker the documents are assessed in the calling process. With
  ``prefill_grids``, the juror grids are pre-filled afterwards in the main process, one after the other.
  Why processes (``evals/bench.py --compare-executors``, 2 cores): on an idle machine processes, threads
  and inline tie (the embedding engine already uses every core); under CPU contention two one-thread
  processes were 1.2-1.7x faster than one process with two engine threads; and a worker that crashes or
  blows its memory on a hostile file costs one document, not the session.
- One batch at a time per output folder (an advisory lock); temp files left by a killed run are removed.

The session's files are :mod:`assistant.assessment.batch_files`, the worker side
:mod:`assistant.assessment.batch_worker`.
Only the standard library (and ``assistant.domain``) is imported at module level: a spawned worker sets its
thread counts before the embedding engine and numpy are loaded.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.assessment.batch_files import (
    RESULT_FORMAT,
    RESULTS_DIRNAME,
    SUMMARY_NAME,
    BatchItem,
    BatchReport,
    candidate_id_from_name,
    list_pdfs,
    load_record,
    other_unit,
    output_lock,
    read_mapping,
    remove_stale_temps,
    result_name,
    settings_key,
    settings_parts,
    sha256_of,
    write_summary,
)
from assistant.assessment.batch_worker import assess_one, init_worker, worker_assess
from assistant.domain.errors import CoachError, UsageError

EXECUTORS = ("process", "thread")

ProgressCallback = Callable[["BatchItem", int, int], None]


# Progress -------------------------------------------------------------------------------------------
class _Progress:
    """Either the caller's callback, or a rich progress bar with ETA on a terminal, or nothing."""

    def __init__(self, callback: ProgressCallback | None, total: int, to_do: int, show: bool | None) -> None:
        self.callback, self.total, self.done = callback, total, 0
        self.bar = self.task = None
        if callback is None and to_do and show is not False:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(stderr=True)
            if show or console.is_terminal:
                self.bar = Progress(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("•"),
                    TimeElapsedColumn(), TextColumn("• reste"), TimeRemainingColumn(), console=console,
                    transient=False,
                )

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def stage(self, description: str, total: int) -> None:
        if self.bar is not None:
            self.task = self.bar.add_task(description, total=total)

    def advance(self, item: BatchItem, *, report: bool = True) -> None:
        """One step of the current stage; ``report``: also tell the callback (once per document)."""
        if report:
            self.done += 1
            if self.callback is not None:
                self.callback(item, self.done, self.total)
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)


# The batch ------------------------------------------------------------------------------------------
def assess_batch(
    coach,  # noqa: ANN001 - assistant.assessment.coach.Coach
    folder: Path | str,
    unit: str,
    *,
    workers: int = 2,
    output: Path | str | None = None,
    mapping_csv: Path | str | None = None,
    prefill_grids: bool = False,
    progress: ProgressCallback | None = None,
    referentiel: str | None = None,
    executor: str = "process",
    show_progress: bool | None = None,
) -> BatchReport:
    """Assess every PDF of ``folder`` against ``unit``; see the module docstring.

    ``progress(item, done, total)`` is called once per document (skipped ones included, first); without
    it a rich progress bar is shown on a terminal (``show_progress`` forces it on or off).
    Raises :class:`UsageError` for an unknown unit, a missing or empty folder, a bad mapping or another
    batch writing into the same output folder; a document that fails is only recorded.
    """
    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise UsageError(f"Exécuteur inconnu « {executor} » : {', '.join(EXECUTORS)}.", code="usage")
    if workers < 1:
        raise UsageError("Le nombre de processus (--workers) doit être au moins 1.", code="usage")
    ref = coach.referentiel(referentiel)
    unit_obj = ref.unit(unit)  # unknown_unit, exit 2
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"Dossier introuvable : « {folder} ». Indiquez le dossier qui contient les PDF des "
                         "candidats.", code="folder_not_found")
    pdfs = list_pdfs(folder)
    if not pdfs:
        raise UsageError(f"Aucun fichier PDF dans « {folder} ». Déposez-y les livrables des candidats (.pdf).",
                         code="folder_empty")
    mapping = read_mapping(Path(mapping_csv)) if mapping_csv else {}
    out = Path(output) if output else folder / RESULTS_DIRNAME
    out.mkdir(parents=True, exist_ok=True)
    parts = settings_parts(coach, unit, referentiel)
    key = settings_key(parts)
    report = BatchReport(folder=folder, output=out, summary=out / SUMMARY_NAME, unit=unit, settings_key=key,
                         workers=workers, executor=executor if workers > 1 else "inline")
    by_name = {p.name: p for p in pdfs}
    folded = {p.name.casefold(): p.name for p in pdfs}
    mapped: dict[str, str] = {}
    for name, cand in mapping.items():
        real = name if name in by_name else folded.get(name.casefold())
        if real is None:
            report.mapping_unused.append(name)
        else:
            mapped[real] = cand

    with output_lock(out):
        remove_stale_temps(out)
        other = other_unit(out, unit)
        if other is not None:
            raise UsageError(
                f"Le dossier de résultats « {out} » contient déjà des évaluations de l'unité {other}. Choisissez un "
                "autre dossier avec --output (un dossier de résultats par unité).", code="output_other_unit",
            )
        items = [BatchItem(path=p, candidate=mapped.get(p.name) or candidate_id_from_name(p.name)) for p in pdfs]
        report.items = items
        seen: dict[str, BatchItem] = {}
        to_do: list[BatchItem] = []
        for item in items:
            try:
                item.sha256 = sha256_of(item.path)
            except OSError as exc:
                item.status, item.error_code = "failed", "file_unreadable"
                item.error_message = (f"Impossible de lire « {item.file} » ({exc.strerror}). Vérifiez le fichier "
                                      "et ses droits.")
                continue
            name = result_name(item.candidate, item.sha256)
            if name in seen:
                item.status = "duplicate"
                item.error_message = f"même document que « {seen[name].file} » pour ce candidat"
                item.result = out / name
                continue
            seen[name] = item
            item.result = out / name
            record = load_record(item.result) if item.result.exists() else None
            if record is not None and record.get("settings_key") == key and record.get("sha256") == item.sha256:
                item.status, item.record = "skipped", record
            else:
                to_do.append(item)

        with _Progress(progress, len(items), len(to_do), show_progress) as bar:
            for item in items:
                if item.status != "pending":  # skipped, duplicate, or unreadable: reported first
                    bar.advance(item)
            bar.stage(f"Évaluation (unité {unit})", len(to_do))
            for item, outcome in _run(coach, to_do, unit, referentiel, workers, executor):
                _record(item, outcome, parts, key, unit)
                bar.advance(item)
            if prefill_grids:
                ok = [i for i in items if i.status in {"done", "skipped"}]
                bar.stage("Grilles du jury", len(ok))
                for item in ok:
                    _prefill(coach, item, unit)
                    bar.advance(item, report=False)
        for item in items:  # a duplicate shows its twin's outcome
            if item.status == "duplicate":
                twin = seen[result_name(item.candidate, item.sha256)]
                item.record, item.grid_id = twin.record, twin.grid_id
        report.elapsed_s = time.perf_counter() - started
        write_summary(report, [c.id for c in unit_obj.criteria])
    return report


def _run(coach, items: list[BatchItem], unit: str, referentiel: str | None, workers: int,  # noqa: ANN001
         executor: str) -> Iterator[tuple[BatchItem, dict]]:
    """Assess ``items``; yield (item, outcome) as each one finishes."""
    if not items:
        return
    n = min(workers, len(items))
    if n == 1:
        for item in items:
            yield item, assess_one(coach, str(item.path), unit, referentiel)
        return
    import concurrent.futures as cf

    if executor == "thread":
        pool: cf.Executor = cf.ThreadPoolExecutor(n, thread_name_prefix="assess-batch")
        submit = lambda item: pool.submit(assess_one, coach, str(item.path), unit, referentiel)  # noqa: E731
    else:
        import multiprocessing as mp

        threads = max(1, _cpus() // n)
        pool = cf.ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=init_worker,
                                      initargs=(coach.settings, threads, os.getpid()))
        submit = lambda item: pool.submit(worker_assess, str(item.path), unit, referentiel)  # noqa: E731
    futures: dict[Future, BatchItem] = {}
    try:
        futures = {submit(item): item for item in items}
        for fut in cf.as_completed(futures):
            yield futures[fut], _outcome(fut)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _outcome(fut: Future) -> dict:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a worker that died (memory...) fails its document only
        return {"ok": False, "code": "worker_failed",
                "message": f"Le processus d'évaluation s'est arrêté ({exc.__class__.__name__}). Relancez la "
                           "commande : les documents déjà traités ne seront pas refaits.", "seconds": 0.0}


def _record(item: BatchItem, outcome: dict, parts: dict, key: str, unit: str) -> None:
    """Keep a worker's outcome: the result file (atomic) for a success, the error code otherwise."""
    from assistant.config.files import atomic_write_text

    item.seconds = float(outcome.get("seconds", 0.0))
    if not outcome["ok"]:
        item.status, item.error_code, item.error_message = "failed", outcome["code"], outcome["message"]
        item.result = None
        return
    record: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "settings_key": key,
        "settings": parts,
        "candidate": item.candidate,
        "file": item.file,
        "sha256": item.sha256,
        "unit": unit,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "judge": outcome.get("judge"),
        "prompt_version": outcome.get("prompt_version"),
        "seconds": round(item.seconds, 3),
        "assessment": outcome["assessment"],
    }
    assert item.result is not None
    atomic_write_text(item.result, json.dumps(record, ensure_ascii=False, indent=1))
    item.status, item.record = "done", record


def _prefill(coach, item: BatchItem, unit: str) -> None:  # noqa: ANN001
    """Pre-fill the juror grid of a successfully assessed document, unless it already has one."""
    from assistant.records.grid import list_grids, prefill

    try:
        existing = [g for g in list_grids(coach.settings, candidate=item.candidate, unit=unit)
                    if g.sha256 == item.sha256]
        if existing:
            item.grid_id = existing[-1].id
            return
        item.grid_id = prefill(coach, item.path, item.candidate, unit=unit).id
    except CoachError as exc:
        item.grid_error = f"[{exc.code}] {exc.message}"
