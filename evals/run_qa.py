"""Trainer Q&A quality: hit@1, hit@3 and MRR of `ask` on the labelled questions.

    python -m evals.run_qa [--split dev|heldout|all] [--settings e5-hybrid,e5-dense,...] [--verbose]

A citation is relevant when it names the expected unit and, where the question expects criteria,
one of them (for other parts: the expected part). Structure questions count as a hit at rank 1 when
the answer contains every expected string.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.text.french import fold

QUESTIONS = Path(__file__).parent / "questions" / "questions.yaml"
SETTINGS = {
    "e5-hybrid": ("e5", "hybrid"),
    "e5-dense": ("e5", "dense"),
    "bm25": ("e5", "bm25"),
    "minilm-hybrid": ("minilm", "hybrid"),
    "minilm-dense": ("minilm", "dense"),
}


def load_questions(split: str) -> list[dict]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [q for q in data if split == "all" or q["split"] == split]


def relevant(q: dict, cite: dict) -> bool:
    if q.get("expected_unit") and cite["unit"] != q["expected_unit"]:
        return False
    if q.get("expected_criteria"):
        return cite.get("criterion_id") in q["expected_criteria"]
    if q["expected_part"] not in {"structure", "criteria"}:
        return cite["part"] == q["expected_part"]
    return bool(q.get("expected_unit"))


def rank_of(q: dict, answer: dict) -> int | None:
    if q["expected_part"] == "structure" or q.get("expected_answer_contains"):
        text = fold(answer["answer"])
        ok = all(fold(s) in text for s in q.get("expected_answer_contains", []))
        return 1 if ok else None
    for n, cite in enumerate(answer["citations"], 1):
        if relevant(q, cite):
            return n
    return None


def evaluate(name: str, questions: list[dict], verbose: bool = False) -> dict:
    model, mode = SETTINGS[name]
    with tempfile.TemporaryDirectory() as home:
        coach = Coach(Settings(home=Path(home), embeddings=model))
        coach.referentiel_index()
        ranks, latencies, by_style = [], [], {}
        for q in questions:
            t = time.perf_counter()
            answer = coach.ask(q["question"], mode=mode).public()
            latencies.append(time.perf_counter() - t)
            r = rank_of(q, answer)
            ranks.append(r)
            by_style.setdefault(q["style"], []).append(r)
            if verbose and (r is None or r > 1):
                first = answer["citations"][0] if answer["citations"] else {}
                print(f"  {name} {q['id']} rank={r} {q['question']!r} -> "
                      f"{first.get('indicator_id') or first.get('criterion_id') or first.get('unit')} "
                      f"({first.get('part')}) expected {q.get('expected_unit')} {q.get('expected_criteria')}")

    def metrics(rs: list[int | None]) -> dict:
        n = len(rs) or 1
        return {
            "n": len(rs),
            "hit@1": round(sum(1 for r in rs if r == 1) / n, 3),
            "hit@3": round(sum(1 for r in rs if r and r <= 3) / n, 3),
            "mrr": round(sum(1 / r for r in rs if r) / n, 3),
        }

    out = {"setting": name, **metrics(ranks)}
    out["by_style"] = {s: metrics(rs) for s, rs in sorted(by_style.items())}
    latencies.sort()
    out["p50_ms"] = round(1000 * latencies[len(latencies) // 2], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    questions = load_questions(args.split)
    results = [evaluate(s, questions, args.verbose) for s in args.settings.split(",")]
    print(f"Trainer Q&A — {len(questions)} questions (split: {args.split})")
    print(f"{'setting':<15}{'hit@1':>7}{'hit@3':>7}{'MRR':>7}{'p50 ms':>8}   by style (hit@1)")
    for r in results:
        styles = "  ".join(f"{s}={m['hit@1']:.2f}" for s, m in r["by_style"].items())
        print(f"{r['setting']:<15}{r['hit@1']:>7.3f}{r['hit@3']:>7.3f}{r['mrr']:>7.3f}{r['p50_ms']:>8}   {styles}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
