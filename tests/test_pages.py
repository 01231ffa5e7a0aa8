"""The dashboard's pages, run through Streamlit's AppTest on a warehouse built by the pipeline.

The smoke test walks the page list dashboard.py registers; the others act like a user (pick an
engineer, change the month, anonymise) and check what the page then says.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from rungs_ui import page as page_module
from rungs_ui import state
from rungs_ui.navigation import PAGES
from tests.ui_fixtures import (
    REPO,
    build_warehouse,
    make_demo_source,
    make_empty_warehouse,
    people_names,
    swap_in,
)

TIMEOUT = 60


def open_app(monkeypatch, warehouse, query_params: dict | None = None) -> AppTest:
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    at.query_params.update(query_params or {})
    return at.run()


def on_page(at: AppTest, script: str) -> AppTest:
    return at.switch_page(script).run()


def no_errors(at: AppTest) -> None:
    assert [e.value for e in at.exception] == []
    assert [w.value for w in at.warning] == []


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def _arrow_text(raw: bytes) -> str:
    table = pa.ipc.open_stream(raw).read_all()
    return table.to_pandas().to_csv(index=False)


def everything_shown(at: AppTest) -> str:
    """All text a user could see or download from the run: element protos (labels, options,
    markdown), dataframe cells, and chart specs with their data sets (tooltips included)."""
    parts = []
    for element in [*_walk(at.main), *_walk(at.sidebar)]:
        proto = getattr(element, "proto", None)
        if proto is None:
            continue
        if element.type == "vega_lite_chart":
            parts.append(proto.spec)
            parts.extend(_arrow_text(d.data.data) for d in proto.datasets)
            if proto.HasField("data") and proto.data.data:
                parts.append(_arrow_text(proto.data.data))
        elif element.type in ("dataframe", "arrow_data_frame"):
            parts.append(element.value.to_csv(index=False))
        else:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
    return "\n".join(parts)


def readiness_rows(warehouse, where: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select r.*, e.name, e.team from readiness r join engineers e using (engineer_id) "
            "join builds b on r.month = cast(b.as_of_month || '-01' as date) "
            f"where {where} order by engineer_id"
        ).df()
    finally:
        con.close()


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_registered_page_runs_on_the_demo_warehouse(monkeypatch, fixture_warehouse, spec):
    at = on_page(open_app(monkeypatch, fixture_warehouse), spec.script)
    no_errors(at)
    assert at.title[0].value == spec.title
    assert at.caption[0].value == spec.question


def test_landing_page_counts_every_flag_the_pipeline_raised(monkeypatch, fixture_warehouse):
    at = open_app(monkeypatch, fixture_warehouse)
    no_errors(at)
    tiles = {m.label: m.value for m in at.metric}
    flagged = readiness_rows(fixture_warehouse, "true")
    assert tiles["Promotion-ready"] == str(int(flagged["promotion_ready"].sum()))
    assert tiles["At risk"] == str(int(flagged["at_risk"].sum()))
    assert int(tiles["Headcount"]) > 0


def test_engineer_page_shows_the_flag_with_its_reason(monkeypatch, fixture_warehouse):
    at_risk = readiness_rows(fixture_warehouse, "r.at_risk").iloc[0]
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/people/engineer.py")
    at.selectbox(key=state.ENGINEER).set_value(at_risk["engineer_id"]).run()
    no_errors(at)
    # Data reaches Markdown through page.text, which escapes it to render exactly as written.
    assert at.subheader[0].value == page_module.text(at_risk["name"])
    flag_lines = [m.value for m in at.markdown if "At risk" in m.value]
    assert flag_lines and page_module.text(at_risk["reason"]) in flag_lines[0]
    assert {m.label: m.value for m in at.metric}["Level"] == at_risk["level"]


def test_changing_the_as_of_month_changes_every_number(monkeypatch, fixture_warehouse):
    at = open_app(monkeypatch, fixture_warehouse)
    months = at.sidebar.selectbox(key=state.MONTH).options
    assert at.sidebar.selectbox(key=state.MONTH).value == months[0]
    at.sidebar.selectbox(key=state.MONTH).set_value(months[3]).run()
    no_errors(at)
    shown = pd.Timestamp(months[3] + "-01").strftime("%b %Y")
    assert at.subheader[0].value.startswith(shown)


def test_filters_follow_the_user_to_another_page(monkeypatch, fixture_warehouse):
    ready = readiness_rows(fixture_warehouse, "r.promotion_ready or r.near_window")
    team = ready["team"].iloc[0]
    at = open_app(monkeypatch, fixture_warehouse)
    at.sidebar.multiselect(key=state.TEAMS).set_value([team]).run()
    at = on_page(at, "pages/people/promotions.py")
    no_errors(at)
    assert at.sidebar.multiselect(key=state.TEAMS).value == [team]
    listed = pd.concat([d.value for d in at.dataframe])
    assert set(listed["name"]) == set(ready.loc[ready["team"] == team, "name"])


def test_a_shared_link_opens_the_same_view(monkeypatch, fixture_warehouse):
    ready = readiness_rows(fixture_warehouse, "r.promotion_ready")
    team = ready["team"].iloc[0]
    at = open_app(
        monkeypatch,
        fixture_warehouse,
        {state.MONTH: "2026-08", state.TEAMS: [team], state.LEVELS: ["IC2"]},
    )
    no_errors(at)
    assert at.sidebar.selectbox(key=state.MONTH).value == "2026-08"
    assert at.sidebar.multiselect(key=state.TEAMS).value == [team]
    assert at.sidebar.multiselect(key=state.LEVELS).value == ["IC2"]


def test_anonymise_removes_every_name_from_the_calibration_page(monkeypatch, fixture_warehouse):
    downloads: list[pd.DataFrame] = []
    real_download = page_module.download

    def record(df, *args, **kwargs):
        downloads.append(df)
        real_download(df, *args, **kwargs)

    monkeypatch.setattr(page_module, "download", record)
    names = set(people_names(fixture_warehouse).values())
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/calibration/calibration.py")
    no_errors(at)
    before = everything_shown(at)
    assert any(name in before for name in names), "the cohort should be named before"

    downloads.clear()
    at.toggle(key=state.ANONYMISE).set_value(True).run()
    assert [e.value for e in at.exception] == []  # the cohort of 3 is warned about as small
    after = everything_shown(at) + "".join(d.to_csv() for d in downloads)
    assert downloads, "the page offers its download"
    leaked = sorted(name for name in names if name in after)
    assert leaked == []
    assert re.search(r"Engineer [A-Z]+\b", after)  # letters are session-wide, not per level


def test_anonymised_letters_stay_with_the_same_person_across_reruns(monkeypatch, fixture_warehouse):
    at = on_page(
        open_app(monkeypatch, fixture_warehouse, {state.ANONYMISE: "true"}),
        "pages/calibration/calibration.py",
    )
    first = _chart_data(at)
    assert re.search(r"Engineer [A-Z]+\b", first)
    at.run()
    assert _chart_data(at) == first


def _chart_data(at: AppTest) -> str:
    """Every data set of the page's charts, as CSV text."""
    return "\n".join(
        _arrow_text(d.data.data)
        for e in _walk(at.main)
        if getattr(e, "type", None) == "vega_lite_chart"
        for d in e.proto.datasets
    )


