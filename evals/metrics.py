"""The figures every judge evaluation prints: kappa, binary and exact agreement, gap recall/precision."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.domain.vocabulary import VERDICT_RANK
from assistant.records.agreement import weighted_kappa

ORDER = VERDICT_RANK  # 0 not evidenced, 1 partial, 2 evidenced


def batch_order(batch: str) -> tuple[int, str]:
    """Sort key of writing batches: 1, 2, ..., 10 (not 1, 10, 2)."""
    return (len(batch), batch)


def scores(gold: Sequence[int], pred: Sequence[int]) -> dict:
    """``gold``/``pred`` in 0 (not evidenced), 1 (partial), 2 (evidenced).

    A gap is a label below « evidenced »; a flag is a verdict below « evidenced ». Gap recall is the
    share of gaps the judge flags, gap precision the share of flags that are gaps.
    """
    g, p = np.asarray(gold, dtype=int), np.asarray(pred, dtype=int)
    if len(g) == 0:
        return {"n": 0}
    gaps, flags = g <= 1, p <= 1
    hit = int((gaps & flags).sum())
    return {
        "n": int(len(g)),
        "kappa": round(weighted_kappa(g, p), 3),
        "binary": round(float(np.mean((g >= 1) == (p >= 1))), 3),
        "exact": round(float(np.mean(g == p)), 3),
        "gap_recall": round(hit / gaps.sum(), 3) if gaps.sum() else float("nan"),
        "gap_precision": round(hit / flags.sum(), 3) if flags.sum() else float("nan"),
        "lenient_misses": int((gaps & (p == 2)).sum()),  # a gap told « démontré »: the failure that matters most
        "baseline_binary": round(float(np.mean(g >= 1)), 3),
        # rows: labels (not, partial, evidenced); columns: verdicts
        "confusion": [[int(((g == a) & (p == b)).sum()) for b in range(3)] for a in range(3)],
    }


def line(name: str, s: dict) -> str:
    if not s.get("n"):
        return f"  {name:<28} (no rows)"
    return (f"  {name:<28} n={s['n']:<4} kappa {s['kappa']:.3f}  binary {s['binary']:.3f}  exact {s['exact']:.3f}  "
            f"gap recall {s['gap_recall']:.3f}  gap precision {s['gap_precision']:.3f}  "
            f"confusion {' | '.join(' '.join(f'{x:3d}' for x in r) for r in s['confusion'])}")
