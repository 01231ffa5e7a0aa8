"""The Fairness page, run through AppTest on warehouses the pipeline built: what leadership
sees, who cannot open it, what Anonymise hides, and that a group under the minimum size is
nowhere in what the page shows or would download (chart specs and their data included)."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from types import SimpleNamespace

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.fairness import MEASURES
from rungs_ui import downloads as downloads_module
from tests.test_pages import TIMEOUT, _walk, everything_shown
from tests.test_scope_pages import run_as
from tests.ui_fixtures import DEMO_SEED, END_MONTH, REPO, build_warehouse, people_names

SCRIPT = "pages/policy/fairness.py"
SMALL_TEAM = "Quokka"
SMALL_MANAGER, SMALL_MANAGER_ID = "Zephyrine Quill", "M900"
SMALL_GROUP_SIZE = 4


@pytest.fixture
def served(monkeypatch):
    """The bytes of every download the run offers, exactly as a click would serve them."""
    files: list[str] = []

    def made_now(make):
        files.append(make().decode("utf-8"))
        return make

    monkeypatch.setattr(downloads_module, "made_on_click", made_now)
    return files


@pytest.fixture(scope="module")
def small_group_warehouse(tmp_path_factory):
    """A demo org of 40 (four teams of ten) with four engineers (and nobody else, ever) in a
    team of their own, reporting to a manager of their own from their first day. The page
    withholds one more team with it (Harbor here), so the small team's size cannot be worked
    out from the others and the org's total."""
    from pipelines.demo.generate import generate_demo

    source = tmp_path_factory.mktemp("small-group") / "source"
    generate_demo(source, engineers=40, months=14, seed=DEMO_SEED, end_month=END_MONTH)
    roster = _read(source / "engineers.csv")
    managers = {r["manager_id"] for r in roster}
    engineers = [r for r in roster if r["engineer_id"] not in managers]
    # Two from each of the two largest teams, so no other team falls under the minimum.
    largest = [t for t, _ in Counter(r["team"] for r in engineers).most_common(2)]
    moved = [r for team in largest for r in [e for e in engineers if e["team"] == team][:2]]
    for row in moved:
        row.update(team=SMALL_TEAM, manager_id=SMALL_MANAGER_ID)
    boss = next(r for r in roster if r["engineer_id"] in managers and r["manager_id"])
    roster.append(
        boss | {"engineer_id": SMALL_MANAGER_ID, "name": SMALL_MANAGER, "email": "zq@example.com"}
    )
    _write(source / "engineers.csv", roster)
    ids = {r["engineer_id"] for r in moved}
    changes = [r for r in _read(source / "manager_changes.csv") if r["engineer_id"] not in ids]
    _write(source / "manager_changes.csv", changes, fields=_header(source / "manager_changes.csv"))
    warehouse = build_warehouse(source, source.parent / "warehouse.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = con.execute(
            "select count(distinct engineer_id) from reporting_lines where manager_id = $m",
            {"m": SMALL_MANAGER_ID},
        ).fetchone()[0]
        team = con.execute(
            "select count(*) from engineers where team = $t", {"t": SMALL_TEAM}
        ).fetchone()[0]
    assert lines == team == SMALL_GROUP_SIZE
    return warehouse


