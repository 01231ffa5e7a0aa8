"""The calibration loop end to end, as issue 12's "done when" reads: a manager records evidence
and proposes an outcome, the meeting calibrates it, and six months and three rebuilds later
(a corrected file, a framework change, six more months of data) the decision still shows
exactly what the room saw, while the rules have taken the decision in.

This is the scripted walk-through: it uses the functions the pages call (validate, record,
snapshot) under each person's own scope, and the Engineer page itself at the end.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.access import load_policy, resolve_scope
from pipelines.framework import DEFAULT_FRAMEWORK
from pipelines.journal import entries
from pipelines.journal.store import JOURNAL_ENV, open_journal
from pipelines.journal.validate import decision_problems, evidence_problems
from pipelines.load.build import build
from rungs_ui import page, queries, state, warehouse
from rungs_ui.snapshot import changes, take_snapshot
from tests.ui_fixtures import REPO, make_demo_source

pytestmark = pytest.mark.slow

MEETING = "2026-04"  # the calibration meeting looked at data up to April
MEETING_DAY = date(2026, 5, 6)
EFFECTIVE = date(2026, 6, 1)
LATER = ("2026-06", "2026-08", "2026-10")  # three rebuilds, the last six months on
LEADERSHIP = "vp.walkthrough@example.com"


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _handle(path: Path) -> warehouse.Warehouse:
    os.environ[warehouse.WAREHOUSE_ENV] = str(path)
    return warehouse.current()


def _scope(wh: warehouse.Warehouse, access: Path, email: str, month: date):
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        return resolve_scope(con, load_policy(access), email, month=month)
    finally:
        con.close()


@pytest.fixture
def org(tmp_path, monkeypatch):
    source = make_demo_source(tmp_path / "source")
    framework = tmp_path / "framework.toml"
    shutil.copy(DEFAULT_FRAMEWORK, framework)
    access = tmp_path / "access.toml"
    access.write_text(f'[roles]\nleadership = ["{LEADERSHIP}"]\n', encoding="utf-8")
    journal_file = tmp_path / "journal.sqlite"
    monkeypatch.setenv(JOURNAL_ENV, str(journal_file))
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(access))
    return source, framework, access, open_journal(journal_file), tmp_path / "warehouse.duckdb"


def test_a_decision_still_shows_what_the_room_saw_six_months_and_three_rebuilds_later(
    org, monkeypatch
):
    monkeypatch.setenv(warehouse.WAREHOUSE_ENV, "")  # restored after the walk sets it
    walk = walk_through(*org)
    engineer_id, then, moved = walk["engineer_id"], walk["then"], walk["moved"]

    # 5. The Engineer page shows "as decided" beside "as of today", and what changed.
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/people/engineer.py").run()
    at.selectbox(key=state.ENGINEER).set_value(engineer_id).run()
    assert [e.value for e in at.exception] == []
    shown = "\n".join(m.value for m in at.markdown)
    day = pd.Timestamp(MEETING_DAY).strftime("%-d %b %Y")
    assert f"**As decided on {day}**" in shown and "**As of today**" in shown
    assert page.text(then.payload["readiness"]["reason"]) in shown
    for line in moved:
        assert f"- {page.text(line)}" in shown


def walk_through(source: Path, framework: Path, access: Path, journal, target: Path) -> dict:
    """Steps 1-4 of the walk-through, asserting as they go; also run by hand to take the
    closing note's screenshots. Sets RUNGS_WAREHOUSE to `target`."""
    build(source, target, framework_path=framework, as_of=MEETING, journal=journal)
    wh = _handle(target)
    meeting = queries.build_as_of(wh)

    # The person: someone at the meeting month who has a manager on the roster.
    with duckdb.connect(str(target), read_only=True) as con:
        engineer_id, manager_email, level, next_level = con.execute(
            "select r.engineer_id, m.email, r.level, r.next_level from readiness r "
            "join engineers e using (engineer_id) join engineers m on m.engineer_id = "
            "e.manager_id where r.month = $m and r.next_level is not null "
            "order by r.promotion_ready desc, r.near_window desc, r.engineer_id limit 1",
            {"m": meeting},
        ).fetchone()

    # 1. The manager records an example, checked as evidence.csv would be, in their scope.
    manager = _scope(wh, access, manager_email, meeting)
    assert manager.role == "manager" and manager.may_record_evidence(engineer_id)
    example = entries.EvidenceDraft(
        engineer_id, date(2026, 4, 20), "Impact", next_level, "Ran the April incident review"
    )
    assert evidence_problems(example, queries.framework(wh)) == []
    entries.record_evidence(journal, example, who=manager.viewer, key=entries.new_key())

    # 2. The manager proposes a promotion, with what their page shows saved beside it.
    cycle = entries.cycle_of(MEETING_DAY)
    proposal = entries.DecisionDraft(
        cycle,
        engineer_id,
        "proposed",
        "promotion",
        MEETING_DAY,
        "Ready by the rules",
        to_level=next_level,
        effective_on=EFFECTIVE,
    )
    assert manager.may_propose(engineer_id) and not manager.may_calibrate()
    assert decision_problems(proposal, queries.framework(wh)) == []
    as_manager = wh.scoped(manager)
    entries.record_decision(
        journal,
        proposal,
        who=manager.viewer,
        key=entries.new_key(),
        snapshot=take_snapshot(as_manager, engineer_id, meeting),
    )

    # 3. The meeting calibrates it; the room's view is frozen with the decision.
    lead = _scope(wh, access, LEADERSHIP, meeting)
    assert lead.may_calibrate()
    calibrated = entries.DecisionDraft(
        cycle,
        engineer_id,
        "calibrated",
        "promotion",
        MEETING_DAY,
        "Consistent at the next level in every category; the incident review shows Impact",
        to_level=next_level,
        effective_on=EFFECTIVE,
    )
    assert decision_problems(calibrated, queries.framework(wh)) == []
    room_saw = take_snapshot(wh.scoped(lead), engineer_id, meeting)
    # The example recorded minutes before is part of what the room saw, not yet in a build.
    seen = [e for e in room_saw.payload["evidence"] if e["origin"] == "app"]
    assert [(e["summary"], e["pending"]) for e in seen] == [(example.summary, "new")]
    entries.record_decision(
        journal, calibrated, who=lead.viewer, key=entries.new_key(), snapshot=room_saw
    )
    saved = entries.decisions(journal, cycle).set_index("stage").loc["calibrated"]
    frozen_text = _stored_payload(journal, saved["snapshot_id"])

    # 4. Three rebuilds: a corrected evidence.csv, a framework change, six more months.
    evidence_file = source / "evidence.csv"
    rows = _read(evidence_file)
    _write(evidence_file, [r for r in rows if r["engineer_id"] != engineer_id] or rows[:1])
    build(source, target, framework_path=framework, as_of=LATER[0], journal=journal)
    text = framework.read_text(encoding="utf-8")
    framework.write_text(
        text.replace('version = "2026.11"', 'version = "2027.01"'), encoding="utf-8"
    )
    build(source, target, framework_path=framework, as_of=LATER[1], journal=journal)
    build(source, target, framework_path=framework, as_of=LATER[2], journal=journal)
    wh = _handle(target)
    today = queries.build_as_of(wh)
    assert today == date(2026, 10, 1)
    assert queries.latest_build(wh)["framework_version"] == "2027.01"

    # The decision still shows exactly what the room saw: byte for byte, as saved.
    assert _stored_payload(journal, saved["snapshot_id"]) == frozen_text
    then = entries.snapshot(journal, saved["snapshot_id"])
    assert then.payload == room_saw.payload
    assert then.framework_version == "2026.11" and then.payload["as_of_month"] == MEETING
    assert then.payload["person"]["level"] == level

    # ...while the rules took the calibrated promotion in: the new level from June.
    now = take_snapshot(wh.scoped(lead), engineer_id, today)
    assert now.payload["person"]["level"] == next_level
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute(
            "select level, effective_on, origin from levels where engineer_id = $e "
            "and origin = 'app'",
            {"e": engineer_id},
        ).fetchall() == [(next_level, EFFECTIVE, "app")]
    moved = changes(then.payload, now.payload)
    assert moved, "six months, a promotion and a corrected file later, something moved"

    return {"engineer_id": engineer_id, "then": then, "moved": moved, "cycle": cycle}


def _stored_payload(journal, snapshot_id: str) -> str:
    with journal.transaction() as cur:
        (row,) = cur.rows("select payload from snapshots where snapshot_id = ?", (snapshot_id,))
    json.loads(row["payload"])  # it is the JSON the decision was saved with
    return row["payload"]
