"""The What-if page, run through AppTest on the demo warehouse the pipeline builds: it offers
every setting a what-if can change, shows the same people pipelines.whatif finds when called
directly, says so when nobody moves, hides names when anonymised, saves a changed framework
without ever replacing a file, and is not there for managers or engineers."""

from __future__ import annotations

import tomllib

import duckdb
import pandas as pd
import pytest

from pipelines import audit
from pipelines.framework import load_framework
from pipelines.whatif import counts, framework_of_warehouse, run_whatif, settable
from pipelines.whatif.diff import short_change
from rungs_ui import charts, state
from rungs_ui import page as page_module
from rungs_ui.navigation import pages_for
from tests.test_pages import everything_shown, on_page, open_app
from tests.test_scope_pages import run_as
from tests.ui_fixtures import people_names

SCRIPT = "pages/policy/whatif.py"
PATHS = "whatif_paths"
MONTHS_AT_LEVEL = "rules.promotion_months_at_level"
# Longer than anyone on the demo org has held a level by its as-of month: the people ready
# today stop being ready, and projected windows move later.
LONGER = 20


@pytest.fixture(scope="module")
def settables(fixture_warehouse):
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        return settable(framework_of_warehouse(con))


@pytest.fixture(scope="module")
def longer_wait(fixture_warehouse):
    """What pipelines.whatif itself says the change does."""
    return run_whatif(fixture_warehouse, {MONTHS_AT_LEVEL: LONGER})


@pytest.fixture
def offered(monkeypatch):
    """Every frame the page offers as a download."""
    frames = []
    real = page_module.download

    def record(df, *args, **kwargs):
        frames.append(df)
        real(df, *args, **kwargs)

    monkeypatch.setattr(page_module, "download", record)
    return frames


def what_if(at, changes: dict[str, float]):
    """Pick the settings, type the new values, press Run."""
    at.multiselect(key=PATHS).set_value(list(changes)).run()
    for path, value in changes.items():
        at.number_input(key=f"whatif_value_{path}").set_value(value)
    next(b for b in at.button if b.label == "Run the what-if").click().run()
    assert [e.value for e in at.exception] == []
    assert [e.value for e in at.error] == []
    return at


def open_page(monkeypatch, warehouse, query=None):
    at = on_page(open_app(monkeypatch, warehouse, query), SCRIPT)
    assert [e.value for e in at.exception] == []
    return at


def test_the_page_offers_every_setting_with_its_current_value(
    monkeypatch, fixture_warehouse, settables
):
    at = open_page(monkeypatch, fixture_warehouse)
    options = at.multiselect(key=PATHS).options
    assert [o.split(" (now ")[0] for o in options] == [s.label for s in settables]
    ic3_scope = next(s for s in settables if s.path == "bars.IC3.Scope.sla_adherence")
    assert "IC3 Scope: SLA adherence bar (at least 96%)" in options  # a share as a percentage
    assert "Months at level before a promotion case (now 12)" in options
    listed = at.dataframe[0].value
    assert listed["path"].tolist() == [s.path for s in settables]
    assert listed.set_index("path").loc[ic3_scope.path, "current"] == "96%"
    assert "Pick a bar or a rule setting" in at.info[0].value


def test_a_longer_wait_at_level_moves_the_people_run_whatif_finds(
    monkeypatch, fixture_warehouse, longer_wait
):
    expected = longer_wait.changed
    assert not expected.empty, "the demo org must have someone this change moves"
    at = what_if(open_page(monkeypatch, fixture_warehouse), {MONTHS_AT_LEVEL: LONGER})

    people = at.dataframe[1].value  # after the list of settings
    assert sorted(people["page"].str.rsplit("=", n=1).str[-1]) == sorted(expected["engineer_id"])
    assert sorted(people["change"]) == sorted(
        short_change(r) for r in expected.to_dict(orient="records")
    )

    total = counts(expected, "level").drop(columns="level").sum()
    headline = at.subheader[0].value
    assert headline.startswith("Raising the months at level before a promotion case from 12 to 20")
    lost = int(total["promotion_ready_lost"])
    assert f"{lost} people are no longer promotion\\-ready" in headline
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    before = int(longer_wait.before["promotion_ready"].sum())
    assert tiles["Promotion-ready"] == (
        f"{before} → {before - lost}",
        f"0 become · {lost} stop",
    )
    assert tiles["Projected windows"][1] == f"{int(total['window_later'])} later"
    # Each person's old and new reason, side by side.
    reasons = " ".join(m.value for m in at.markdown)
    for _, row in expected.iterrows():
        assert page_module.text(row["old_reason"]) in reasons
        assert page_module.text(row["new_reason"]) in reasons


