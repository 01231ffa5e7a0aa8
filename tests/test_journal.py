"""The journal keeps evidence and decisions forever, the same on SQLite and PostgreSQL: an edit
is a new version, a removal a tombstone with its reason, a retried save writes nothing twice, a
decision's snapshot comes back as it was saved, old journals are migrated once, and a journal
that cannot be used is an error naming where it is and the fix."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date

import pandas as pd
import pytest

from pipelines import audit
from pipelines.framework import DEFAULT_FRAMEWORK, load_framework
from pipelines.journal import entries
from pipelines.journal.entries import DecisionDraft, EvidenceDraft, Snapshot, new_key
from pipelines.journal.store import MIGRATIONS, JournalError, _script, open_journal
from tests.journal_servers import free_port, journal, postgres_server, postgres_url

__all__ = ["journal", "postgres_server", "postgres_url"]  # fixtures, used by name

FRAMEWORK = load_framework(DEFAULT_FRAMEWORK)
LEVEL, NEXT_LEVEL = FRAMEWORK.levels[:2]
CATEGORY = FRAMEWORK.categories[0]
CYCLE = "2026-H2"


def evidence_draft(**changes) -> EvidenceDraft:
    values = {
        "engineer_id": "E001",
        "observed_on": date(2026, 9, 14),
        "category": CATEGORY,
        "level": LEVEL,
        "summary": "Led the review of the September outage",
        "link": "https://tickets.example.com/4711",
    }
    return EvidenceDraft(**(values | changes))


def decision_draft(**changes) -> DecisionDraft:
    values = {
        "cycle": CYCLE,
        "engineer_id": "E001",
        "stage": "proposed",
        "outcome": "promotion",
        "decided_on": date(2026, 10, 2),
        "rationale": "Sustained impact across two quarters",
        "to_level": NEXT_LEVEL,
        "effective_on": date(2026, 11, 1),
    }
    return DecisionDraft(**(values | changes))


def snap(engineer_id="E001", **payload) -> Snapshot:
    return Snapshot(engineer_id, "build-7", "2026.2", payload or {"flags": ["promotion_ready"]})


# --- evidence ---------------------------------------------------------------------------------


def test_recorded_evidence_reads_back_as_the_contract_columns(journal):
    saved = entries.record_evidence(journal, evidence_draft(), who="ana", key=new_key())
    assert saved.written
    assert saved.id.startswith("app-")
    [row] = entries.evidence(journal).to_dict("records")
    assert row == {
        "evidence_id": saved.id,
        "engineer_id": "E001",
        "observed_on": "2026-09-14",  # ISO text on both databases
        "category": CATEGORY,
        "level": LEVEL,
        "kind": "example",
        "summary": "Led the review of the September outage",
        "link": "https://tickets.example.com/4711",
        "source": "manager",
        "recorded_by": "ana",
        "recorded_at": row["recorded_at"],
        "version": 1,
        "removed": False,
        "removal_reason": None,
    }
    assert row["recorded_at"].endswith("+00:00")


def test_an_edit_is_a_new_version_of_the_same_item(journal):
    first = entries.record_evidence(journal, evidence_draft(), who="ana", key=new_key())
    entries.record_evidence(
        journal,
        evidence_draft(summary="Led the outage review and wrote the follow-ups"),
        who="ben",
        key=new_key(),
        evidence_id=first.id,
    )
    current = entries.evidence(journal)
    assert current[["evidence_id", "summary", "version", "recorded_by"]].values.tolist() == [
        [first.id, "Led the outage review and wrote the follow-ups", 2, "ben"]
    ]
    history = entries.evidence_history(journal, first.id)
    assert history["summary"].tolist() == [
        "Led the review of the September outage",
        "Led the outage review and wrote the follow-ups",
    ]


def test_a_removal_is_a_tombstone_with_its_reason(journal):
    kept = entries.record_evidence(journal, evidence_draft(engineer_id="E002"), who="a", key="k1")
    gone = entries.record_evidence(journal, evidence_draft(), who="ana", key="k2")
    entries.remove_evidence(journal, gone.id, who="ben", reason="  Wrong person  ", key="k3")

    assert entries.evidence(journal)["evidence_id"].tolist() == [kept.id]
    with_removed = entries.evidence(journal, include_removed=True).set_index("evidence_id")
    assert with_removed["removed"].tolist() == [False, True]
    assert with_removed.loc[gone.id, "removal_reason"] == "Wrong person"
    assert with_removed.loc[gone.id, "version"] == 2
    history = entries.evidence_history(journal, gone.id)
    assert history["removed"].tolist() == [0, 1]  # the original is kept, not overwritten
    assert history["summary"].nunique() == 1


def test_a_removal_needs_a_reason_and_an_item(journal):
    with pytest.raises(ValueError, match="needs its reason"):
        entries.remove_evidence(journal, "app-x", who="ana", reason=" ", key=new_key())
    with pytest.raises(KeyError, match="no evidence app-none"):
        entries.remove_evidence(journal, "app-none", who="ana", reason="dup", key=new_key())


def test_the_same_evidence_key_twice_writes_once(journal):
    key = new_key()
    first = entries.record_evidence(journal, evidence_draft(), who="ana", key=key)
    again = entries.record_evidence(journal, evidence_draft(summary="retry"), who="ana", key=key)
    assert (first.written, again.written) == (True, False)
    assert again.id == first.id
    removal = new_key()
    entries.remove_evidence(journal, first.id, who="ana", reason="dup", key=removal)
    repeat = entries.remove_evidence(journal, first.id, who="ana", reason="dup", key=removal)
    assert not repeat.written
    assert len(entries.evidence_history(journal, first.id)) == 2


def test_a_key_saved_by_another_server_meanwhile_returns_that_servers_item(journal):
    """Two servers retry the same save at once: the second finds the key only when it inserts
    (PostgreSQL) or once the first commits (SQLite); either way it reports the first's id."""
    entries.evidence(journal)  # the schema, before the transaction below holds its lock
    result: list[entries.Saved] = []
    retry = threading.Thread(
        target=lambda: result.append(
            entries.record_evidence(journal, evidence_draft(), who="tab-2", key="k")
        )
    )
    with journal.transaction() as cur:
        cur.execute(
            "insert into evidence_entries (entry_key, evidence_id, engineer_id, observed_on, "
            "category, level, kind, summary, source, recorded_by, recorded_at) "
            "values ('k', 'app-first', 'E001', '2026-09-14', ?, ?, 'example', 'first', "
            "'manager', 'tab-1', '2026-09-14T10:00:00+00:00')",
            (CATEGORY, LEVEL),
        )
        retry.start()
        time.sleep(0.5)  # the retry is now waiting on this uncommitted save
    retry.join(timeout=30)
    assert result == [entries.Saved("app-first", written=False)]
    assert entries.evidence(journal)["summary"].tolist() == ["first"]


