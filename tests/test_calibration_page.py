"""The Calibration page at the size of a real level (issue 21): everyone judged at the level is
in the grid, flagged or not, in one order; the headline count is the readiness rows at the
level; the people who hold the level but were not judged this month are named with the reason;
the page's own filters narrow the grid and say so; Anonymise leaves no name anywhere.

One 200-engineer demo org (about 60 people at IC2 and IC3), built once for the file.
"""

from __future__ import annotations

import json
import math

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from rungs_ui import calibration_grid as grid
from rungs_ui import formats, state
from tests.test_pages import _walk, everything_shown, on_page, open_app

PAGE = "pages/calibration/calibration.py"
FLAGS = ["promotion_ready", "near_window", "in_band_candidate", "at_risk"]


@pytest.fixture(scope="module")
def org200(tmp_path_factory):
    from pipelines.demo.generate import generate_demo
    from pipelines.load.build import build

    folder = tmp_path_factory.mktemp("org200")
    generate_demo(folder / "source", engineers=200, months=14, seed=7, end_month="2026-10")
    build(folder / "source", folder / "w.duckdb")
    return folder / "w.duckdb"


def _sql(warehouse, sql: str, *params) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _busiest(warehouse, among: set[str] | None = None) -> tuple[str, pd.DataFrame]:
    """The level (of `among`, if given) with the most readiness rows at the build's month, and
    those rows by name."""
    rows = _sql(
        warehouse,
        "select r.*, e.name, e.team from readiness r join engineers e using (engineer_id) "
        "join builds b on r.month = cast(b.as_of_month || '-01' as date)",
    )
    counts = rows["level"].value_counts()
    level = counts.loc[[lv for lv in counts.index if among is None or lv in among]].idxmax()
    return level, rows.loc[rows["level"] == level].reset_index(drop=True)


def _grid_rows(at) -> pd.DataFrame:
    """The rows of the page's grid: the chart with the click selection, its people data set."""
    for element in _walk(at.main):
        if getattr(element, "type", None) != "vega_lite_chart":
            continue
        if f'"name": "{grid.PICK}"' not in json.dumps(json.loads(element.proto.spec)):
            continue
        for data in element.proto.datasets:
            frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
            if "stripe" in frame.columns:
                return frame
    raise AssertionError("the page draws no grid")


def test_everyone_judged_at_a_level_of_sixty_is_in_the_grid_and_counted(monkeypatch, org200):
    level, judged = _busiest(org200)
    assert len(judged) >= 50, "the fixture should give a level of a realistic size"
    at = open_app(monkeypatch, org200, {state.CALIBRATION_LEVEL: level})
    at = on_page(at, PAGE)
    assert [e.value for e in at.exception] == []
    assert at.subheader[0].value.startswith(f"{len(judged)} at {level} judged in ")
    rows = _grid_rows(at)
    assert len(rows) == len(judged)
    # Who holds the level is counted too, judged or not: the worksheet's head-count.
    holding = _sql(
        org200,
        "select count(*) from assessed_months am join engineers e using (engineer_id) "
        "join builds b on am.month = cast(b.as_of_month || '-01' as date) "
        "where am.level = ? and (e.left_on is null or e.left_on >= last_day(am.month))",
        level,
    ).iat[0, 0]
    assert any(f"{holding} hold {level} in " in m.value for m in at.markdown)
    flagged = judged.loc[judged[FLAGS].any(axis=1)]
    assert len(flagged) >= 10
    # Names are unique in this org's flagged people or carry their team and id: match on start.
    shown = rows["person"].tolist()
    for name in flagged["name"]:
        assert any(p == name or p.startswith(f"{name} (") for p in shown), name
    # Flagged first, then by how each person is shown: the worksheet's and the pre-read's order.
    first = rows["flags"].ne("")
    assert first.tolist() == sorted(first.tolist(), reverse=True)
    assert rows.loc[first, "person"].tolist() == sorted(rows.loc[first, "person"])


def test_people_holding_the_level_but_not_judged_are_named_with_the_reason(monkeypatch, org200):
    unjudged = _sql(
        org200,
        "select am.level, e.name, am.not_judged_because from assessed_months am "
        "join engineers e using (engineer_id) "
        "join builds b on am.month = cast(b.as_of_month || '-01' as date) "
        "where not am.judged and (e.left_on is null or e.left_on >= last_day(am.month))",
    )
    # The busiest level with someone not judged (onboarding, most likely) at the build's month.
    level, judged = _busiest(org200, among=set(unjudged["level"]))
    assert len(judged) >= 40
    unjudged = unjudged.loc[unjudged["level"] == level, ["name", "not_judged_because"]]
    assert not unjudged.empty, "the fixture's busiest level has someone onboarding"
    at = on_page(open_app(monkeypatch, org200, {state.CALIBRATION_LEVEL: level}), PAGE)
    line = next(m.value for m in at.markdown if "not judged this month" in m.value)
    for name, reason in unjudged.itertuples(index=False):
        assert name.replace("-", "\\-") in line
        assert formats.not_judged(reason).lower() in line
    assert f"{len(unjudged)} of them" in line


