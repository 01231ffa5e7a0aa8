"""Spreadsheet exports that say what they are: each file named after its page, the as-of month
and the filters in effect; plain headers with units; and one workbook of Promotions, In-band
raises and At risk with the pages' rows, text kept as text and no names when anonymised.
"""

from __future__ import annotations

import io
import shutil
import time
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines import audit
from pipelines.access import everyone
from rungs_ui import downloads, identity, queries, warehouse, workbook
from rungs_ui.queries import Filters, Flag
from tests.test_browser import CHROMIUM, Browser, load, screenshot, serve
from tests.test_pages import on_page, open_app, readiness_rows
from tests.ui_fixtures import build_warehouse

OCTOBER = date(2026, 10, 1)
FORMULA_NAME = '=HYPERLINK("http://evil.example","click me")'


# --- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "filters", "anonymised", "expected"),
    [
        ("promotions", Filters(OCTOBER), False, "rungs-promotions-2026-10.csv"),
        (
            "promotions",
            Filters(OCTOBER, teams=("Harbor",)),
            False,
            "rungs-promotions-2026-10-team-harbor.csv",
        ),
        (
            "in-band-raises",
            Filters(OCTOBER, regions=("EMEA / North",), managers=("M004", "M011")),
            False,
            "rungs-in-band-raises-2026-10-region-emea-north-manager-m004+m011.csv",
        ),
        (
            "calibration-IC3",
            Filters(OCTOBER, teams=("A", "B", "C", "D"), managers=("M004",), levels=("IC3",)),
            True,
            "rungs-calibration-ic3-2026-10-4-teams-1-manager-level-ic3-anonymised.csv",
        ),
    ],
)
def test_a_file_name_says_the_page_month_and_filters(what, filters, anonymised, expected):
    assert downloads.file_name(what, filters, anonymised=anonymised) == expected


def test_a_file_name_is_safe_on_any_system_and_names_no_manager_when_anonymised():
    name = downloads.file_name(
        "flags",
        Filters(OCTOBER, teams=('Tier 1: "Nights"/Ops',), managers=("M004",)),
        anonymised=True,
        extension="xlsx",
    )
    assert name == "rungs-flags-2026-10-team-tier-1-nights-ops-1-manager-anonymised.xlsx"
    assert "m004" not in name


# --- headers ------------------------------------------------------------------------------------


def test_export_headers_are_plain_words_with_units_and_values_in_those_units():
    frame = pd.DataFrame(
        {
            "name": ["Ada"],
            "months_at_level": [7],
            "sla_adherence": [0.945],
            "median_open_hours": [20.5],
            "projected_window_month": [date(2026, 12, 1)],
            "Craft": ["IC3"],  # a framework category keeps its own name
        }
    )
    out = downloads.for_export(frame)
    assert out.columns.tolist() == [
        "Engineer",
        "Months at level",
        "SLA adherence (%)",
        "Median open time (h)",
        "Window opens (month)",
        "Craft",
    ]
    assert out["SLA adherence (%)"].iloc[0] == pytest.approx(94.5)
    assert out["Median open time (h)"].iloc[0] == 20.5
    assert out["Window opens (month)"].iloc[0] == "2026-12"


# --- the workbook -------------------------------------------------------------------------------


def _open(monkeypatch, path):
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(path))
    return warehouse.current().scoped(everyone())


def _as_of(wh) -> date:
    return pd.Timestamp(queries.latest_build(wh)["as_of_month"] + "-01").date()


def _read_back(data: bytes) -> dict[str, pd.DataFrame]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for sheet in book.worksheets:
        rows = list(sheet.values)
        out[sheet.title] = pd.DataFrame(rows[1:], columns=rows[0])
    return out


def test_the_workbook_holds_each_flags_rows_with_plain_headers(monkeypatch, fixture_warehouse):
    wh = _open(monkeypatch, fixture_warehouse)
    month = _as_of(wh)
    f = Filters(month=month)
    who = identity.of_month(wh, month, anonymise=False)
    data = workbook.workbook_bytes(workbook.sheets(wh, f, who))
    sheets = _read_back(data)

    assert list(sheets) == ["Promotions", "In-band raises", "At risk"]
    for title, flag in (
        ("Promotions", Flag.READY_OR_NEAR),
        ("In-band raises", Flag.IN_BAND),
        ("At risk", Flag.AT_RISK),
    ):
        expected = queries.readiness_at(wh, f, flag)
        assert sorted(sheets[title]["Engineer id"]) == sorted(expected["engineer_id"]), title
        assert sheets[title]["Reason"].notna().all(), f"{title}: every flag carries its reason"
    assert {"Engineer", "Team", "Manager", "Level", "Months at level", "Reason"} <= set(
        sheets["In-band raises"].columns
    )
    promotions = sheets["Promotions"]
    assert set(promotions["Flags"]) <= {"Ready now", "Near a window"}
    # Ready first, as the page lists them.
    assert promotions["Flags"].tolist() == sorted(
        promotions["Flags"], key=lambda v: v != "Ready now"
    )