# --- decisions --------------------------------------------------------------------------------


def test_decisions_are_current_per_cycle_person_and_stage(journal):
    entries.record_decision(journal, decision_draft(), who="mgr", key="p1", snapshot=snap())
    entries.record_decision(
        journal,
        decision_draft(outcome="hold", to_level=None, effective_on=None),
        who="mgr",
        key="p2",
        snapshot=snap(),
    )
    entries.record_decision(
        journal, decision_draft(stage="calibrated"), who="room", key="c1", snapshot=snap()
    )
    entries.record_decision(
        journal,
        decision_draft(engineer_id="E002", cycle="2026-H1"),
        who="m",
        key="o1",
        snapshot=None,
    )

    current = entries.decisions(journal, CYCLE)
    assert current[["engineer_id", "stage", "outcome", "version"]].values.tolist() == [
        ["E001", "proposed", "hold", 2],
        ["E001", "calibrated", "promotion", 1],
    ]
    calibrated = current.iloc[1].to_dict()
    assert calibrated["decided_on"] == "2026-10-02"
    assert calibrated["effective_on"] == "2026-11-01"
    assert calibrated["to_level"] == NEXT_LEVEL
    assert calibrated["snapshot_id"] == "snap-c1"
    assert len(entries.decisions(journal)) == 3  # every cycle


