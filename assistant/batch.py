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

Only the standard library (and ``assistant.errors``) is imported at module level: a spawned worker sets
its thread counts before the embedding engine and numpy are loaded.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import CoachError, UsageError
from assistant.vocabulary import VERDICTS

RESULTS_DIRNAME = "resultats"
SUMMARY_NAME = "synthese.csv"
LOCK_NAME = ".assess-batch.lock"
TEMP_PREFIX = ".tmp-"
RESULT_FORMAT = "rncp-coach/batch-result/1"
VERDICT_COLUMNS = {"evidenced": "demontres", "partial": "partiels", "not_evidenced": "non_demontres",
                   "not_assessable": "non_evaluables"}
STATUS_FR = {"done": "traité", "skipped": "déjà traité", "duplicate": "doublon", "failed": "erreur"}
EXECUTORS = ("process", "thread")

ProgressCallback = Callable[["BatchItem", int, int], None]


# Names ----------------------------------------------------------------------------------------------
def candidate_id_from_name(name: str) -> str:
    """A valid candidate id from a file name: last path component (``/`` or ``\\``), without ``.pdf``,
    accents removed, lower case, runs of other characters replaced by ``-``, at most 64 characters.

    ``../../etc/passwd.pdf`` gives ``passwd``, ``Dupont Marie (v2).pdf`` gives ``dupont-marie-v2``; a name
    with nothing usable gives ``candidat``. The result always passes ``check_candidate``.
    """
    from assistant.documents_store import check_candidate

    base = re.split(r"[\\/]", name or "")[-1]
    if base.casefold().endswith(".pdf"):
        base = base[:-4]
    ascii_ = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9._-]+", "-", ascii_)
    slug = re.sub(r"\.{2,}", ".", slug)
    slug = re.sub(r"([._-])[._-]+", r"\1", slug)
    slug = slug.strip("._-")[:64].strip("._-")
    return check_candidate(slug or "candidat")


def result_name(candidate: str, sha256: str) -> str:
    return f"{candidate}__{sha256[:12]}.json"


def list_pdfs(folder: Path) -> list[Path]:
    """The PDFs directly in ``folder`` (``.pdf`` in any case, hidden files ignored), sorted by name."""
    return sorted(
        (p for p in folder.iterdir() if p.suffix.casefold() == ".pdf" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )


def read_mapping(path: Path) -> dict[str, str]:
    """``file,candidate`` rows (``;``, ``,`` or tab separated; an optional header) -> {file name: id}."""
    from assistant.documents_store import check_candidate

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"Fichier de correspondance introuvable : « {path} ».", code="mapping_invalid") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Fichier de correspondance illisible « {path} » ({exc.__class__.__name__}) : "
                         "enregistrez-le en CSV UTF-8.", code="mapping_invalid") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = next((d for d in (";", "\t", ",") if d in first), ",")
    mapping: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and [c.casefold() for c in cells[:2]] in (["file", "candidate"], ["fichier", "candidat"]):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise UsageError(f"Ligne {number} de « {path.name} » : attendu « fichier{delimiter}candidat ».",
                             code="mapping_invalid")
        file_name = re.split(r"[\\/]", cells[0])[-1]
        try:
            candidate = check_candidate(cells[1])
        except UsageError as exc:
            raise UsageError(f"Ligne {number} de « {path.name} » : {exc.message}", code="mapping_invalid") from None
        if mapping.get(file_name, candidate) != candidate:
            raise UsageError(f"Ligne {number} de « {path.name} » : le fichier « {file_name} » est déjà associé au "
                             f"candidat {mapping[file_name]}.", code="mapping_invalid")
        mapping[file_name] = candidate
    return mapping


# Settings key ---------------------------------------------------------------------------------------
def settings_parts(coach, unit: str, referentiel: str | None = None) -> dict[str, str]:  # noqa: ANN001
    """What makes two assessments of the same file comparable."""
    from assistant.embeddings import model_id_of
    from assistant.feedback import prompt_version
    from assistant.judging.offline import load_model

    judge = coach.judge()
    version = load_model().get("version", "") if getattr(judge, "name", "") == "offline" else ""
    return {
        "embeddings": model_id_of(coach.embeddings),
        "judge": f"{getattr(judge, 'name', 'offline')}:{version}",
        "prompt_version": prompt_version(),
        "unit": unit,
        "referentiel": coach.referentiel(referentiel).id,
    }


