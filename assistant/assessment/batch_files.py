"""Batch session files: candidate ids from file names or a mapping, result names, the settings key,
the report of a session, the output folder's lock and the summary CSV (``synthese.csv``).

Only the standard library and ``assistant.domain`` are imported at module level (see :mod:`assistant.assessment.batch`).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.domain.errors import UsageError
from assistant.domain.vocabulary import VERDICTS

RESULTS_DIRNAME = "resultats"
SUMMARY_NAME = "synthese.csv"
LOCK_NAME = ".assess-batch.lock"
TEMP_PREFIX = ".tmp-"
RESULT_FORMAT = "rncp-coach/batch-result/1"
VERDICT_COLUMNS = {"evidenced": "demontres", "partial": "partiels", "not_evidenced": "non_demontres",
                   "not_assessable": "non_evaluables"}
STATUS_FR = {"done": "traité", "skipped": "déjà traité", "duplicate": "doublon", "failed": "erreur"}


# Names ----------------------------------------------------------------------------------------------
def candidate_id_from_name(name: str) -> str:
    """A valid candidate id from a file name: last path component (``/`` or ``\\``), without ``.pdf``,
    accents removed, lower case, runs of other characters replaced by ``-``, at most 64 characters.

    ``../../etc/passwd.pdf`` gives ``passwd``, ``Dupont Marie (v2).pdf`` gives ``dupont-marie-v2``; a name
    with nothing usable gives ``candidat``. The result always passes ``check_candidate``.
    """
    from assistant.domain.candidates import check_candidate

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
    from assistant.domain.candidates import check_candidate

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
    from assistant.assessment.feedback import prompt_version
    from assistant.judging.offline import fingerprint
    from assistant.models.embeddings import model_id_of

    judge = coach.judge()
    ref = coach.referentiel(referentiel)
    return {
        "embeddings": model_id_of(coach.embeddings),
        # the judge, its model, hints, checklists and rules: an upgrade of any of them re-assesses
        "judge": f"{getattr(judge, 'name', 'offline')}:{fingerprint(ref.id)}",
        "prompt_version": prompt_version(),
        "unit": unit,
        "referentiel": ref.id,
        "referentiel_content": hashlib.sha256(ref.model_dump_json().encode()).hexdigest()[:16],
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


# Files ----------------------------------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def load_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("assessment"), dict) else None


def other_unit(output: Path, unit: str) -> str | None:
    """The unit of a result already in ``output`` when it is not ``unit`` (result names do not hold it)."""
    for path in output.glob("*__*.json"):
        record = load_record(path)
        if record is not None and str(record.get("unit")) != unit:
            return str(record.get("unit"))
    return None


@contextlib.contextmanager
def output_lock(output: Path) -> Iterator[None]:
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


def remove_stale_temps(output: Path) -> None:
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
    from assistant.config.files import atomic_write_text, spreadsheet_safe

    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(
        [[spreadsheet_safe(v) for v in row] for row in summary_rows(report, criteria)])
    atomic_write_text(report.summary, "\ufeff" + buf.getvalue())  # BOM: Excel reads the accents
    return report.summary