def test_show_and_team_narrow_the_grid_and_say_how_many_are_left_out(monkeypatch, org200):
    level, judged = _busiest(org200)
    at = on_page(open_app(monkeypatch, org200, {state.CALIBRATION_LEVEL: level}), PAGE)
    at.segmented_control(key=state.CALIBRATION_SHOW).set_value("at_risk").run()
    rows = _grid_rows(at)
    assert len(rows) == int(judged["at_risk"].sum())
    assert set(rows["flags"].str.contains("at risk")) == {True}
    assert any(f"Showing {len(rows)} of the {len(judged)}" in c.value for c in at.caption)
    team = judged["team"].mode().iat[0]
    at.segmented_control(key=state.CALIBRATION_SHOW).set_value(grid.SHOW_ALL).run()
    at.selectbox(key=state.CALIBRATION_TEAM).set_value(team).run()
    in_team = int((judged["team"] == team).sum())
    assert len(_grid_rows(at)) == in_team
    # A link carries the choice: the room's laptop opens the same grid.
    params = {state.CALIBRATION_LEVEL: level, state.CALIBRATION_TEAM: team}
    linked = on_page(open_app(monkeypatch, org200, params), PAGE)
    assert len(_grid_rows(linked)) == in_team


def test_anonymised_the_grid_the_sentences_and_the_download_name_nobody(monkeypatch, org200):
    from rungs_ui import page as page_module

    level, _ = _busiest(org200)
    names = set(_sql(org200, "select name from engineers")["name"])
    made: list[pd.DataFrame] = []
    real = page_module.download

    def record(df, *args, **kwargs):
        made.append(df)
        real(df, *args, **kwargs)

    monkeypatch.setattr(page_module, "download", record)
    params = {state.CALIBRATION_LEVEL: level, state.ANONYMISE: "true"}
    at = on_page(open_app(monkeypatch, org200, params), PAGE)
    assert [e.value for e in at.exception] == []
    shown = everything_shown(at) + "".join(
        page_module.downloads.for_export(d).to_csv() for d in made
    )
    assert made and len(made[-1]) >= len(_grid_rows(at))  # the whole level, not judged too
    assert sorted(n for n in names if n in shown) == []
    assert _grid_rows(at)["person"].str.match(r"Engineer [A-Z]+$").all()


def test_the_grid_holds_one_row_per_person_in_the_order_given():
    people = pd.DataFrame(
        {
            "person": ["Cleo", "Ann", "Bo"],
            "team": ["Core", "Billing", "Core"],
            "flags": ["ready", "", "at risk"],
            "flag": ["promotion_ready", "", "at_risk"],
            "flag_words": ["Promotion-ready", "—", "At risk"],
            "at_level": ["12/12", "3/12", "0/12"],
            "at_next": ["3/3", "0/3", "0/3"],
            "short_in": ["—", "Impact, Scope", "Impact"],
        }
    )
    months = list(pd.date_range(end="2026-10-01", periods=2, freq="MS"))
    cells = pd.DataFrame(
        [
            (p, c, m, "IC2", s, "IC2")
            for p, s in zip(people["person"], ["above", "at", "below"], strict=True)
            for c in ("Impact", "Scope")
            for m in months
        ],
        columns=["person", "category", "month", "current_level", "status", "shown"],
    )
    headers = {c: c.title() for c in ("person", "team", "flags", "at_level", "at_next")}
    headers["short_in"] = "Short of IC3 in"
    spec = grid.calibration_grid(
        people,
        cells,
        ["Impact", "Scope"],
        months,
        headers,
        dict(zip(FLAGS, ["#009E73", "#56B4E9", "#CC79A7", "#E69F00"], strict=True)),
    ).to_dict()
    # One data set of people, shared by the layers that draw the rows, in the order given.
    rows = spec["datasets"][spec["data"]["name"]]
    assert [r["person"] for r in rows] == ["Cleo", "Ann", "Bo"]
    assert [r["row"] for r in rows] == [0, 1, 2]
    assert [r["flags"] for r in rows] == ["ready", "", "at risk"]
    # Every layer that draws rows (stripe, badge, texts, cells) places them by row number.
    ys = [layer["encoding"]["y"] for layer in spec["layer"] if "field" in layer["encoding"]["y"]]
    assert [(y["field"], y["type"], y["sort"]) for y in ys] == [("row", "ordinal", "ascending")] * 4
    assert [p["name"] for p in spec.get("params", [])] == [grid.PICK]
    (cell_layer,) = [
        layer
        for layer in spec["layer"]
        if layer.get("encoding", {}).get("color", {}).get("field") == "status"
    ]
    assert cell_layer["encoding"]["color"]["scale"]["domain"] == [
        "below",
        "at",
        "above",
        "not judged",
    ]
    assert [t["title"] for t in cell_layer["encoding"]["tooltip"]] == [
        "Person",
        "Category",
        "Month",
        "Level held",
        "Level shown",
    ]
    # Each cell, as the browser works it out, is the person's, category's and month's input.
    drawn = [
        (
            cell["person"],
            cell["category"],
            cell["month"],
            cell["current_level"],
            cell["status"],
            cell["shown"],
        )
        for cell in _cells_as_drawn(spec, cell_layer)
    ]
    assert sorted(drawn) == sorted(
        (p, c, m.strftime("%b %Y"), held, status, shown)
        for p, c, m, held, status, shown in cells.itertuples(index=False)
    )