def settings_key(parts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


# Report ---------------------------------------------------------------------------------------------
@dataclass
class BatchItem:
    path: Path
    candidate: str
    sha256: str = ""
    status: str = "pending"  # done | skipped | duplicate | failed
    result: Path | None = None
    record: dict | None = None  # the result file's content (done and skipped)
    error_code: str = ""
    error_message: str = ""
    seconds: float = 0.0
    grid_id: str = ""
    grid_error: str = ""

    @property
    def file(self) -> str:
        return self.path.name


@dataclass
class BatchReport:
    folder: Path
    output: Path
    summary: Path
    unit: str
    settings_key: str
    workers: int
    executor: str
    items: list[BatchItem] = field(default_factory=list)
    mapping_unused: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def _with(self, *statuses: str) -> list[BatchItem]:
        return [i for i in self.items if i.status in statuses]

    @property
    def processed(self) -> list[BatchItem]:
        return self._with("done")

    @property
    def skipped(self) -> list[BatchItem]:
        return self._with("skipped", "duplicate")

    @property
    def failed(self) -> list[BatchItem]:
        return self._with("failed")

    @property
    def grids(self) -> list[BatchItem]:
        return [i for i in self.items if i.grid_id]

    def text(self) -> str:
        """The French summary printed by ``rncp-coach assess-batch``."""
        n = len(self.items)
        lines = [
            f"Session d'évaluation — unité {self.unit} : {n} document{'s' if n > 1 else ''} "
            f"({self.elapsed_s:.0f} s, {self.workers} en parallèle)",
            f"  {len(self.processed)} traité(s), {len(self.skipped)} ignoré(s) (déjà traités), "
            f"{len(self.failed)} en erreur",
        ]
        if self.failed:
            lines.append("  Documents en erreur :")
            lines += [f"    - {i.file} [{i.error_code}] {i.error_message}" for i in self.failed]
        if any(i.grid_id or i.grid_error for i in self.items):
            lines.append(f"  Grilles pré-remplies : {len(self.grids)}")
            lines += [f"    - {i.file} : grille non créée ({i.grid_error})" for i in self.items if i.grid_error]
        if self.mapping_unused:
            lines.append("  Absents du dossier (fichier de correspondance) : " + ", ".join(self.mapping_unused))
        lines.append(f"  Résultats : {self.output}")
        lines.append(f"  Synthèse : {self.summary}")
        return "\n".join(lines)


# Assessment of one document (worker side) -----------------------------------------------------------
_WORKER_COACH = None


def _watch_parent(ppid: int) -> None:
    """A worker whose batch process died (killed) exits instead of lingering."""
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(1)


def _init_worker(settings, threads: int, ppid: int) -> None:  # noqa: ANN001
    """Process-pool initializer: thread counts first (before numpy and the engine load), then a Coach."""
    global _WORKER_COACH
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    from assistant.coach import Coach

    _WORKER_COACH = Coach(settings)


def _assess_one(coach, path: str, unit: str, referentiel: str | None) -> dict:  # noqa: ANN001
    """Assess one PDF with nothing stored; a plain dict (picklable) either way."""
    start = time.perf_counter()
    try:
        result = coach.assess(path, unit=unit, candidate=None, referentiel=referentiel)
    except CoachError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message, "seconds": time.perf_counter() - start}
    except Exception as exc:  # noqa: BLE001 - one bad document never stops a jury session
        return {"ok": False, "code": "internal_error",
                "message": f"Erreur inattendue pendant l'évaluation ({exc.__class__.__name__}: {exc}). "
                           "Signalez-la avec le fichier concerné.",
                "seconds": time.perf_counter() - start}
    return {"ok": True, "assessment": result.public(), "judge": result.judge,
            "prompt_version": result.prompt_version, "seconds": time.perf_counter() - start}


