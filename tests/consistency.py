"""What the Engineer page states, read back from a page run and compared with the warehouse
rows it must come from. Used by tests/test_consistency.py on the demo org and by
`python -m benchmarks.consistency` on a sample of the 1,000-engineer bench org."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from rungs_ui import state
from rungs_ui.warehouse import WAREHOUSE_ENV

REPO = Path(__file__).resolve().parent.parent
ENGINEER_PAGE = "pages/people/engineer.py"
FLAG_BADGES = {
    "promotion_ready": "Promotion-ready",
    "near_window": "Near a promotion window",
    "in_band_candidate": "In-band raise candidate",
    "at_risk": "At risk",
}


@dataclass
class Mismatches:
    """Every disagreement found, as readable lines, so one failure shows them all."""

    lines: list[str] = field(default_factory=list)

    def check(self, who: str, what: str, shown, expected) -> None:
        if shown != expected:
            self.lines.append(f"{who}: {what} shows {shown!r}, the warehouse holds {expected!r}")


@contextmanager
def engineer_page(warehouse: Path, month: str, timeout: float = 120) -> Iterator[AppTest]:
    """The dashboard on the Engineer page at `month`. Every rerun reads the warehouse path from
    the environment, so it points at `warehouse` while the page is in use and is put back after
    (the next test in this process must not inherit it)."""
    before = os.environ.get(WAREHOUSE_ENV)
    os.environ[WAREHOUSE_ENV] = str(warehouse)
    try:
        at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=timeout)
        at.query_params[state.MONTH] = month
        at.run()
        yield at.switch_page(ENGINEER_PAGE).run()
    finally:
        if before is None:
            os.environ.pop(WAREHOUSE_ENV, None)
        else:
            os.environ[WAREHOUSE_ENV] = before


def warehouse_rows(warehouse: Path, month: str) -> pd.DataFrame:
    """assessed_months joined to readiness for everyone assessed in the month."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select a.engineer_id, a.level, a.whole_months_at_level, a.judged_months_at_level,"
            " a.judged, r.months_at_level, r.months_at_next, r.next_level, r.reason,"
            " r.promotion_ready, r.near_window, r.in_band_candidate, r.at_risk"
            " from assessed_months a left join readiness r using (engineer_id, month)"
            " join engineers e using (engineer_id)"
            " where a.month = $m::date and (e.left_on is null or e.left_on >= last_day($m::date))"
            " order by a.engineer_id",
            {"m": f"{month}-01"},
        ).df()


