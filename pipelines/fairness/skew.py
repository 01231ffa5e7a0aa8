"""Evidence documentation skew by manager: examples of work recorded per report per month,
against the org's rate. The first thing to look at before calibration, because a case that
was never written down cannot be weighed.

Each judged month of the period counts for the manager the person reported to that month
(reporting_lines on its last day), so someone who moved counts for each manager in turn.
Managers with fewer reports in the period than the minimum group size are not shown.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import pandas as pd

from pipelines.fairness.intervals import poisson_interval
from pipelines.fairness.lens import FairnessError, first_of_month, scope_params, sql
from pipelines.fairness.words import compare, direction

SKEW_COLUMNS = (
    "manager_id",
    "manager_name",
    "reports",
    "report_months",
    "items",
    "rate",
    "low",
    "high",
    "org_rate",
    "words",
)
# Sorted with the managers whose interval lies below the org's rate first, above it last.
_ORDER = {"lower": 0, "": 1, "higher": 2}


def documentation_skew(
    con,
    start: date,
    end: date,
    min_group_size: int,
    people: Collection[str] | None = None,
) -> pd.DataFrame:
    """One row per manager with at least `min_group_size` reports in the months
    `start`..`end`: manager_id, manager_name, reports, report_months, items (examples of work
    recorded in those months), rate (items per report-month) with its Poisson 95% interval
    (low, high), org_rate (everyone in view) and words ("lower than the org's rate, n = 12",
    n being the reports). Sorted most below the org's rate first. Empty when the org itself
    has fewer than `min_group_size` people in view."""
    start, end = first_of_month(start), first_of_month(end)
    if end < start:
        raise FairnessError(
            f"the period ends ({end:%Y-%m}) before it starts ({start:%Y-%m}). "
            "Fix: give the earlier month first"
        )
    months = con.execute(
        sql("report_months"), {"start": start, "end": end} | scope_params(people)
    ).df()
    if months["engineer_id"].nunique() < min_group_size:
        return pd.DataFrame(columns=list(SKEW_COLUMNS))
    org_rate = months["items"].sum() / len(months)
    managed = months[months["manager_id"].notna()]
    per_manager = (
        managed.groupby("manager_id")
        .agg(
            manager_name=("manager_name", "first"),
            reports=("engineer_id", "nunique"),
            report_months=("month", "size"),
            items=("items", "sum"),
        )
        .reset_index()
    )
    per_manager = _withhold_small(per_manager, months, min_group_size)
    intervals = [
        poisson_interval(int(k), int(n))
        for k, n in zip(per_manager["items"], per_manager["report_months"], strict=True)
    ]
    per_manager["rate"] = per_manager["items"] / per_manager["report_months"]
    per_manager["low"] = [low for low, _ in intervals]
    per_manager["high"] = [high for _, high in intervals]
    per_manager["org_rate"] = float(org_rate)
    per_manager["words"] = [
        compare("share", low, high, org_rate, int(n))  # n = reports, as the words say
        for low, high, n in zip(
            per_manager["low"], per_manager["high"], per_manager["reports"], strict=True
        )
    ]
    order = per_manager["words"].map(lambda w: _ORDER.get(direction(w), 1))
    per_manager = per_manager.assign(_order=order).sort_values(["_order", "rate", "manager_name"])
    return per_manager[list(SKEW_COLUMNS)].reset_index(drop=True)


def _withhold_small(per_manager: pd.DataFrame, months: pd.DataFrame, minimum: int) -> pd.DataFrame:
    """The managers shown: those with `minimum` reports or more, less the smallest of them
    while the report-months left over (the org's totals minus the managers shown, which the
    lens's own org figures would give) belong to more than none but fewer than `minimum`
    people — so no withheld manager's figures can be worked out by subtraction."""
    shown = per_manager[per_manager["reports"] >= minimum].sort_values(
        ["reports", "report_months", "manager_id"]
    )

    def people_left_over(kept: pd.DataFrame) -> int:
        rest = months[~months["manager_id"].isin(kept["manager_id"])]
        return rest["engineer_id"].nunique()

    while not shown.empty and 0 < people_left_over(shown) < minimum:
        shown = shown.iloc[1:]
    return shown.copy()