def _worker_assess(path: str, unit: str, referentiel: str | None) -> dict:
    return _assess_one(_WORKER_COACH, path, unit, referentiel)


# Files ----------------------------------------------------------------------------------------------
def _sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _load_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("assessment"), dict) else None


def _other_unit(output: Path, unit: str) -> str | None:
    """The unit of a result already in ``output`` when it is not ``unit`` (result names do not hold it)."""
    for path in output.glob("*__*.json"):
        record = _load_record(path)
        if record is not None and str(record.get("unit")) != unit:
            return str(record.get("unit"))
    return None


@contextlib.contextmanager
def _output_lock(output: Path) -> Iterator[None]:
    """One batch at a time writes into ``output``; the lock goes with the process (even killed)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    fd = os.open(output / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UsageError(
                f"Une session d'évaluation écrit déjà dans « {output} ». Attendez qu'elle se termine, ou "
                "choisissez un autre dossier de résultats avec --output.", code="batch_running",
            ) from None
        yield
    finally:
        os.close(fd)


def _remove_stale_temps(output: Path) -> None:
    for tmp in output.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def summary_rows(report: BatchReport, criteria: list[str]) -> list[list[str]]:
    header = ["candidat", "fichier", "sha256", "unite", "statut", *VERDICT_COLUMNS.values(), *criteria,
              "alertes", "code_erreur", "message_erreur", "resultat", "grille"]
    rows = [header]
    for item in sorted(report.items, key=lambda i: (i.file, i.candidate)):
        counts = dict.fromkeys(VERDICTS, "")
        levels = dict.fromkeys(criteria, "")
        warnings = ""
        if item.record:
            a = item.record["assessment"]
            counts = {v: str(sum(1 for i in a.get("indicators", []) if i.get("verdict") == v)) for v in VERDICTS}
            levels.update({c["id"]: c["level"] for c in a.get("criteria", []) if c.get("id") in levels})
            warnings = str(len(a.get("warnings", [])))
        error_code, error_message = item.error_code, item.error_message
        if item.grid_error and not error_code:
            error_code, error_message = "grid_error", item.grid_error
        rows.append([
            item.candidate, item.file, item.sha256, report.unit, STATUS_FR.get(item.status, item.status),
            *(counts[v] for v in VERDICTS), *(levels[c] for c in criteria), warnings, error_code, error_message,
            item.result.name if item.result else "", item.grid_id,
        ])
    return rows


def write_summary(report: BatchReport, criteria: list[str]) -> Path:
    from assistant.files import atomic_write_text

    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(summary_rows(report, criteria))
    atomic_write_text(report.summary, "\ufeff" + buf.getvalue())  # BOM: Excel reads the accents
    return report.summary


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
    coach,  # noqa: ANN001 - assistant.coach.Coach
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

    with _output_lock(out):
        _remove_stale_temps(out)
        other = _other_unit(out, unit)
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
                item.sha256 = _sha256_of(item.path)
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
            record = _load_record(item.result) if item.result.exists() else None
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
            yield item, _assess_one(coach, str(item.path), unit, referentiel)
        return
    import concurrent.futures as cf

    if executor == "thread":
        pool: cf.Executor = cf.ThreadPoolExecutor(n, thread_name_prefix="assess-batch")
        submit = lambda item: pool.submit(_assess_one, coach, str(item.path), unit, referentiel)  # noqa: E731
    else:
        import multiprocessing as mp

        threads = max(1, _cpus() // n)
        pool = cf.ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                      initargs=(coach.settings, threads, os.getpid()))
        submit = lambda item: pool.submit(_worker_assess, str(item.path), unit, referentiel)  # noqa: E731
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
    from assistant.files import atomic_write_text

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
    from assistant.grid import list_grids, prefill

    try:
        existing = [g for g in list_grids(coach.settings, candidate=item.candidate, unit=unit)
                    if g.sha256 == item.sha256]
        if existing:
            item.grid_id = existing[-1].id
            return
        item.grid_id = prefill(coach, item.path, item.candidate, unit=unit).id
    except CoachError as exc:
        item.grid_error = f"[{exc.code}] {exc.message}"

