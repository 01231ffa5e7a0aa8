"""The frozen view of one person saved with a decision (rungs_ui.snapshot), and the sentences
that say what changed since, on the demo warehouse as the pages open it."""

from __future__ import annotations

import copy
import json
import re

import duckdb
import pytest

from pipelines.access import everyone
from rungs_ui import formats, queries, warehouse
from rungs_ui.snapshot import (
    FLAG_COLUMNS,
    TEAM_MEDIAN_HIDDEN,
    changes,
    take_snapshot,
    without_team_median,
)
from tests.ui_fixtures import REPO


@pytest.fixture(scope="module")
def wh(fixture_warehouse):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(warehouse.WAREHOUSE_ENV, str(fixture_warehouse))
        yield warehouse.current().scoped(everyone())


@pytest.fixture(scope="module")
def flagged(wh, fixture_warehouse):
    """(engineer_id, month, the warehouse's readiness row) of a flagged person with evidence
    at the build's as-of month, read straight from the warehouse file."""
    month = queries.build_as_of(wh)
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        rows = con.execute(
            "select r.* from readiness r where r.month = $m and (r.promotion_ready or "
            "r.near_window or r.in_band_candidate or r.at_risk) and exists (select 1 from "
            "evidence e where e.engineer_id = r.engineer_id) order by r.engineer_id",
            {"m": month},
        ).df()
    assert not rows.empty, "the demo org must flag someone with evidence"
    row = rows.iloc[0]
    return row["engineer_id"], month, row


def test_the_snapshot_holds_the_readiness_row_the_page_shows(wh, flagged):
    engineer_id, month, row = flagged
    snap = take_snapshot(wh, engineer_id, month)
    build = queries.latest_build(wh)
    assert (snap.engineer_id, snap.build_id) == (engineer_id, build["build_id"])
    assert snap.framework_version == build["framework_version"]
    readiness = snap.payload["readiness"]
    assert readiness["flags"] == [f for f in FLAG_COLUMNS if bool(row[f])]
    assert readiness["flags"]  # the fixture picked a flagged person
    assert readiness["reason"] == row["reason"]
    counters = readiness["counters"]
    for name in ("months_at_level", "months_at_next", "whole_months_at_level", "next_level"):
        assert counters[name] == (row[name].item() if hasattr(row[name], "item") else row[name])
    assert snap.payload["as_of_month"] == month.strftime("%Y-%m")
    assert snap.payload["person"]["engineer_id"] == engineer_id
    assert snap.payload["person"]["level"] == row["level"]


def test_the_snapshot_keeps_a_year_of_checks_and_every_evidence_item(wh, flagged):
    engineer_id, month, _ = flagged
    payload = take_snapshot(wh, engineer_id, month).payload
    months = {cell["month"] for cell in payload["attainment"]}
    assert max(months) == month.strftime("%Y-%m")
    assert len(months) <= 12
    assert {m["metric"] for m in payload["metrics"]} <= {
        "sla_adherence",
        "median_open_hours",
        "volume_ratio",
    }
    assert all(m["label"] for m in payload["metrics"])  # each bar by its framework label
    shown = queries.engineer_evidence(wh, engineer_id, month)
    assert [e["evidence_id"] for e in payload["evidence"]] == shown["evidence_id"].tolist()
    origins = shown["origin"] if "origin" in shown else ["evidence.csv"] * len(shown)
    assert [e["origin"] for e in payload["evidence"]] == list(origins)


def test_a_payload_survives_json_unchanged(wh, flagged):
    engineer_id, month, _ = flagged
    payload = take_snapshot(wh, engineer_id, month).payload
    assert json.loads(json.dumps(payload)) == payload


def test_changes_names_a_cleared_flag_a_moved_counter_and_added_evidence(wh, flagged):
    engineer_id, month, _ = flagged
    now = take_snapshot(wh, engineer_id, month).payload
    then = copy.deepcopy(now)
    cleared = now["readiness"]["flags"][0]
    then["readiness"]["flags"] = [f for f in then["readiness"]["flags"] if f != cleared]
    then["readiness"]["counters"]["months_at_level"] -= 3
    added = then["evidence"].pop(0)
    said = changes(then, now)
    months = now["readiness"]["counters"]["months_at_level"]
    assert f"Months at level {months - 3} → {months}." in said
    assert any(s.startswith("Now ") for s in said)  # raised since: cleared the other way
    assert any(added["evidence_id"] in s and s.startswith("Evidence added") for s in said)
    backwards = changes(now, then)
    assert any(s.startswith("No longer ") for s in backwards)
    assert any(s.startswith("Evidence no longer counted") for s in backwards)


def test_changes_says_nothing_when_nothing_changed_and_names_a_cell_that_did(wh, flagged):
    engineer_id, month, _ = flagged
    now = take_snapshot(wh, engineer_id, month).payload
    assert changes(now, copy.deepcopy(now)) == []
    then = copy.deepcopy(now)
    cell = then["attainment"][-1]
    cell["status"] = "below" if cell["status"] != "below" else "above"
    said = changes(then, now)
    assert said == [
        f"{cell['category']} in {formats.month(cell['month'] + '-01')}: status {cell['status']} → "
        f"{now['attainment'][-1]['status']}."
    ]


def test_change_sentences_write_days_and_months_as_the_pages_do(wh, flagged):
    engineer_id, month, _ = flagged
    now = take_snapshot(wh, engineer_id, month).payload
    then = copy.deepcopy(now)
    then["readiness"]["counters"]["last_raise_on"] = "2021-03-15"
    then["readiness"]["counters"]["projected_window_month"] = "2021-04"
    said = " ".join(changes(then, now))
    assert "Last raise on 15 Mar 2021 → " in said
    assert "Projected window month Apr 2021 → " in said
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", said)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_a_snapshot_hides_the_team_median_as_the_query_does_for_a_partial_view():
    sql = (REPO / "rungs_ui/queries/sql/engineer_readiness.sql").read_text(encoding="utf-8")
    for pattern, words in TEAM_MEDIAN_HIDDEN:
        assert f"{_sql_literal(pattern)}, {_sql_literal(words)}" in sql
    reason = "Volume 0.4 of the team median 31 tickets; below the team's median of 31 in May."
    hidden = without_team_median({"readiness": {"reason": reason}})["readiness"]["reason"]
    assert hidden == "Volume 0.4 of the team median not shown; below the team's median in May."