def test_presentation_mode_hides_navigation_and_enlarges_chart_type(monkeypatch, fixture_warehouse):
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/calibration/calibration.py")
    normal = at.get("vega_lite_chart")[0].proto.spec
    at.query_params[state.PRESENT] = "1"
    at.run()
    no_errors(at)
    presented = at.get("vega_lite_chart")[0].proto.spec
    assert '"labelFontSize": 20' in presented and '"labelFontSize": 20' not in normal
    assert at.button[0].label == "Leave presentation mode"


def test_missing_warehouse_says_which_command_builds_one(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "nowhere.duckdb")
    assert [e.value for e in at.exception] == []
    assert "No warehouse at" in at.warning[0].value
    assert "pipelines build" in at.markdown[0].value
    for spec in PAGES[1:]:
        at = on_page(at, spec.script)
        assert [e.value for e in at.exception] == []
        assert "No warehouse at" in at.warning[0].value


def test_empty_warehouse_file_asks_for_a_rebuild(monkeypatch, tmp_path):
    at = open_app(monkeypatch, make_empty_warehouse(tmp_path / "empty.duckdb"))
    assert [e.value for e in at.exception] == []
    assert "no builds table" in at.warning[0].value
    assert "pipelines build" in at.markdown[0].value


def test_unreadable_warehouse_file_is_reported_not_raised(monkeypatch, tmp_path):
    broken = tmp_path / "half-written.duckdb"
    broken.write_bytes(b"not a database, perhaps a copy cut short" * 100)
    at = open_app(monkeypatch, broken)
    assert [e.value for e in at.exception] == []
    assert "could not be opened" in at.warning[0].value


