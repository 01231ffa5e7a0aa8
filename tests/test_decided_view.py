"""The Engineer page's Decisions section: each proposal and calibrated outcome saved in the app
for the person, and beside the latest one what the room saw when it was decided (its frozen
snapshot) next to today, with the sentences saying what changed since. Anonymised, the person,
the recorder and names in the rationale are hidden here too.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.journal import entries
from pipelines.journal.store import open_journal
from rungs_ui import page, queries, state
from rungs_ui.snapshot import changes, take_snapshot
from tests.test_pages import everything_shown
from tests.ui_fixtures import REPO, people_names

TIMEOUT = 60
RECORDER = "calibration.lead@example.com"
MONTHS_BEFORE = 4


@pytest.fixture(scope="module")
def person(wh, fixture_warehouse):
    """(engineer_id, name, level) of someone judged both at the as-of month and some months
    before it, so what the page shows today differs from what a room saw then."""
    month = queries.build_as_of(wh)
    then = (pd.Timestamp(month) - pd.DateOffset(months=MONTHS_BEFORE)).date()
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        row = con.execute(
            "select r.engineer_id, e.name, r.level from readiness r "
            "join engineers e using (engineer_id) "
            "join readiness t on t.engineer_id = r.engineer_id and t.month = $then "
            "where r.month = $now order by r.engineer_id limit 1",
            {"now": month, "then": then},
        ).fetchone()
    assert row is not None, "the demo org must have someone judged in both months"
    return row, month, then


@pytest.fixture
def decided(monkeypatch, tmp_path, wh, person):
    """A proposal, then a calibrated outcome saved with the snapshot of the earlier month."""
    (engineer_id, name, level), month, then = person
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    journal = open_journal(tmp_path / "journal.sqlite")
    decided_on = (pd.Timestamp(then) + pd.offsets.MonthEnd(0)).date()
    cycle = entries.cycle_of(decided_on)
    snap = take_snapshot(wh, engineer_id, then)
    entries.record_decision(
        journal,
        entries.DecisionDraft(cycle, engineer_id, "proposed", "in_band_raise", decided_on),
        who=RECORDER,
        key=entries.new_key(),
        snapshot=take_snapshot(wh, engineer_id, then),
    )
    rationale = f"{name} needs two more months at {level} before a raise"
    entries.record_decision(
        journal,
        entries.DecisionDraft(
            cycle, engineer_id, "calibrated", "hold", decided_on, rationale=rationale
        ),
        who=RECORDER,
        key=entries.new_key(),
        snapshot=snap,
    )
    now = take_snapshot(wh, engineer_id, month)
    return {
        "engineer_id": engineer_id,
        "name": name,
        "cycle": cycle,
        "decided_on": decided_on,
        "rationale": rationale,
        "then": snap.payload,
        "now": now.payload,
    }


def open_engineer(monkeypatch, fixture_warehouse, engineer_id, anonymised=False) -> AppTest:
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(fixture_warehouse))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    at.query_params.update({state.ANONYMISE: "true"} if anonymised else {})
    at.run()
    at.switch_page("pages/people/engineer.py").run()
    at.selectbox(key=state.ENGINEER).set_value(engineer_id).run()
    assert [e.value for e in at.exception] == []
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_saved_decision_shows_with_what_the_room_saw_and_what_changed_since(
    monkeypatch, fixture_warehouse, decided
):
    at = open_engineer(monkeypatch, fixture_warehouse, decided["engineer_id"])
    assert "Decisions" in [s.value for s in at.subheader]
    shown = markdown(at)
    assert f"**{page.text(decided['cycle'])}**" in shown
    assert "Proposed: **In\\-band raise**" in shown
    assert f"Calibrated: **Hold** — {page.text(decided['rationale'])}" in shown
    day = pd.Timestamp(decided["decided_on"]).strftime("%-d %b %Y")
    assert f"**As decided on {day}**" in shown
    assert "**As of today**" in shown

    lines = changes(decided["then"], decided["now"])
    assert lines, "months apart, the counters at least have moved"
    for line in lines:
        assert f"- {page.text(line)}" in shown

    counters = next(d.value for d in at.dataframe if "counter" in d.value.columns)
    months = counters.set_index("counter").loc["Consistent months at level"]
    then_counters = decided["then"]["readiness"]["counters"]
    now_counters = decided["now"]["readiness"]["counters"]
    assert months.tolist() == [
        str(then_counters["months_at_level"]),
        str(now_counters["months_at_level"]),
    ]
    trail = next(d.value for d in at.dataframe if "stage" in d.value.columns)
    assert trail["stage"].tolist() == ["Calibrated", "Proposed"]  # newest first
    assert set(trail["recorded_by"]) == {RECORDER}


def test_anonymised_the_decisions_name_nobody(monkeypatch, fixture_warehouse, decided, person):
    at = open_engineer(monkeypatch, fixture_warehouse, decided["engineer_id"], anonymised=True)
    text = everything_shown(at)
    assert "As decided on" in text
    names = set(people_names(fixture_warehouse).values())
    assert sorted(n for n in names if n in text) == []
    assert RECORDER not in text
    month = pd.Timestamp(decided["decided_on"]).strftime("%b %Y")
    assert f"**As decided on {month}**" in markdown(at)  # the month, not the day
    # Tenure as a range, in the sentences as in the table: no exact count of months.
    whole = decided["then"]["readiness"]["counters"]["whole_months_at_level"]
    assert f"Whole months at level {whole}" not in markdown(at)
    counters = next(d.value for d in at.dataframe if "counter" in d.value.columns)
    assert str(whole) not in counters.set_index("counter").loc["Whole months at level"].tolist()