def test_the_workbook_sheets_hold_the_rows_the_pages_list(monkeypatch, fixture_warehouse):
    wh = _open(monkeypatch, fixture_warehouse)
    month = _as_of(wh)
    tables = workbook.sheets(wh, Filters(month=month), identity.of_month(wh, month, False))

    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/people/promotions.py")
    listed = pd.concat([d.value for d in at.dataframe])
    assert sorted(tables["Promotions"]["Engineer"]) == sorted(listed["name"])

    at = on_page(at, "pages/people/raises.py")
    assert sorted(tables["In-band raises"]["Engineer"]) == sorted(at.dataframe[0].value["name"])

    at_risk = readiness_rows(fixture_warehouse, "r.at_risk")
    assert sorted(tables["At risk"]["Engineer id"]) == sorted(at_risk["engineer_id"])


def test_the_promotions_page_offers_the_workbook_named_for_its_view(monkeypatch, fixture_warehouse):
    team = readiness_rows(fixture_warehouse, "r.promotion_ready or r.near_window")["team"].iloc[0]
    at = open_app(monkeypatch, fixture_warehouse, {"team": [team]})
    at = on_page(at, "pages/people/promotions.py")
    buttons = [e.proto for e in at.main.get("download_button")] or pytest.fail(
        "no download buttons on the Promotions page"
    )
    labels = [b.label for b in buttons]
    assert any("workbook (.xlsx)" in label for label in labels), labels


@pytest.fixture(scope="module")
def formula_warehouse(demo_source, fixture_warehouse, tmp_path_factory):
    """The demo org with a promotion-ready engineer whose name reads as a spreadsheet formula."""
    ready = readiness_rows(fixture_warehouse, "r.promotion_ready")["engineer_id"].iloc[0]
    source = tmp_path_factory.mktemp("formula") / "source"
    shutil.copytree(demo_source, source)
    engineers = pd.read_csv(source / "engineers.csv", dtype=str, keep_default_na=False)
    engineers.loc[engineers["engineer_id"] == ready, "name"] = FORMULA_NAME
    engineers.to_csv(source / "engineers.csv", index=False)
    return ready, build_warehouse(source, source.parent / "warehouse.duckdb")


def test_a_name_that_looks_like_a_formula_stays_text(monkeypatch, formula_warehouse):
    ready, path = formula_warehouse
    wh = _open(monkeypatch, path)
    month = _as_of(wh)
    tables = workbook.sheets(wh, Filters(month=month), identity.of_month(wh, month, False))
    book = openpyxl.load_workbook(io.BytesIO(workbook.workbook_bytes(tables)))
    sheet = book["Promotions"]
    header = [c.value for c in sheet[1]]
    ids = [c.value for c in sheet["A"]]
    cell = sheet.cell(row=ids.index(ready) + 1, column=header.index("Engineer") + 1)
    assert cell.value == FORMULA_NAME
    assert cell.data_type == "s"  # a string, never a formula ('f')
    assert cell.quotePrefix  # and Excel keeps it text when the cell is edited
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_an_anonymised_workbook_names_nobody(monkeypatch, fixture_warehouse, demo_source):
    wh = _open(monkeypatch, fixture_warehouse)
    month = _as_of(wh)
    tables = workbook.sheets(wh, Filters(month=month), identity.of_month(wh, month, anonymise=True))
    sheets = _read_back(workbook.workbook_bytes(tables))
    text = "\n".join(s.to_csv(index=False) for s in sheets.values())
    # Everyone in the org, managers included: their names, ids and emails.
    people = pd.read_csv(demo_source / "engineers.csv", dtype=str)
    assert sum(len(s) for s in sheets.values()) > 0, "the demo org raises flags"
    for column in ("name", "engineer_id", "email"):
        assert [v for v in people[column] if v in text] == [], column
    assert "Engineer id" not in text and "Manager id" not in text
    assert sheets["Promotions"]["Engineer"].str.startswith("Engineer ").all()


# --- in a real browser --------------------------------------------------------------------------

SHOT = Path("/tmp/h11-promotions.png")
_CLICK_WORKBOOK = """[...document.querySelectorAll('[data-testid="stDownloadButton"] button')]
  .find(b => b.innerText.includes('workbook')).click()"""


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")
def test_the_workbook_downloads_under_its_name_and_is_audited(fixture_warehouse, tmp_path):
    team = readiness_rows(fixture_warehouse, "r.promotion_ready or r.near_window")["team"].iloc[0]
    saved = tmp_path / "saved"
    saved.mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        with serve(fixture_warehouse, tmp_path / "streamlit.log") as url:
            load(browser, f"{url}/promotions?team={team}")
            screenshot(browser, SHOT)
            browser.send("Page.setDownloadBehavior", behavior="allow", downloadPath=str(saved))
            browser.evaluate(_CLICK_WORKBOOK)
            deadline = time.monotonic() + 15
            while not [f for f in saved.glob("*.xlsx") if f.stat().st_size]:
                assert time.monotonic() < deadline, "the click downloaded no workbook"
                time.sleep(0.2)
    finally:
        browser.close()

    [file] = list(saved.glob("*.xlsx"))
    assert file.name.startswith("rungs-flags-") and f"-team-{team.lower()}" in file.name
    sheets = _read_back(file.read_bytes())
    assert list(sheets) == ["Promotions", "In-band raises", "At risk"]
    assert set(sheets["Promotions"]["Team"]) == {team}, "scoped like the page"
    log = audit.recent()
    logged = log.loc[log["action"] == "download", "target"].tolist()
    assert file.name in logged, "recorded in the audit log like every download"
