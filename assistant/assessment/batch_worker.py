"""The worker side of a batch session: a spawned process sets its thread counts, builds its own ``Coach``
and assesses one document at a time with nothing stored.

Only the standard library (and ``assistant.domain.errors``) is imported at module level: a spawned worker sets
its thread counts before the embedding engine and numpy are loaded.
"""

from __future__ import annotations

import os
import threading
import time

from assistant.domain.errors import CoachError

# Assessment of one document (worker side) -----------------------------------------------------------
_WORKER_COACH = None


def _watch_parent(ppid: int) -> None:
    """A worker whose batch process died (killed) exits instead of lingering."""
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(1)


def init_worker(settings, threads: int, ppid: int) -> None:  # noqa: ANN001
    """Process-pool initializer: thread counts first (before numpy and the engine load), then a Coach."""
    global _WORKER_COACH
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    from assistant.assessment.coach import Coach

    _WORKER_COACH = Coach(settings)


def assess_one(coach, path: str, unit: str, referentiel: str | None) -> dict:  # noqa: ANN001
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


def worker_assess(path: str, unit: str, referentiel: str | None) -> dict:
    return assess_one(_WORKER_COACH, path, unit, referentiel)