def test_an_sla_bar_is_changed_in_percent(monkeypatch, fixture_warehouse):
    bar = "bars.IC1.Impact.sla_adherence"
    expected = run_whatif(fixture_warehouse, {bar: "99%"}).changed
    assert not expected.empty, "the demo org must have someone this change moves"
    at = what_if(open_page(monkeypatch, fixture_warehouse), {bar: 99.0})
    assert at.subheader[0].value.startswith(
        "Raising the IC1 Impact SLA adherence bar from 90% to 99%"
    )
    people = at.dataframe[1].value
    assert sorted(people["page"].str.rsplit("=", n=1).str[-1]) == sorted(expected["engineer_id"])


def test_a_value_left_as_it_is_moves_nobody(monkeypatch, fixture_warehouse, settables):
    current = next(s.current for s in settables if s.path == MONTHS_AT_LEVEL)
    at = what_if(open_page(monkeypatch, fixture_warehouse), {MONTHS_AT_LEVEL: int(current)})
    assert any("Nobody moves" in s.value for s in at.success)
    assert [m.label for m in at.metric] == []


def test_anonymised_the_page_and_its_download_name_nobody(monkeypatch, fixture_warehouse, offered):
    at = open_page(monkeypatch, fixture_warehouse, {state.ANONYMISE: "true"})
    at = what_if(at, {MONTHS_AT_LEVEL: LONGER})
    assert offered, "the page offers the changes as CSV"
    shown = everything_shown(at) + "".join(
        page_module.csv_bytes(frame).decode() for frame in offered
    )
    assert "Engineer " in shown  # people by letter
    leaked = sorted(n for n in people_names(fixture_warehouse).values() if n in shown)
    assert leaked == []


def test_an_admin_saves_a_new_framework_file_and_never_replaces_one(
    monkeypatch, tmp_path, fixture_warehouse
):
    monkeypatch.setenv("RUNGS_FRAMEWORK_DIR", str(tmp_path / "frameworks"))
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = what_if(open_page(monkeypatch, fixture_warehouse), {MONTHS_AT_LEVEL: LONGER})
    at.text_input[0].set_value("2026.12-longer")
    at.text_input[1].set_value("longer.toml")
    next(b for b in at.button if b.label == "Save framework file").click().run()
    saved = tmp_path / "frameworks" / "longer.toml"
    assert [s.value for s in at.success][-1].startswith("Saved")
    written = load_framework(saved)
    assert (written.version, written.rule("promotion_months_at_level")) == ("2026.12-longer", 20)
    assert "--framework" in at.code[0].value
    log = audit.recent(path=tmp_path / "journal.sqlite")
    assert log.loc[log["action"] == "save_framework", "target"].tolist() == [str(saved)]

    content = saved.read_bytes()
    next(b for b in at.button if b.label == "Save framework file").click().run()
    assert "already exists" in at.error[0].value
    assert saved.read_bytes() == content


@pytest.mark.parametrize("role", ["manager", "engineer"])
def test_managers_and_engineers_cannot_reach_the_page(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, role
):
    assert SCRIPT not in [p.script for p in pages_for(role)]
    email = tomllib.loads((demo_source / "access.toml").read_text())["roles"][role][0]
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email)
    assert at.title[0].value != "What-if"
    # Not registered for the role, so neither a link nor a page switch reaches it.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(SCRIPT)


def test_leadership_runs_a_what_if_but_only_an_admin_saves_it(
    monkeypatch, tmp_path, fixture_warehouse, demo_source
):
    email = tomllib.loads((demo_source / "access.toml").read_text())["roles"]["leadership"][0]
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, SCRIPT
    )
    at = what_if(at, {MONTHS_AT_LEVEL: LONGER})
    assert at.subheader[0].value.startswith("Raising")
    assert "Save framework file" not in [b.label for b in at.button]
    assert any("An admin can save" in c.value for c in at.caption)


def test_the_moves_chart_keeps_each_flag_its_hue_and_zero_in_the_middle():
    moves = pd.DataFrame(
        {
            "group": ["Beta", "Alpha"],
            "flag": ["At risk", "Near a window"],
            "move": ["stop", "become"],
            "people": [-3, 1],
        }
    )
    flags = ["Promotion-ready", "Near a window", "In-band candidate", "At risk"]
    spec = charts.whatif_moves(moves, "Team", flags, ["Alpha", "Beta"]).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["color"]["scale"] == {
        "domain": ["Near a window", "At risk"],
        "range": [charts.FLAG_HUES[1], charts.FLAG_HUES[3]],
    }
    assert bars["x"]["scale"]["domain"] == [-3, 3]
    assert bars["y"]["sort"] == ["Alpha", "Beta"]