def _read(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _header(path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def _write(path, rows, fields=None):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main_area(at) -> str:
    """Everything the page itself shows, chart specs and their data included; the sidebar
    (the month and the filter lists every page shares) left out."""
    return everything_shown(SimpleNamespace(main=at.main, sidebar=SimpleNamespace()))


def open_local(monkeypatch, tmp_path, warehouse, query=None) -> AppTest:
    """The page in local mode (no sign-in: everyone visible, as an admin on their machine)."""
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(SCRIPT).run()
    assert [e.value for e in at.exception] == []
    return at


def emails(demo_source, role: str) -> list[str]:
    roles = tomllib.loads((demo_source / "access.toml").read_text())["roles"]
    return [e for e in roles[role] if not e.startswith("group:")]


def test_leadership_sees_evidence_by_manager_first_then_every_measure(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, served
):
    email = emails(demo_source, "leadership")[0]
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, SCRIPT
    )
    assert [t.value for t in at.title] == ["Fairness"]
    # The demo org is small: of its groupings, only a level has enough people in it to show.
    at.selectbox(key="fairness_grouping").set_value("level").run()
    assert [e.value for e in at.exception] == []
    subheaders = [s.value for s in at.subheader]
    assert subheaders[0].startswith("Before calibration")
    assert "Across groups" in subheaders
    text = main_area(at)
    assert "not** that the people are doing less well" in text
    # Marked figures are put against what chance alone would give.
    assert "About one comparison in twenty does so by chance alone" in text
    # The grid heads every measure; evidence is the first measure drawn.
    for measure in MEASURES:
        assert measure.short in text
    assert "**Evidence per person-month**" in text
    # The org's rate is drawn on the charts, and each download names no id.
    assert "Org's rate" in text
    assert served and all("E0" not in f for f in served)


def test_only_the_picked_measure_is_drawn(monkeypatch, tmp_path, fixture_warehouse):
    at = open_local(monkeypatch, tmp_path, fixture_warehouse)
    at.selectbox(key="fairness_grouping").set_value("level").run()
    for measure in MEASURES:
        at.segmented_control(key="fairness_measure").set_value(measure.key).run()
        assert [e.value for e in at.exception] == []
        text = main_area(at)
        assert f"**{measure.label}**" in text
        others = [m.label for m in MEASURES if m is not measure]
        assert not [label for label in others if f"**{label}**" in text]
        charts = [e for e in _walk(at.main) if e.type == "vega_lite_chart"]
        # Evidence by manager, then the picked measure when the period has a figure of it.
        drawn = 1 if f"No {measure.label.lower()} in this period" in text else 2
        assert len(charts) == drawn


@pytest.mark.parametrize("role", ["manager", "engineer"])
def test_managers_and_engineers_cannot_open_it(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, role
):
    email = emails(demo_source, role)[0]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_as(monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, SCRIPT)


def test_anonymised_shows_no_real_name(monkeypatch, tmp_path, fixture_warehouse, served):
    at = open_local(monkeypatch, tmp_path, fixture_warehouse, {"anonymise": "true"})
    at.selectbox(key="fairness_grouping").set_value("manager").run()
    assert [e.value for e in at.exception] == []
    shown = everything_shown(at) + "\n".join(served)
    assert "Manager " in shown  # managers by letter
    named = [n for n in people_names(fixture_warehouse).values() if n in shown]
    assert named == []


@pytest.mark.parametrize(
    ("grouping", "small", "shown"),
    [("team", SMALL_TEAM, "Meridian"), ("manager", SMALL_MANAGER, "Jonatan Mateos")],
)
def test_a_group_of_four_is_nowhere_in_the_page_or_its_downloads(
    monkeypatch, tmp_path, small_group_warehouse, served, grouping, small, shown
):
    at = open_local(monkeypatch, tmp_path, small_group_warehouse)
    at.selectbox(key="fairness_grouping").set_value(grouping).run()
    assert [e.value for e in at.exception] == []
    charts = [e for e in _walk(at.main) if e.type == "vega_lite_chart"]
    assert len(charts) == 2  # evidence by manager, then the picked measure
    text = main_area(at)
    assert shown in text  # the groups big enough are there
    assert small not in text
    # The last run's downloads: evidence by manager and the figures by this grouping.
    assert len(served) >= 2 and all(small not in f for f in served[-2:])
    assert shown in served[-1]
    # The page says a group is withheld, without naming or sizing it.
    assert any("withheld" in i.value for i in at.info)


def test_sidebar_filters_do_not_narrow_the_figures_so_two_views_cannot_be_subtracted(
    monkeypatch, tmp_path, small_group_warehouse, served
):
    # The attack this stops: every team, then every team but the small one; the difference
    # of the two region tables would be the small team's figures.
    with duckdb.connect(str(small_group_warehouse), read_only=True) as con:
        teams = [t for (t,) in con.execute("select distinct team from engineers").fetchall()]
    views = []
    for query in ({}, {"team": [t for t in teams if t != SMALL_TEAM]}):
        served.clear()
        at = open_local(monkeypatch, tmp_path, small_group_warehouse, query)
        at.selectbox(key="fairness_grouping").set_value("region").run()
        assert [e.value for e in at.exception] == []
        views.append((served[-2:], [i.value for i in at.info]))
    (unfiltered, _), (filtered, notes) = views
    assert filtered == unfiltered
    assert any("filters do not apply here" in n for n in notes)
