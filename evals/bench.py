"""Speed and memory of the product's main paths, measured through the real code, offline.

    python -m evals.bench [--quick] [--out evals/results/bench.json] [--compare-executors]

Measures (targets for a 2-core machine printed beside the figures):
- ingestion pages/s end to end (extract + chunk + embed + store) on the eval deliverables;
- embedding passages/s through our pipeline (``embed_array``, fresh cache) vs the raw model call
  (``E5Embeddings.embed_uncached``) on the same texts, and their ratio;
- assessment time of a 5-page deliverable, warm (in-process, model loaded) and cold (a subprocess
  ``python -m assistant assess FILE --unit U --format json``: start + model load included);
- ``ask`` latency p50/p95 over the labelled trainer questions;
- embedded Chroma query latency p50/p95 (k=8, with and without a metadata filter) at 1k, 10k and 100k
  chunks of synthetic text with random unit vectors (``--quick`` stops at 10k);
- ``assess-batch`` of 50 five-page documents with 2 workers (skipped with ``--quick``);
  ``--compare-executors`` also times 12 documents with 2 processes, 2 threads and inline;
- peak memory (ru_maxrss of this process and of its children).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

from assistant.assessment.coach import Coach
from assistant.config.settings import Settings
from assistant.domain.documents import chunk_passage
from assistant.models.embeddings import E5Embeddings
from evals.judge_dataset import SOURCES, labelled_docs

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = Path(__file__).parent / "questions" / "questions.yaml"
DEFAULT_OUT = Path(__file__).parent / "results" / "bench.json"

TARGETS = {
    "ingestion_pages_per_s": (">=", 20.0),
    "embedding_overhead_ratio": (">=", 0.8),
    "assess_warm_s": ("<", 3.0),
    "assess_cold_s": ("<", 10.0),
    "query_p95_ms_100k": ("<", 50.0),
    "batch_50_s": ("<", 180.0),
}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fresh_coach(home: Path) -> Coach:
    """A coach with its own embedding instance (empty cache), model loaded."""
    emb = E5Embeddings()
    emb.embed_array(["échauffement du modèle"])
    return Coach(Settings(home=home), embeddings=emb)


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


class PeakMemory:
    """Peak RSS of this process's descendants (Linux: VmHWM sampled from /proc every 0.2 s).

    ``ru_maxrss`` of the children is not used for them: a child forked from this (large) process reports
    at least this process's size.
    """

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PeakMemory:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    @staticmethod
    def _parents() -> dict[int, int]:
        out = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                out[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
        return out

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.2):
            parents = self._parents()
            family, grew = {me}, True
            while grew:
                new = {p for p, pp in parents.items() if pp in family and p not in family}
                family |= new
                grew = bool(new)
            for pid in family - {me}:
                try:
                    text = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peaks[pid] = max(self.peaks.get(pid, 0), int(line.split()[1]))

    def max_mb(self) -> float | None:
        return round(max(self.peaks.values()) / 1024, 1) if self.peaks else None


# Sections -------------------------------------------------------------------------------------------
def bench_ingestion(pdfs: list[Path], home: Path) -> dict:
    coach = fresh_coach(home)
    pages = chunks = 0
    start = time.perf_counter()
    for n, pdf in enumerate(pdfs):
        r = coach.ingest(pdf, candidate=f"bench-{n:03d}")
        pages += r["pages"]
        chunks += r["chunks"]
    elapsed = time.perf_counter() - start
    return {"documents": len(pdfs), "pages": pages, "chunks": chunks, "seconds": round(elapsed, 2),
            "pages_per_s": round(pages / elapsed, 1)}


def bench_embeddings(pdfs: list[Path], home: Path, reps: int, limit: int) -> dict:
    reader = Coach(Settings(home=home), embeddings=E5Embeddings())
    texts: list[str] = []
    for pdf in pdfs:
        _, chunks = reader.read_document(pdf)
        texts += [chunk_passage(c) for c in chunks]
    texts = list(dict.fromkeys(texts))[:limit]
    raw = E5Embeddings()
    raw.embed_uncached(["échauffement du modèle"])
    raws, ours_ = [], []
    for _ in range(reps):  # interleaved, best of each: a shared machine's noise hits both alike
        raws.append(timed(lambda: raw.embed_uncached(texts))[0])
        ours = E5Embeddings()  # fresh cache
        ours.embed_array(["échauffement du modèle"])
        ours_.append(timed(lambda ours=ours: ours.embed_array(texts))[0])
    t_cached, _ = timed(lambda: ours.embed_array(texts))
    t_raw, t_ours = min(raws), min(ours_)
    return {"passages": len(texts), "reps": reps, "raw_per_s": round(len(texts) / t_raw, 1),
            "pipeline_per_s": round(len(texts) / t_ours, 1), "ratio": round(t_raw / t_ours, 3),
            "raw_runs_s": [round(x, 2) for x in raws], "pipeline_runs_s": [round(x, 2) for x in ours_],
            "pipeline_cached_per_s": round(len(texts) / t_cached, 1)}


def five_page_docs(docs: list) -> list:  # noqa: ANN001 - LabelledDoc
    five = [d for d in docs if page_count(d.pdf) == 5]
    return five or docs


def bench_assess(docs: list, home: Path, cold_runs: int) -> dict:
    coach = fresh_coach(home)
    warmup = docs[-1]
    t_first, _ = timed(lambda: coach.assess(warmup.pdf, unit=warmup.unit))
    warm = []
    for d in docs[:-1] or docs:
        seconds, _ = timed(lambda d=d: coach.assess(d.pdf, unit=d.unit))
        warm.append(seconds)
    cold = []
    env = {**os.environ, "RNCP_COACH_HOME": str(home / "cold")}
    for k in range(cold_runs):
        d = docs[k % len(docs)]
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "assistant", "assess", str(d.pdf), "--unit", d.unit, "--format",
                               "json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        cold.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"cold assess failed: {proc.stderr[-500:]}")
        json.loads(proc.stdout)
    return {"documents": len(warm), "pages": [page_count(d.pdf) for d in docs[:-1] or docs],
            "first_in_process_s": round(t_first, 2), "warm_median_s": round(statistics.median(warm), 2),
            "warm_max_s": round(max(warm), 2), "cold_median_s": round(statistics.median(cold), 2),
            "cold_runs": [round(c, 2) for c in cold]}


def bench_ask(home: Path, limit: int | None) -> dict:
    coach = fresh_coach(home)
    t_index, _ = timed(coach.referentiel_index)
    questions = [q["question"] for q in yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))][:limit]
    coach.ask(questions[0])  # first call: lazy structures (BM25...)
    latencies = []
    for q in questions:
        seconds, _ = timed(lambda q=q: coach.ask(q))
        latencies.append(seconds * 1000)
    return {"questions": len(questions), "index_s": round(t_index, 2), "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1)}


def bench_store(home: Path, sizes: list[int], queries: int, seed: int = 7) -> list[dict]:
    """Query latency through ``Store.query`` as the collection grows (random unit vectors, no embedding)."""
    from assistant.knowledge.store import Store

    rng = np.random.default_rng(seed)
    store = Store(Settings(home=home), E5Embeddings())  # the model is never called here
    name = "bench-chunks"
    col = store.collection(name)
    words = ("budget", "cible", "objectifs", "planning", "indicateurs", "concurrence", "prestataires", "veille")
    out, have = [], 0
    for size in sizes:
        t_add = 0.0
        while have < size:
            n = min(5000, size - have)
            vecs = rng.standard_normal((n, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            ids = [f"c{have + i:07d}" for i in range(n)]
            docs = [f"Passage {have + i} : {words[(have + i) % 8]} et {words[(have + i) // 8 % 8]}." for i in range(n)]
            metas = [{"candidate": f"cand-{(have + i) % 100:03d}", "page": (have + i) % 7 + 1} for i in range(n)]
            seconds, _ = timed(lambda ids=ids, docs=docs, metas=metas, vecs=vecs: col.add(
                ids=ids, documents=docs, metadatas=metas, embeddings=vecs.tolist()))
            t_add += seconds
            have += n
        qs = rng.standard_normal((queries, 384)).astype(np.float32)
        qs /= np.linalg.norm(qs, axis=1, keepdims=True)
        store.query(name, qs[0], 8)
        store.query(name, qs[0], 8, {"candidate": "cand-007"})
        plain, filtered = [], []
        for q in qs:
            seconds, hits = timed(lambda q=q: store.query(name, q, 8))
            assert len(hits) == 8
            plain.append(seconds * 1000)
            seconds, hits = timed(lambda q=q: store.query(name, q, 8, {"candidate": "cand-007"}))
            filtered.append(seconds * 1000)
        out.append({"chunks": have, "add_s": round(t_add, 1), "queries": queries,
                    "p50_ms": round(percentile(plain, 50), 2), "p95_ms": round(percentile(plain, 95), 2),
                    "filtered_p50_ms": round(percentile(filtered, 50), 2),
                    "filtered_p95_ms": round(percentile(filtered, 95), 2)})
        print(f"  store {have:>7} chunks: p95 {out[-1]['p95_ms']} ms, filtered p95 {out[-1]['filtered_p95_ms']} ms",
              flush=True)
    return out


def vary(body: str, tag: str) -> str:
    """Mark every heading of a source with ``tag``: each chunk's passage (heading + text) then differs between
    copies, so no copy is helped by the embedding cache of a previous one (the running header alone would
    not do: it is removed as page furniture)."""
    return "\n".join(f"{line} — {tag}" if line.startswith("#") else line for line in body.split("\n"))


def make_batch_folder(folder: Path, n: int, first: int = 0) -> tuple[list[Path], str]:
    """``n`` distinct five-page PDFs: eval sources re-rendered with another header and marked headings."""
    from evals.pdfgen import parse_source, render_markdown_pdf

    folder.mkdir(parents=True, exist_ok=True)
    docs = five_page_docs(labelled_docs("all"))
    out = []
    for k in range(first, first + n):
        d = docs[k % len(docs)]
        meta, body = parse_source(SOURCES / f"{d.doc_id}.md")
        path = folder / f"candidat-{k + 1:03d}.pdf"
        render_markdown_pdf(vary(body, f"dossier {k + 1}"), path,
                            header=f"Session de jury bench — dossier {k + 1} — {meta.get('author', '')}",
                            meta_title=meta.get("title", ""), meta_author=meta.get("author", ""))
        out.append(path)
    return out, "2"


def bench_batch(folder: Path, home: Path, n: int, workers: int, executor: str = "process", first: int = 0) -> dict:
    from assistant.assessment.batch import assess_batch

    pdfs, unit = make_batch_folder(folder, n, first)
    coach = Coach(Settings(home=home), embeddings=E5Embeddings())  # a fresh cache (inline and threads use it)
    seconds, report = timed(lambda: assess_batch(coach, folder, unit, workers=workers, executor=executor,
                                                 output=folder / f"resultats-{executor}-{workers}",
                                                 show_progress=False))
    pages = sum(page_count(p) for p in pdfs)
    return {"documents": n, "pages": pages, "workers": workers, "executor": report.executor,
            "seconds": round(seconds, 1), "processed": len(report.processed), "failed": len(report.failed),
            "docs_per_min": round(60 * n / seconds, 1)}


# Report ---------------------------------------------------------------------------------------------
def verdict(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    op, target = TARGETS[key]
    ok = value >= target if op == ">=" else value < target
    return "OK" if ok else "MANQUÉ"


def table(results: dict) -> str:
    rows = []

    def row(label: str, value: object, key: str | None = None) -> None:
        target = f"{TARGETS[key][0]} {TARGETS[key][1]:g}" if key else ""
        status = verdict(key, value if isinstance(value, int | float) else None) if key else ""
        rows.append((label, "—" if value is None else str(value), target, status))

    if ing := results.get("ingestion"):
        row(f"ingestion, pages/s (extract+chunk+embed+store, {ing['pages']} p.)", ing["pages_per_s"],
            "ingestion_pages_per_s")
    if emb := results.get("embeddings"):
        row(f"embeddings, passages/s pipeline / raw ({emb['passages']})", f"{emb['pipeline_per_s']} / {emb['raw_per_s']}")
        row("embeddings, ratio pipeline/raw", emb["ratio"], "embedding_overhead_ratio")
    if ass := results.get("assess"):
        row("assess 5 pages warm, median s", ass["warm_median_s"], "assess_warm_s")
        row("assess 5 pages cold (subprocess), median s", ass["cold_median_s"], "assess_cold_s")
    if ask := results.get("ask"):
        row(f"ask p50 / p95 ms ({ask['questions']} questions)", f"{ask['p50_ms']} / {ask['p95_ms']}")
    for s in results.get("store", []):
        key = "query_p95_ms_100k" if s["chunks"] == 100_000 else None
        row(f"store query k=8 @{s['chunks']}: p50 / p95 ms", f"{s['p50_ms']} / {s['p95_ms']}")
        row(f"store query k=8 + filter @{s['chunks']}: p50 / p95 ms", f"{s['filtered_p50_ms']} / {s['filtered_p95_ms']}")
        if key:
            row("store query p95 @100k (worst of plain/filtered), ms", max(s["p95_ms"], s["filtered_p95_ms"]), key)
    batch = results.get("batch")
    if batch:
        row(f"assess-batch {batch['documents']} docs × 5 p., {batch['workers']} workers, s", batch["seconds"],
            "batch_50_s")
    for c in results.get("executors", []):
        row(f"  12 docs, {c['executor']} ×{c['workers']}, s", c["seconds"])
    mem = results["memory"]
    row("peak RSS this process / largest child, MB", f"{mem['self_mb']} / {mem['children_mb']}")
    row("load average at start / end (1 min)",
        f"{results['machine']['load_avg_start'][0]} / {results['machine']['load_avg_end'][0]}")
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'value':>15}  {'target':>8}  status", "-" * (width + 36)]
    lines += [f"{a:<{width}}  {b:>15}  {c:>8}  {d}" for a, b, c, d in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer documents, store up to 10k, no batch")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--compare-executors", action="store_true",
                        help="also time 12 documents with 2 processes, 2 threads and inline")
    parser.add_argument("--only", help="comma-separated sections (ingestion,embeddings,assess,ask,store,batch,"
                                       "executors)")
    args = parser.parse_args(argv)

    docs = labelled_docs("all")  # renders the missing PDFs
    pdfs = [d.pdf for d in docs]
    if args.quick:
        pdfs = pdfs[::3]
    results: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
        "machine": {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                    "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
        "targets": {k: f"{op} {v:g}" for k, (op, v) in TARGETS.items()},
    }
    sampler = PeakMemory().start()
    with tempfile.TemporaryDirectory(prefix="rncp-bench-") as tmp:
        tmp_path = Path(tmp)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("ingestion", lambda: bench_ingestion(pdfs, tmp_path / "ingest")),
            ("embeddings", lambda: bench_embeddings(pdfs, tmp_path / "emb", 2 if args.quick else 3,
                                                    150 if args.quick else 400)),
            ("assess", lambda: bench_assess(five_page_docs(docs)[: 4 if args.quick else 8], tmp_path / "assess",
                                            1 if args.quick else 3)),
            ("ask", lambda: bench_ask(tmp_path / "ask", 20 if args.quick else None)),
            ("store", lambda: bench_store(tmp_path / "store", [1_000, 10_000] if args.quick
                                          else [1_000, 10_000, 100_000], 50 if args.quick else 200)),
        ]
        if not args.quick:
            steps.append(("batch", lambda: bench_batch(tmp_path / "batch", tmp_path / "batch-home", 50, 2)))
        if args.compare_executors:
            steps.append(("executors", lambda: [
                bench_batch(tmp_path / f"cmp-{e}-{w}", tmp_path / f"cmp-home-{e}-{w}", 12, w, e, first=100 + 20 * k)
                for k, (e, w) in enumerate((("process", 2), ("thread", 2), ("process", 1)))]))
        if args.only:
            steps = [(n, f) for n, f in steps if n in args.only.split(",")]
        for name, step in steps:
            print(f"[bench] {name}…", flush=True)
            seconds, value = timed(step)
            results[name] = value
            print(f"[bench] {name}: {json.dumps(value, ensure_ascii=False)} ({seconds:.0f} s)", flush=True)
    sampler.stop()
    results["memory"] = {
        "self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "children_mb": sampler.max_mb(),  # largest child (cold assess, batch workers)
        "children_ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    results["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\n{args.out}")


if __name__ == "__main__":
    main()
