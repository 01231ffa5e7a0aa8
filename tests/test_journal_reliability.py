"""The journal under the two failures a meeting room produces, on SQLite and PostgreSQL:
several sessions saving for the same person at once (with double-clicks re-sending a key), and
a process killed in the middle of saving. Every save that was acknowledged is there exactly
once, nothing is duplicated, no decision is without its snapshot nor a snapshot without its
decision, and the journal keeps working afterwards."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from pipelines.journal import entries
from pipelines.journal.entries import DecisionDraft, EvidenceDraft, Snapshot
from pipelines.journal.store import Journal
from tests.journal_servers import journal, postgres_server, postgres_url

__all__ = ["journal", "postgres_server", "postgres_url"]  # fixtures, used by name

# Real processes: a pool of sessions, and savers started and killed several times.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CYCLE = "2026-H2"
PERSON = "E042"
WORKERS = 3
SAVES_EACH = 12
# Keys every worker sends, as a double-click or a retry from another tab would.
SHARED_KEYS = tuple(f"shared-{n}" for n in range(4))


def _decision(number: int) -> DecisionDraft:
    outcome = entries.OUTCOMES[number % len(entries.OUTCOMES)]
    return DecisionDraft(CYCLE, PERSON, "proposed", outcome, date(2026, 10, 1))


def _evidence(number: int) -> EvidenceDraft:
    return EvidenceDraft(PERSON, date(2026, 9, 1), "Impact", "IC2", f"Example number {number}")


def _snapshot(key: str) -> Snapshot:
    return Snapshot(PERSON, "build-1", "v1", {"key": key, "flags": ["promotion_ready"] * 50})


def save_for_the_same_person(url: str, worker: int, start_at: float) -> list[tuple]:
    """One session's saves (runs in its own process): what each save call acknowledged."""
    journal = Journal(url)
    time.sleep(max(0.0, start_at - time.time()))  # every worker starts writing at once
    acknowledged = []
    for number in range(SAVES_EACH):
        key = f"w{worker}-d{number}"
        saved = entries.record_decision(
            journal, _decision(number), who=f"w{worker}", key=key, snapshot=_snapshot(key)
        )
        acknowledged.append(("decision", key, saved.id, saved.written))
        key = f"w{worker}-e{number}"
        saved = entries.record_evidence(journal, _evidence(number), who=f"w{worker}", key=key)
        acknowledged.append(("evidence", key, saved.id, saved.written))
        if number < len(SHARED_KEYS):
            key = SHARED_KEYS[number]
            saved = entries.record_decision(
                journal, _decision(number), who=f"w{worker}", key=key, snapshot=_snapshot(key)
            )
            acknowledged.append(("decision", key, saved.id, saved.written))
            saved = entries.record_evidence(
                journal, _evidence(number), who=f"w{worker}", key=f"{key}-e"
            )
            acknowledged.append(("evidence", f"{key}-e", saved.id, saved.written))
    return acknowledged


def stored(journal: Journal) -> dict[str, list[dict]]:
    with journal.transaction() as cur:
        return {
            "decisions": cur.rows("select entry_key, snapshot_id from decision_entries"),
            "evidence": cur.rows("select entry_key, evidence_id from evidence_entries"),
            "snapshots": cur.rows("select snapshot_id, payload from snapshots"),
        }


def assert_whole(rows: dict[str, list[dict]]) -> None:
    """No key twice; every decision's snapshot exists and every snapshot has its decision."""
    decision_keys = [r["entry_key"] for r in rows["decisions"]]
    assert len(decision_keys) == len(set(decision_keys))
    evidence_keys = [r["entry_key"] for r in rows["evidence"]]
    assert len(evidence_keys) == len(set(evidence_keys))
    snapshot_ids = {r["snapshot_id"] for r in rows["snapshots"]}
    assert {r["snapshot_id"] for r in rows["decisions"]} == snapshot_ids
    assert len(snapshot_ids) == len(rows["snapshots"])


# One session of the race above, in its own process: prints what its saves acknowledged.
SESSION = """
import json, sys
from tests.test_journal_reliability import save_for_the_same_person
print(json.dumps(save_for_the_same_person(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
"""


