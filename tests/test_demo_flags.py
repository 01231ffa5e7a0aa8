"""The demo org, built by the real pipeline, shows every flag it was designed to show, so every
dashboard page has something true to display."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.demo.generate import generate_demo
from pipelines.load.build import build
from tests.pipeline_fixtures import query

FLAG_COLUMNS = {
    "promotion_ready": "promotion_ready",
    "near_window": "near_window",
    "in_band": "in_band_candidate",
    "at_risk": "at_risk",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple:
    folder = tmp_path_factory.mktemp("demo")
    summary = generate_demo(folder / "in", end_month="2026-10")
    warehouse = folder / "w.duckdb"
    report = build(folder / "in", warehouse)
    return summary, report, warehouse


def test_demo_builds_without_a_rejected_row(demo):
    _summary, report, _warehouse = demo
    assert report.rows_rejected == 0
    assert report.as_of_month == "2026-10"


@pytest.mark.parametrize("archetype", sorted(FLAG_COLUMNS))
def test_engine_flags_exactly_the_designed_people(demo, archetype):
    summary, _report, warehouse = demo
    column = FLAG_COLUMNS[archetype]
    flagged = [
        r[0]
        for r in query(
            warehouse,
            f"select engineer_id from readiness where month = '2026-10-01' and {column} "
            "order by engineer_id",
        )
    ]
    assert len(summary.archetypes[archetype]) >= 2
    assert flagged == sorted(summary.archetypes[archetype])


def test_onboarding_people_and_leavers_are_not_judged_in_the_as_of_month(demo):
    summary, _report, warehouse = demo
    judged = {
        r[0]
        for r in query(warehouse, "select engineer_id from readiness where month = '2026-10-01'")
    }
    assert summary.archetypes["onboarding"]
    assert summary.archetypes["leaver"]
    assert judged.isdisjoint(summary.archetypes["onboarding"])
    assert judged.isdisjoint(summary.archetypes["leaver"])


def test_every_flag_in_the_as_of_month_carries_a_reason(demo):
    _summary, _report, warehouse = demo
    assert query(
        warehouse,
        "select count(*) from readiness where month = '2026-10-01' "
        "and (reason is null or length(reason) < 20)",
    ) == [(0,)]


def test_team_leads_exist_with_a_scaled_volume_bar(demo):
    summary, _report, warehouse = demo
    leads = query(warehouse, "select count(*) from engineers where team_lead")
    assert leads[0][0] >= 3
    assert set(summary.archetypes["team_lead"]) <= {
        r[0] for r in query(warehouse, "select engineer_id from engineers where team_lead")
    }


def test_demo_source_folder_is_what_the_readme_describes(demo):
    summary, _report, _warehouse = demo
    names = sorted(p.name for p in Path(summary.out_dir).iterdir() if not p.name.startswith("."))
    assert names == [
        "access.toml",
        "decisions.csv",
        "engineers.csv",
        "evidence.csv",
        "leave.csv",
        "levels.csv",
        "manager_changes.csv",
        "tickets.csv",
    ]