def test_a_withdrawn_decision_leaves_current_but_stays_in_history(journal):
    entries.record_decision(journal, decision_draft(), who="mgr", key="p1", snapshot=snap())
    entries.remove_decision(
        journal, CYCLE, "E001", "proposed", who="mgr", reason="Raised too early", key="w1"
    )
    repeat = entries.remove_decision(
        journal, CYCLE, "E001", "proposed", who="mgr", reason="Raised too early", key="w1"
    )
    assert not repeat.written
    assert entries.decisions(journal, CYCLE).empty
    history = entries.decision_history(journal, CYCLE)
    assert history["removed"].tolist() == [True, False]  # newest first
    assert history["removal_reason"].tolist()[0] == "Raised too early"
    with pytest.raises(KeyError, match="nothing calibrated for E001"):
        entries.remove_decision(
            journal, CYCLE, "E001", "calibrated", who="m", reason="x", key=new_key()
        )


def test_the_same_decision_key_twice_writes_one_row_and_one_snapshot(journal):
    first = entries.record_decision(journal, decision_draft(), who="m", key="k", snapshot=snap())
    again = entries.record_decision(
        journal, decision_draft(outcome="hold"), who="m", key="k", snapshot=snap(flags=["x"])
    )
    assert (first.written, again.written) == (True, False)
    assert len(entries.decision_history(journal)) == 1
    assert entries.snapshots(journal)["snapshot_id"].tolist() == ["snap-k"]
    assert entries.decisions(journal)["outcome"].tolist() == ["promotion"]


def test_history_is_newest_first_with_who_and_when(journal):
    for number, outcome in enumerate(["none", "hold", "promotion"]):
        entries.record_decision(
            journal,
            decision_draft(outcome=outcome),
            who=f"m{number}",
            key=f"k{number}",
            snapshot=None,
        )
    history = entries.decision_history(journal)
    assert history["outcome"].tolist() == ["promotion", "hold", "none"]
    assert history["recorded_by"].tolist() == ["m2", "m1", "m0"]
    assert history["recorded_at"].is_monotonic_decreasing
    assert history["removed"].dtype == bool


def test_cycles_are_listed_newest_first_once_each(journal):
    assert entries.cycles(journal) == []
    for number, cycle in enumerate(["2025-H2", "2026-H2", "2026-H1", "2026-H2"]):
        entries.record_decision(
            journal, decision_draft(cycle=cycle), who="m", key=f"k{number}", snapshot=None
        )
    assert entries.cycles(journal) == ["2026-H2", "2026-H1", "2025-H2"]
    assert entries.cycle_of(date(2026, 6, 30)) == "2026-H1"
    assert entries.cycle_of(date(2026, 7, 1)) == "2026-H2"


def test_a_snapshot_comes_back_as_it_was_saved(journal):
    payload = {
        "flags": ["promotion_ready", "near_window"],
        "reasons": {"promotion_ready": "3 of 3 bars met at IC3 — for 7 months"},
        "months_at_level": 19,
        "score": 0.875,
        "manager": "Zoë Ångström",
        "missing": None,
    }
    entries.record_decision(
        journal, decision_draft(), who="m", key="k", snapshot=Snapshot("E001", "b9", "v3", payload)
    )
    assert entries.snapshot(journal, "snap-k") == Snapshot("E001", "b9", "v3", payload)
    assert entries.snapshot(journal, "snap-other") is None
    [stored] = entries.snapshots(journal).to_dict("records")
    assert stored["engineer_id"] == "E001"
    assert stored["taken_at"].endswith("+00:00")


def test_both_backends_give_the_same_frames(journal, tmp_path):
    """What a page reads does not depend on where the journal lives."""
    reference = open_journal(tmp_path / "reference.sqlite")
    for target in (journal, reference):
        saved = entries.record_evidence(target, evidence_draft(), who="a", key="e1")
        entries.remove_evidence(target, saved.id, who="a", reason="typo", key="e2")
        entries.record_evidence(target, evidence_draft(link=None), who="a", key="e3")
        entries.record_decision(target, decision_draft(), who="m", key="d1", snapshot=snap())
        entries.record_decision(
            target,
            decision_draft(stage="calibrated", rationale="  "),
            who="m",
            key="d2",
            snapshot=None,
        )
    unstable = ["evidence_id", "recorded_at"]  # made up or clocked at each save
    for read in (
        lambda j: entries.evidence(j, include_removed=True).drop(columns=unstable),
        lambda j: entries.decisions(j).drop(columns=["recorded_at"]),
        lambda j: entries.decision_history(j).drop(columns=["recorded_at"]),
    ):
        pd.testing.assert_frame_equal(read(journal), read(reference))