def test_sessions_saving_for_the_same_person_at_once_lose_and_double_nothing(journal):
    entries.evidence(journal)  # create the schema before the race, as the app's start does
    start_at = time.time() + 3  # after the workers' imports
    # Plain processes, not multiprocessing: its spawn start re-runs the parent's __main__,
    # which in a test process that ran AppTest is dashboard.py.
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SESSION, journal.url, str(w), str(start_at)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS
    acknowledged = [tuple(save) for out in outputs for save in json.loads(out)]

    rows = stored(journal)
    assert_whole(rows)
    decision_keys = {r["entry_key"] for r in rows["decisions"]}
    evidence_keys = {r["entry_key"] for r in rows["evidence"]}
    assert decision_keys == {key for kind, key, *_ in acknowledged if kind == "decision"}
    assert evidence_keys == {key for kind, key, *_ in acknowledged if kind == "evidence"}
    # A shared key was written by exactly one session; the others were told it was taken,
    # and every session got the same evidence id back for it.
    for key in [*SHARED_KEYS, *(f"{k}-e" for k in SHARED_KEYS)]:
        saves = [save for save in acknowledged if save[1] == key]
        assert len(saves) == WORKERS
        assert sum(written for *_, written in saves) == 1
        assert len({saved_id for _, _, saved_id, _ in saves}) == 1
    unique_saves = WORKERS * SAVES_EACH + len(SHARED_KEYS)
    assert len(rows["decisions"]) == len(rows["snapshots"]) == unique_saves
    assert len(rows["evidence"]) == unique_saves
    # The versions of the person's one proposal count every save, with no gap or repeat.
    [current] = entries.decisions(journal, CYCLE).to_dict("records")
    assert current["version"] == unique_saves
    assert len(entries.evidence(journal)) == unique_saves


# The saving process for the kill test: prints a key only once record_decision has returned.
SAVER = """
import sys
from datetime import date
from pipelines.journal import entries
from pipelines.journal.store import Journal

journal, run = Journal(sys.argv[1]), sys.argv[2]
for number in range(100_000):
    key = f"{run}-{number}"
    payload = {"key": key, "reasons": ["three bars met at the next level"] * 200}
    entries.record_decision(
        journal,
        entries.DecisionDraft("2026-H2", "E042", "calibrated", "promotion", date(2026, 10, 1)),
        who=run, key=key, snapshot=entries.Snapshot("E042", "b1", "v1", payload),
    )
    print(key, flush=True)
"""
KILLS = 3


def save_until_killed(journal: Journal, run: str, rng: random.Random) -> list[str]:
    """Start a saving process, SIGKILL it at a random moment once it is writing, and return
    the keys it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, "-c", SAVER, journal.url, run],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []
    writing = threading.Event()

    def read() -> None:
        for line in child.stdout:
            printed.append(line.strip())
            writing.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert writing.wait(timeout=20), "the saving process never acknowledged a save"
        time.sleep(rng.uniform(0.05, 0.35))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        reader.join(timeout=5)
    return printed


def test_a_process_killed_while_saving_leaves_no_half_written_decision(journal):
    entries.evidence(journal)
    rng = random.Random(12)
    for run_number in range(KILLS):
        run = f"run{run_number}"
        acknowledged = save_until_killed(journal, run, rng)
        rows = stored(journal)
        assert_whole(rows)
        written = sorted(
            (r["entry_key"] for r in rows["decisions"] if r["entry_key"].startswith(f"{run}-")),
            key=lambda key: int(key.rsplit("-", 1)[1]),
        )
        # Saves run one after another: what is stored is the acknowledged ones, in order,
        # plus at most the one that committed just before the kill but was not yet printed.
        assert written[: len(acknowledged)] == acknowledged
        assert len(written) - len(acknowledged) in (0, 1)
        assert len(acknowledged) > 0

    # Still opens and takes a write; the snapshots read back whole.
    after = entries.record_decision(
        journal,
        DecisionDraft(CYCLE, PERSON, "calibrated", "hold", date(2026, 10, 2)),
        who="room",
        key="after-the-kills",
        snapshot=_snapshot("after-the-kills"),
    )
    assert after.written
    assert entries.decisions(journal, CYCLE)["outcome"].tolist() == ["hold"]
    for snapshot_id in entries.snapshots(journal)["snapshot_id"]:
        assert entries.snapshot(journal, snapshot_id).engineer_id == PERSON
