"""Assessment quality on the labelled deliverables, through the real pipeline (CLI-equivalent).

    python -m evals.run_assessment [--split dev|heldout|all] [--json PATH]

Prints: agreement on evidenced-or-partial vs not_evidenced, 3-class accuracy, Cohen's kappa (linear
weights), per-unit and per-criterion tables, the share of quotes verified on their page, and unit
detection accuracy. The baseline « evidenced everywhere » is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.judging.grounding import quote_is_on_page
from assistant.records.agreement import weighted_kappa
from evals.judge_dataset import labelled_docs

ORDER = {"not_evidenced": 0, "partial": 1, "evidenced": 2}


def scores(pairs: list[tuple[str, str]]) -> dict:
    pairs = [(g, p) for g, p in pairs if g in ORDER and p in ORDER]
    if not pairs:
        return {"n": 0}
    g = np.array([ORDER[a] for a, _ in pairs])
    p = np.array([ORDER[b] for _, b in pairs])
    return {
        "n": len(pairs),
        "binary": round(float(np.mean((g >= 1) == (p >= 1))), 3),
        "accuracy": round(float(np.mean(g == p)), 3),
        "kappa": round(weighted_kappa(g, p), 3),
        "baseline_binary": round(float(np.mean(g >= 1)), 3),
        # rows: labels (not_evidenced, partial, evidenced); columns: verdicts
        "confusion": [[int(((g == a) & (p == b)).sum()) for b in range(3)] for a in range(3)],
    }


def check_bad_inputs(coach: Coach) -> tuple[int, int]:
    """Each bad input must be refused with its own error code."""
    from assistant.domain.errors import CoachError
    from evals.deliverables.make_pdfs import make_bad_inputs

    ok = 0
    with tempfile.TemporaryDirectory() as tmp:
        bad = make_bad_inputs(Path(tmp))
        for path, code in bad.items():
            try:
                coach.assess(path, unit="2")
            except CoachError as exc:
                ok += exc.code == code
                if exc.code != code:
                    print(f"  {path.name}: expected [{code}], got [{exc.code}]")
    return ok, len(bad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    docs = labelled_docs(args.split)
    pairs, by_unit, by_crit = [], defaultdict(list), defaultdict(list)
    quotes_total = quotes_ok = 0
    na_agree = na_total = 0
    unit_hits = 0
    with tempfile.TemporaryDirectory() as home:
        coach = Coach(Settings(home=Path(home)))
        for d in docs:
            result = coach.assess(d.pdf, unit=d.unit)
            extracted, _ = coach.read_document(d.pdf)
            detected = coach.assess(d.pdf, allow_uncertain_unit=True)
            unit_hits += detected.unit == d.unit
            for ind in result.indicators:
                gold = d.labels[ind.id]
                if gold == "not_assessable" or ind.verdict == "not_assessable":
                    na_total += 1
                    na_agree += gold == ind.verdict
                    continue
                pairs.append((gold, ind.verdict))
                by_unit[d.unit].append((gold, ind.verdict))
                by_crit[ind.criterion_id].append((gold, ind.verdict))
                for e in ind.evidence:
                    quotes_total += 1
                    quotes_ok += quote_is_on_page(extracted, e.page, e.quote)
                if args.verbose and gold != ind.verdict:
                    print(f"  {d.doc_id} {ind.id}: gold={gold} got={ind.verdict} ({ind.confidence})")
        bad_ok, bad_total = check_bad_inputs(coach)
    overall = scores(pairs)
    report = {
        "split": args.split,
        "documents": len(docs),
        "overall": overall,
        "by_unit": {u: scores(v) for u, v in sorted(by_unit.items())},
        "by_criterion": {c: scores(v) for c, v in sorted(by_crit.items())},
        "quotes": {"total": quotes_total, "verified": quotes_ok,
                   "share": round(quotes_ok / quotes_total, 4) if quotes_total else 1.0},
        "not_assessable_agreement": f"{na_agree}/{na_total}",
        "unit_detection": f"{unit_hits}/{len(docs)}",
        "bad_inputs": f"{bad_ok}/{bad_total}",
    }
    print(f"Assessment — {len(docs)} documents, {overall['n']} labelled indicators (split: {args.split})")
    print(f"  binary (evidenced-or-partial vs not): {overall['binary']:.3f}   "
          f"(« evidenced everywhere »: {overall['baseline_binary']:.3f})")
    print(f"  3-class accuracy: {overall['accuracy']:.3f}   weighted kappa: {overall['kappa']:.3f}")
    print("  confusion (rows = labels not/partial/evidenced, columns = verdicts): "
          + " | ".join(" ".join(f"{x:3d}" for x in row) for row in overall["confusion"]))
    print(f"  quotes verified on their page: {quotes_ok}/{quotes_total} ({report['quotes']['share']:.2%})")
    print(f"  not_assessable agreement: {report['not_assessable_agreement']}   "
          f"unit detection: {report['unit_detection']}   bad inputs refused with the right code: "
          f"{report['bad_inputs']}")
    print(f"\n  {'unit':<6}{'n':>5}{'binary':>8}{'acc':>7}{'kappa':>7}")
    for u, s in report["by_unit"].items():
        print(f"  {u:<6}{s['n']:>5}{s['binary']:>8.3f}{s['accuracy']:>7.3f}{s['kappa']:>7.3f}")
    print(f"\n  {'criterion':<10}{'n':>5}{'binary':>8}{'acc':>7}")
    for c, s in report["by_criterion"].items():
        print(f"  {c:<10}{s['n']:>5}{s['binary']:>8.3f}{s['accuracy']:>7.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