def test_a_rebuild_swapped_in_mid_session_is_picked_up(monkeypatch, tmp_path, demo_source):
    live = build_warehouse(demo_source, tmp_path / "warehouse.duckdb")
    at = open_app(monkeypatch, live)
    at.sidebar.selectbox(key=state.MONTH).set_value(
        at.sidebar.selectbox(key=state.MONTH).options[0]
    ).run()
    first_build = at.sidebar.caption[-1].value

    # The next build ends a month earlier, so the month this session picked no longer exists.
    newer_source = make_demo_source(tmp_path / "newer", end_month="2026-09")
    swap_in(build_warehouse(newer_source, tmp_path / "next.duckdb"), live)
    at.run()
    no_errors(at)
    assert at.sidebar.caption[-1].value != first_build
    assert at.sidebar.selectbox(key=state.MONTH).value == "2026-09"
    at = on_page(at, "pages/people/engineer.py")
    no_errors(at)


def test_no_page_script_sits_directly_in_pages_folder():
    # Streamlit would serve such a file bare on a fresh server (see rungs_ui/navigation.py).
    root = Path(__file__).resolve().parent.parent / "pages"
    assert sorted(p.name for p in root.glob("*.py")) == []
    assert {Path(p.script).parent.name for p in PAGES} == {
        "team",
        "people",
        "calibration",
        "policy",
        "data",
    }


def test_a_link_to_an_engineer_by_id_opens_that_person_and_keeps_names_out_of_the_url(
    monkeypatch, fixture_warehouse
):
    people = readiness_rows(fixture_warehouse, "true").sort_values("engineer_id")
    first, last = people.iloc[0], people.iloc[-1]
    at = open_app(monkeypatch, fixture_warehouse, {state.ENGINEER: last["engineer_id"]})
    at = on_page(at, "pages/people/engineer.py")
    no_errors(at)
    assert at.subheader[0].value == last["name"]
    assert at.query_params[state.ENGINEER] == last["engineer_id"]
    at.selectbox(key=state.ENGINEER).set_value(first["engineer_id"]).run()
    assert at.subheader[0].value == first["name"]
    assert at.query_params[state.ENGINEER] == first["engineer_id"]


@pytest.mark.parametrize("script", ["pages/people/promotions.py", "pages/people/raises.py"])
def test_filters_that_leave_nobody_say_so_rather_than_that_nobody_is_a_candidate(
    monkeypatch, fixture_warehouse, script
):
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        # A team and a region that exist but never together.
        team, region = con.execute(
            "select t.team, r.region from (select distinct team from engineers) t, "
            "(select distinct region from engineers) r where not exists (select 1 from "
            "engineers e where e.team = t.team and e.region = r.region) limit 1"
        ).fetchone()
    at = on_page(open_app(monkeypatch, fixture_warehouse, {"team": team, "region": region}), script)
    assert [e.value for e in at.exception] == []
    assert any("No one matches these filters" in i.value for i in at.info)
    assert not any("nobody is" in i.value for i in [*at.info, *at.caption])


def test_calibration_grid_names_each_flagged_persons_flags_in_their_row(
    monkeypatch, fixture_warehouse
):
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/calibration/calibration.py")
    level = at.selectbox(key=state.CALIBRATION_LEVEL).value
    flagged = readiness_rows(
        fixture_warehouse,
        f"r.level = '{level}' and (r.promotion_ready or r.near_window "
        "or r.in_band_candidate or r.at_risk)",
    )
    assert not flagged.empty, "the demo's busiest level has someone flagged"
    rows = next(
        frame
        for e in _walk(at.main)
        if getattr(e, "type", None) == "vega_lite_chart"
        for d in e.proto.datasets
        if "stripe" in (frame := pa.ipc.open_stream(d.data.data).read_all().to_pandas())
    ).set_index("person")
    for person in flagged.itertuples():
        words = [w for f, w in page_module.FLAGS_SHORT.items() if getattr(person, f)]
        # A namesake is shown with their team and id: "Randy Moore (Core · E0007)".
        shown = next(
            p
            for p in rows.index
            if p == person.name
            or (p.startswith(f"{person.name} (") and p.endswith(f"{person.engineer_id})"))
        )
        assert rows.loc[shown, "flags"] == ", ".join(words), shown