# --- migrations and the audit log -------------------------------------------------------------


def make_old_journal(journal) -> None:
    """A journal as the first release left it: only migration 1, one audit row."""
    insert = (
        "insert into audit_log (at, who, role, action, target, scope) values "
        "('2026-01-05T09:00:00+00:00', 'ana', 'manager', 'sign_in', null, 'all')"
    )
    if journal.is_postgres:
        import psycopg

        with psycopg.connect(journal.url) as con:
            for statement in _script(1, postgres=True):
                con.execute(statement)
            con.execute("create table journal_version (version integer not null)")
            con.execute("insert into journal_version values (1)")
            con.execute(insert)
        return
    con = sqlite3.connect(journal.url)
    for statement in _script(1, postgres=False):
        con.execute(statement)
    con.execute(insert)
    con.execute("pragma user_version = 1")
    con.commit()
    con.close()


def applied(journal) -> list[int]:
    with journal.transaction() as cur:
        if journal.is_postgres:
            rows = cur.rows("select version from journal_version order by version")
            return [r["version"] for r in rows]
        return list(range(1, cur.rows("pragma user_version")[0]["user_version"] + 1))


def test_an_old_journal_is_migrated_once_keeping_its_rows(journal):
    make_old_journal(journal)
    entries.record_evidence(journal, evidence_draft(), who="ana", key="k1")
    entries.record_evidence(journal, evidence_draft(), who="ana", key="k2")  # re-opened
    assert applied(journal) == list(range(1, len(MIGRATIONS) + 1))
    log = audit.recent(path=journal.url)
    assert log[["who", "action"]].values.tolist() == [["ana", "sign_in"]]
    assert len(entries.evidence(journal)) == 2


def test_the_audit_log_lives_in_the_same_journal(journal):
    audit.record(audit.Event("ana", "manager", "sign_in", "all"), journal.url)
    audit.record(audit.Event("ana", "manager", "open_engineer", "all", "E001"), journal.url)
    log = audit.recent(path=journal.url)
    assert log["action"].tolist() == ["open_engineer", "sign_in"]
    assert log["target"].iloc[0] == "E001"
    assert pd.isna(log["target"].iloc[1])  # a sign-in opens nothing
    assert audit.recent(limit=1, path=journal.url)["action"].tolist() == ["open_engineer"]


def test_statements_take_question_marks_and_keep_a_literal_percent(journal):
    with journal.transaction() as cur:
        assert cur.rows("select ? || '% met' as said", ("3 of 3 bars, 100",)) == [
            {"said": "3 of 3 bars, 100% met"}
        ]
        assert cur.rows("select count(*) as n from audit_log where who like 'a%'") == [{"n": 0}]


# --- a journal that cannot be used ------------------------------------------------------------


def test_an_unreachable_postgres_names_the_server_hides_the_password_and_says_the_fix():
    url = f"postgresql://rungs:s3cret-pw@127.0.0.1:{free_port()}/rungs"
    with pytest.raises(JournalError) as caught:
        entries.evidence(open_journal(url))
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert f"postgresql://rungs:***@127.0.0.1:{url.split(':')[3]}" in message
    assert "cannot be opened" in message
    assert "Fix: check the server is running" in message


def test_an_unwritable_sqlite_path_names_the_file_and_the_fix(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal's folder should be")
    path = blocker / "journal.sqlite"
    with pytest.raises(JournalError) as caught:
        entries.record_evidence(open_journal(path), evidence_draft(), who="a", key="k")
    message = str(caught.value)
    assert str(path) in message
    assert "Fix: make its folder writable by the app" in message
