"""Faults: a batch killed mid-run resumes without assessing anything twice; concurrent ingestion of one
document leaves no duplicate chunk.

Two processes deciding on the same grid at once are covered by
``tests/test_grid.py::test_two_processes_deciding_at_once_lose_nothing`` (not repeated here).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from grid_fixtures import STRONG_PLAN, WEAK_PLAN
from pdf_fixtures import DEFAULT_PAGES, make_text_pdf

ROOT = Path(__file__).resolve().parent.parent
N_DOCS = 6


def _session(folder: Path, n: int = N_DOCS) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    texts = [STRONG_PLAN, WEAK_PLAN, DEFAULT_PAGES]
    names = []
    for k in range(n):
        name = f"candidat-{k + 1:02d}.pdf"
        make_text_pdf(folder / name, texts[k % 3], header=f"Session de juin — dossier {k + 1}")
        names.append(name)
    return names


def _start(folder: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "assess-batch", str(folder), "--unit", "2", "--workers", str(workers)],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _wait_for_first_result(proc: subprocess.Popen, out: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.is_dir() and any(out.glob("*__*.json")):
            return
        if proc.poll() is not None:
            pytest.fail(f"the batch ended before the kill: {proc.communicate()}")
        time.sleep(0.02)
    pytest.fail("no result file appeared")


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.communicate(timeout=10)


def test_a_killed_batch_resumes_and_assesses_every_document_once(tmp_path):
    folder = tmp_path / "session"
    names = _session(folder)
    out = folder / "resultats"
    proc = _start(folder, workers=1)
    try:
        _wait_for_first_result(proc, out)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        _kill_group(proc)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*__*.json")}
    assert 1 <= len(before) < N_DOCS, "the kill must land in the middle of the batch"
    for p in before:
        json.loads((out / p).read_text(encoding="utf-8"))  # what was written is complete

    done = subprocess.run(
        [sys.executable, "-m", "assistant", "assess-batch", str(folder), "--unit", "2", "--workers", "1"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert f"{N_DOCS - len(before)} traité(s), {len(before)} ignoré(s) (déjà traités), 0 en erreur" in done.stdout

    results = sorted(out.glob("*__*.json"))
    records = [json.loads(p.read_text(encoding="utf-8")) for p in results]
    assert sorted(r["file"] for r in records) == names  # one result file per document
    assert {p.name: p.stat().st_mtime_ns for p in results if p.name in before} == before  # not redone
    assert not list(out.glob(".tmp-*"))
    rows = list(csv.DictReader(io.StringIO((out / "synthese.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert sorted(r["fichier"] for r in rows) == names  # each document once
    statuses = {r["fichier"]: r["statut"] for r in rows}
    assert sorted(statuses.values()).count("déjà traité") == len(before)
    assert {r["file"] for r in records if (out / f"{r['candidate']}__{r['sha256'][:12]}.json").name in before} == {
        f for f, s in statuses.items() if s == "déjà traité"}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_of_a_killed_batch_do_not_linger(tmp_path):
    folder = tmp_path / "session"
    _session(folder, 4)
    proc = _start(folder, workers=2)
    try:
        _wait_for_first_result(proc, folder / "resultats")
        workers = _children(proc.pid)
        assert workers, "the batch runs its documents in worker processes"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "orphaned workers must exit"
    finally:
        _kill_group(proc)


def test_ingesting_one_document_from_two_threads_leaves_no_duplicate_chunk(coach, e5, tmp_path):
    from assistant.assessment.coach import Coach
    from assistant.knowledge.store import DOCUMENTS

    pdf = make_text_pdf(tmp_path / "plan.pdf", STRONG_PLAN)
    other = Coach(coach.settings, embeddings=e5)  # a second app object on the same store
    for coaches, candidate in (((coach, coach), "meme-objet"), ((coach, other), "deux-objets")):
        barrier = threading.Barrier(2)
        results, errors = [], []

        def ingest(c, cand=candidate, b=barrier, res=results, errs=errors):  # noqa: ANN001, ANN202
            try:
                b.wait(10)
                res.append(c.ingest(pdf, candidate=cand))
            except Exception as exc:  # noqa: BLE001 - reported below
                errs.append(exc)

        threads = [threading.Thread(target=ingest, args=(c,)) for c in coaches]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        n = results[0]["chunks"]
        data = coach.store.get(DOCUMENTS, {"candidate": candidate})
        assert len(data["ids"]) == len(set(data["ids"])) == n
        assert sorted(m["chunk_id"] for m in data["metadatas"]) == sorted({m["chunk_id"] for m in data["metadatas"]})
        if coaches[0] is coaches[1]:
            assert sorted(r["added"] for r in results) == [0, n]  # the store's lock: one writer adds them all
    assert coach.store.count(DOCUMENTS) == 2 * n


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "RNCP_COACH_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server ended: {proc.communicate()[0][-2000:]}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2)
            return
        time.sleep(0.3)
    pytest.fail("the server did not start")


def test_a_server_killed_mid_assessment_loses_no_decision_and_leaves_no_half_file(tmp_path):
    """kill -9 of the web server while it assesses: every saved juror decision is still there, no result
    or export is half-written, and the restarted server assesses the same file."""
    from gradio_client import Client, handle_file

    from assistant.config.settings import Settings
    from assistant.records.grid import create_grid, decide, get_grid

    home = tmp_path / "home"
    settings = Settings(home=home)
    pdf = make_text_pdf(tmp_path / "livrable.pdf", [*DEFAULT_PAGES, *STRONG_PLAN, *WEAK_PLAN] * 2)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = _serve(home, port)
    try:
        _wait_http(url, proc)
        # a juror's saved decision, on a grid of an earlier assessment
        client = Client(url, verbose=False)
        first = client.predict(handle_file(str(pdf)), "2", "cand-avant", "", api_name="/evaluer")
        assert first[1] == "", first[1]
        from assistant.assessment.pipeline import Assessment

        record = json.loads(next((home / "results" / "cand-avant").glob("*.json")).read_text(encoding="utf-8"))
        assessment = Assessment.model_validate(record["assessment"]).model_copy(update={"candidate": "cand-avant"})
        grid = create_grid(settings, assessment)
        decide(settings, grid.id, criterion="2.C1", level="acquis", juror="Claire Dubois", comment="avant la panne")
        # then an assessment in flight, and kill -9
        other = make_text_pdf(tmp_path / "autre.pdf", [f"{p} (version {n})" for n in range(3)
                                                       for p in (*STRONG_PLAN, *WEAK_PLAN, *DEFAULT_PAGES)])
        job = client.submit(handle_file(str(other)), "2", "cand-pendant", "", api_name="/evaluer")
        deadline = time.monotonic() + 60
        while not list(home.glob("uploads/cand-pendant/*/*.pdf")) and time.monotonic() < deadline:
            time.sleep(0.01)  # kill as soon as the upload is stored: the assessment is under way
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        with contextlib.suppress(Exception):
            job.result(timeout=5)
    finally:
        _kill_group(proc)
    line = get_grid(settings, grid.id).line("2.C1")
    assert (line.decided, line.juror, line.comment) == ("acquis", "Claire Dubois", "avant la panne")
    leftovers = [p for p in home.rglob("*") if p.is_file() and (p.name.endswith(".part") or p.name.startswith(".tmp"))]
    assert leftovers == []
    assert not list(home.glob("results/cand-pendant/*.json")), "the kill must land before the result is saved"
    for result in home.glob("results/*/*.json"):
        json.loads(result.read_text(encoding="utf-8"))  # whole, or absent
    proc = _serve(home, port)
    try:
        _wait_http(url, proc)
        again = Client(url, verbose=False).predict(handle_file(str(other)), "2", "cand-pendant", "",
                                                   api_name="/evaluer")
        assert again[1] == "" and again[0]["candidate"] == "cand-pendant"
    finally:
        _kill_group(proc)
