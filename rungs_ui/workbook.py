"""The flags workbook: Promotions, In-band raises and At risk, one sheet each, for whoever takes
the lists into a meeting or a spreadsheet of their own.

Each sheet holds the rows its page lists, from the same query (queries.readiness_at with that
page's flag) over the same scoped warehouse and filters, shown as the page shows people (names,
or letters and no ids when anonymised), with the export headers of rungs_ui.downloads.
"""

from __future__ import annotations

import pandas as pd

from pipelines.spreadsheet import safe_xlsx
from rungs_ui import downloads, queries
from rungs_ui.identity import Identity
from rungs_ui.queries import Filters, Flag
from rungs_ui.warehouse import Warehouse

_WHO = ["engineer_id", "name", "team", "manager_id", "manager_name", "level"]
# Sheet -> which rows (the flag its page asks for) and the columns after who they are.
SHEETS = {
    "Promotions": (
        Flag.READY_OR_NEAR,
        [
            "flags",
            "months_at_level",
            "months_at_next",
            "next_level",
            "projected_window_month",
            "still_short_in",
        ],
    ),
    "In-band raises": (
        Flag.IN_BAND,
        [
            "months_at_level",
            "above_categories",
            "months_with_categories_above",
            "last_raise",
            "last_raise_on",
        ],
    ),
    "At risk": (Flag.AT_RISK, ["overall_level", "months_below_level", "months_at_level"]),
}
# How the Promotions sheet tells its two lists apart, as the page's two headings do.
_PROMOTION_FLAG = {True: "Ready now", False: "Near a window"}


def sheets(wh: Warehouse, f: Filters, who: Identity) -> dict[str, pd.DataFrame]:
    """Each sheet's rows as they would be downloaded: people as `who` shows them, days by
    month when anonymised, free text scrubbed, headers and units for export."""
    out = {}
    for title, (flag, columns) in SHEETS.items():
        rows = queries.readiness_at(wh, f, flag)
        if flag is Flag.READY_OR_NEAR:
            short = queries.still_short_in(wh, f)[["engineer_id", "still_short_in"]]
            # No category short of the next level reads "none", as on the page.
            short["still_short_in"] = short["still_short_in"].fillna("none")
            rows = rows.merge(short, on="engineer_id", how="left").assign(
                flags=rows["promotion_ready"].astype(bool).map(_PROMOTION_FLAG).to_numpy()
            )
            # Ready first, as the page lists them; the query's order within each.
            rows = rows.sort_values("flags", key=lambda s: s.ne("Ready now"), kind="stable")
        rows = rows.reindex(columns=[*_WHO, *columns, "reason"])
        out[title] = downloads.for_export(who.whole(rows).reset_index(drop=True))
    return out


def workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    return safe_xlsx(tables)