def _cells_as_drawn(spec: dict, layer: dict) -> list[dict]:
    """The cell layer's data after its transforms (a lookup and calculations whose
    expressions index lists written into the spec), worked out here as the browser would."""
    rows = {r["row"]: r for r in spec["datasets"][spec["data"]["name"]]}
    out = []
    for cell in spec["datasets"][layer["data"]["name"]]:
        datum = dict(cell)
        for step in layer["transform"]:
            if "lookup" in step:
                found = rows[datum[step["lookup"]]]
                datum.update({f: found[f] for f in step["from"]["fields"]})
            else:
                expression = step["calculate"].replace("datum.", "datum_")
                names = {f"datum_{k}": v for k, v in datum.items()}
                datum[step["as"]] = eval(  # the spec's own expressions
                    expression, {"null": None, "floor": math.floor, **names}
                )
        out.append(datum)
    return out


def test_the_pages_default_order_is_the_pre_reads(monkeypatch, org200):
    from pipelines.access import everyone
    from rungs_ui import warehouse
    from rungs_ui.identity import of_month
    from rungs_ui.packet.pre_read import in_page_order
    from rungs_ui.queries import Filters, readiness_at

    monkeypatch.setenv(warehouse.WAREHOUSE_ENV, str(org200))
    wh = warehouse.current().scoped(everyone())
    level, judged = _busiest(org200)
    month = judged["month"].iloc[0].date()
    who = of_month(wh, month, anonymise=False)
    cohort = readiness_at(wh, Filters(month=month, levels=(level,))).reset_index(drop=True)
    labels = cohort["engineer_id"].map(who.person)
    page_order = cohort.loc[grid.in_order(cohort, labels, FLAGS, "flagged"), "engineer_id"]
    assert page_order.tolist() == in_page_order(cohort, who)["engineer_id"].tolist()


def test_the_live_count_against_the_guideline_is_the_worksheets(
    monkeypatch, fixture_warehouse, own_journal
):
    from tests.test_worksheet import LEVEL, submit

    sheet = on_page(open_app(monkeypatch, fixture_warehouse), "pages/calibration/decisions.py")
    submit(
        sheet,
        {
            0: {"proposed": "Promote", "calibrated": "Promote", "calibrated_rationale": "Ready"},
            1: {"proposed": "Promote"},
        },
    )
    counted = next(c.value for c in sheet.caption if " proposed of " in c.value)
    assert counted.startswith("1 promotion calibrated and 2 proposed of ")
    level = sheet.selectbox(key=LEVEL).value
    at = on_page(open_app(monkeypatch, fixture_warehouse, {state.CALIBRATION_LEVEL: level}), PAGE)
    assert [e.value for e in at.exception] == []
    assert any(m.value.endswith(counted) for m in at.markdown if "Cycle " in m.value)


@pytest.mark.parametrize("anonymise", [False, True])
def test_a_persons_panel_gives_the_reason_and_links_their_page_by_id(
    monkeypatch, org200, anonymise
):
    level, judged = _busiest(org200)
    person = judged.loc[judged["at_risk"]].sort_values("engineer_id").iloc[0]
    params = {state.CALIBRATION_LEVEL: level}
    if anonymise:
        params[state.ANONYMISE] = "true"
    at = on_page(open_app(monkeypatch, org200, params), PAGE)
    rows = _grid_rows(at)
    picker = at.selectbox(key="calibration_person")
    assert picker.options == rows["person"].tolist()  # the grid's people, in its order
    # Anonymised, the at-risk people are the rows flagged "at risk"; by name otherwise.
    label = (
        rows.loc[rows["flags"].str.contains("at risk"), "person"].iat[0]
        if anonymise
        else next(p for p in picker.options if p.startswith(person["name"]))
    )
    picker.set_value(label).run()
    assert [e.value for e in at.exception] == []
    # The panel is a dialog: AppTest keeps it beside the page (`get` walks the whole tree).
    panel = "\n".join(m.value for m in at.get("markdown"))
    assert "At risk" in panel and "SLA adherence, last 12 months" in panel
    links = [link.proto for link in at.get("page_link") if "engineer" in link.proto.page]
    assert len(links) == 1, "the panel links the person's Engineer page"
    shown = everything_shown(at) + panel + str(links[0])
    if anonymise:
        everyone = _sql(org200, "select engineer_id, name from engineers")
        assert [n for n in everyone["name"] if n in shown] == []
        assert [e for e in everyone["engineer_id"] if e in shown] == []
        assert f"engineer={label.removeprefix('Engineer ')}" in links[0].query_string
    else:
        assert f"engineer={person['engineer_id']}" in links[0].query_string
        assert person["name"] not in links[0].query_string