def chart_bars(warehouse: Path, engineer_id: str, month: str, metric: str) -> set:
    """The (level, value) bars bar_checks applied to the person over the charted months; empty
    when no month of them was judged (the page then says so instead of drawing a chart)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select distinct b.bar_level, round(b.bar_value, 6) from bar_checks b"
            " where b.engineer_id = $e and b.metric = $metric and b.month <= $m::date"
            " and b.month > $m::date - interval 24 month"
            " and exists (select 1 from bar_checks j join assessed_months a"
            "   using (engineer_id, month) where j.engineer_id = $e and j.metric = $metric"
            "   and j.judged and a.judged and j.month <= $m::date"
            "   and j.month > $m::date - interval 24 month)",
            {"e": engineer_id, "metric": metric, "m": f"{month}-01"},
        ).fetchall()
    return set(rows)


def drawn_bars(at: AppTest) -> list[set]:
    """For each chart on the page that draws level bars: the (level, value) pairs drawn."""
    out = []
    for element in at.get("vega_lite_chart"):
        for dataset in element.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            if {"level", "value", "bar"} <= set(frame.columns):
                out.append(
                    {
                        (lv, round(float(v), 6))
                        for lv, v in zip(frame["level"], frame["value"], strict=True)
                    }
                )
    return out


_UNESCAPE = re.compile(r"\\(.)")
_WHOLE = re.compile(r"(\d+) whole months? at (\S+?)[ ,;]")
_JUDGED = re.compile(r"\((\d+) judged\)")
_CONSISTENT = re.compile(r"(\d+) of them consistent")


def reason_numbers(reason: str) -> dict:
    """The counts a reason sentence states, as numbers."""
    out = {}
    if m := _WHOLE.search(reason):
        out["whole"] = int(m[1])
    if m := _JUDGED.search(reason):
        out["judged"] = int(m[1])
    if m := _CONSISTENT.search(reason):
        out["consistent"] = int(m[1])
    elif "all consistent" in reason or ", consistent" in reason:
        out["consistent"] = "all"
    return out


def check_engineer(
    at: AppTest, row: pd.Series, warehouse: Path, month: str, found: Mismatches
) -> None:
    """Select the engineer and compare every number the page states with its row."""
    who = row["engineer_id"]
    at.selectbox(key=state.ENGINEER).set_value(who).run()
    errors = [e.value for e in at.exception]
    if errors:
        found.lines.append(f"{who}: the page raised {errors}")
        return
    tiles = {m.label: m.value for m in at.metric}
    found.check(who, "Level tile", tiles.get("Level"), row["level"])
    found.check(
        who,
        "Whole months tile",
        tiles.get("Whole months at level"),
        str(int(row["whole_months_at_level"])),
    )
    if not bool(row["judged"]):
        found.check(who, "Consistent months tile", tiles.get("Consistent months at level"), "—")
        return
    found.check(
        who,
        "Consistent months tile",
        tiles.get("Consistent months at level"),
        str(int(row["months_at_level"])),
    )
    if row["next_level"] is None or pd.isna(row["next_level"]):
        found.check(who, "next-level tile", tiles.get("Months showing the next level"), "top level")
    else:
        found.check(
            who,
            "next-level tile",
            tiles.get(f"Months showing {row['next_level']}"),
            str(int(row["months_at_next"])),
        )
    # Markdown sources carry data escaped (rungs_ui.page.text); compare what a reader sees.
    shown = [_UNESCAPE.sub(r"\1", m.value) for m in at.markdown]
    lines = [text for text in shown if row["reason"] in text]
    found.check(who, "reason sentence present", bool(lines), True)
    if lines:
        raised = {flag for flag, badge in FLAG_BADGES.items() if f"[{badge}]" in lines[0]}
        found.check(who, "flag badges", raised, {flag for flag in FLAG_BADGES if bool(row[flag])})
    stated = reason_numbers(row["reason"])
    if "whole" in stated:
        found.check(
            who, "whole months in the reason", stated["whole"], int(row["whole_months_at_level"])
        )
        found.check(
            who,
            "judged months in the reason",
            stated.get("judged", stated["whole"]),
            int(row["judged_months_at_level"]),
        )
    if stated.get("consistent") == "all":
        found.check(
            who,
            "consistent months in the reason ('all')",
            int(row["judged_months_at_level"]),
            int(row["months_at_level"]),
        )
    elif "consistent" in stated:
        found.check(
            who,
            "consistent months in the reason",
            stated["consistent"],
            int(row["months_at_level"]),
        )
    drawn = drawn_bars(at)
    for metric in ("sla_adherence", "median_open_hours", "volume_ratio"):
        applied = chart_bars(warehouse, who, month, metric)
        if applied:
            found.check(who, f"{metric} bars drawn", applied in drawn, True)


def check_page_against_warehouse(
    warehouse: Path, month: str, engineer_ids: list[str] | None = None
) -> Mismatches:
    rows = warehouse_rows(warehouse, month)
    if engineer_ids is not None:
        rows = rows.loc[rows["engineer_id"].isin(engineer_ids)]
    found = Mismatches()
    with engineer_page(warehouse, month) as at:
        for _, row in rows.iterrows():
            check_engineer(at, row, warehouse, month, found)
    return found
