"""The fairness table: for one grouping and one period, each group's rates with intervals,
sample sizes and a descriptive phrase against the org's rate, with small groups withheld.

Who counts: everyone with at least one judged month (a readiness row) in the period while on
the roster; `people` narrows that to a viewer's scope. Each person counts in one group: the
one they were in at their last judged month of the period (manager from reporting_lines on that
month's last day, level held then); team, region and declared extra columns are the roster's,
which holds one value per person. See measures.py for what each rate counts.

Suppression: a group with fewer than `min_group_size` people never appears, and is never named.
If the people withheld could be worked out as the org's total minus the groups shown (fewer
than the minimum withheld in all), the smallest shown group is withheld too, until they cannot.
The org row itself is shown only when the org has at least `min_group_size` people.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from pipelines.fairness.groupings import fairness_groupings, grouping_label
from pipelines.fairness.intervals import median_interval, poisson_interval, wilson
from pipelines.fairness.measures import MEASURES, Measure
from pipelines.fairness.words import compare

_SQL = Path(__file__).resolve().parent / "sql"
# The label of people who have no value for the grouping (no manager, an empty roster cell).
NO_MANAGER = "No manager"
NOT_RECORDED = "Not recorded"
ORG_LABEL = "Whole org"


class FairnessError(ValueError):
    """A request the lens cannot answer; the message says what to change."""


@dataclass
class FairnessTable:
    grouping: str
    start: date
    end: date
    min_group_size: int
    # One row per group shown: group, group_id, people, person_months and, per measure,
    # <key>_count, <key>_n, <key>_rate, <key>_low, <key>_high, <key>_words.
    rows: pd.DataFrame
    # The same figures for everyone in the period (empty when the org is under the minimum).
    org: dict = field(default_factory=dict)
    suppressed: int = 0
    note: str = ""


# The CTE every query that counts people reads, defined once in sql/person_months.sql.
PERSON_MONTHS = "person_months"


@cache
def sql(name: str) -> str:
    """The query `sql/<name>.sql`; one that reads `person_months` gets its definition in
    front, as the first CTE of its own `with`."""
    text = (_SQL / f"{name}.sql").read_text(encoding="utf-8")
    if not re.search(rf"\bfrom {PERSON_MONTHS}\b", text):
        return text
    head, found, rest = text.partition("\nwith\n")
    if not found:
        raise RuntimeError(f"sql/{name}.sql reads {PERSON_MONTHS} but has no `with` to join")
    shared = (_SQL / f"{PERSON_MONTHS}.sql").read_text(encoding="utf-8")
    return f"{head}\nwith\n\n{PERSON_MONTHS} as (\n{shared}),\n{rest}"


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def scope_params(people: Collection[str] | None) -> dict:
    """The bound parameters that narrow a query to a viewer's people (None: everyone)."""
    return {"everyone": people is None, "people": sorted(people) if people is not None else []}


def period_people(
    con, start: date, end: date, people: Collection[str] | None = None
) -> pd.DataFrame:
    """One row per person counted in the period (see sql/period_people.sql)."""
    return con.execute(
        sql("period_people"),
        {"start": first_of_month(start), "end": first_of_month(end)} | scope_params(people),
    ).df()


def fairness_table(
    con,
    grouping: str,
    start: date,
    end: date,
    min_group_size: int,
    people: Collection[str] | None = None,
) -> FairnessTable:
    """Each group's figures for the whole months `start`..`end` (inclusive; any day of a
    month stands for the month), by `grouping` (one of fairness_groupings(con)).

    `con` is a read-only connection to the warehouse file or the dashboard's connection
    (warehouse attached as the default catalog). `people`: the engineer ids the viewer may
    see (None: everyone). Groups are taken at each person's last judged month of the period;
    the returned `note` says so, and how many groups were withheld (never which)."""
    start, end = first_of_month(start), first_of_month(end)
    if end < start:
        raise FairnessError(
            f"the period ends ({end:%Y-%m}) before it starts ({start:%Y-%m}). "
            "Fix: give the earlier month first"
        )
    available = fairness_groupings(con)
    if grouping not in available:
        raise FairnessError(
            f"{grouping!r} is not a grouping of this warehouse. Fix: use one of "
            f"{', '.join(available)} (extra roster columns are declared in the framework "
            "file's [fairness] groupings)"
        )
    frame = _with_groups(con, period_people(con, start, end, people), grouping)
    promotions = _promotions(con, start, end, frame)
    org_figures = _figures(frame, promotions)
    groups = [
        {"group": label, "group_id": key, **_figures(members, promotions)}
        for (key, label), members in frame.groupby(["group_id", "group"], dropna=False, sort=False)
    ]
    shown, withheld = _suppress(groups, len(frame), min_group_size)
    org_shown = len(frame) >= min_group_size
    rows = [_with_words(g, org_figures) for g in _ordered(shown, grouping, frame)]
    return FairnessTable(
        grouping=grouping,
        start=start,
        end=end,
        min_group_size=min_group_size,
        rows=_rows_frame(rows),
        org=org_figures | {"group": ORG_LABEL} if org_shown else {},
        suppressed=withheld,
        note=_note(grouping, withheld, min_group_size, org_shown),
    )


def _with_groups(con, frame: pd.DataFrame, grouping: str) -> pd.DataFrame:
    """`frame` with group_id (what the group is keyed on) and group (its label)."""
    frame = frame.copy()
    if grouping == "manager":
        frame["group_id"] = frame["manager_id"].fillna("")
        names = frame["manager_name"].where(frame["manager_id"].notna(), NO_MANAGER)
        # Two managers of one name stay two groups, told apart by their ids.
        shared = frame["group_id"].groupby(names).transform("nunique") > 1
        frame["group"] = names.where(~shared, names + " (" + frame["group_id"] + ")")
        return frame
    if grouping in ("team", "region", "level"):
        values = frame[grouping]
    else:
        attributes = con.execute(sql("attribute_values"), {"attribute": grouping}).df()
        values = frame[["engineer_id"]].merge(attributes, on="engineer_id", how="left")["value"]
        values.index = frame.index
    values = values.astype(object).where(values.notna() & (values.astype(str).str.strip() != ""))
    frame["group"] = values.fillna(NOT_RECORDED)
    frame["group_id"] = values.fillna("")
    return frame


def _promotions(con, start: date, end: date, frame: pd.DataFrame) -> pd.DataFrame:
    """Promotions of the period for the people counted, with their group."""
    promoted = con.execute(sql("promotions"), {"start": start, "end": end}).df()
    return promoted.merge(frame[["engineer_id", "group_id"]], on="engineer_id", how="inner")


def _figures(members: pd.DataFrame, promotions: pd.DataFrame) -> dict:
    """people, person_months and every measure's count, n, rate, low and high."""
    people, person_months = len(members), int(members["person_months"].sum())
    out: dict = {"people": people, "person_months": person_months}
    for measure in MEASURES:
        if measure.kind == "share":
            k, n = int(members[measure.key].sum()), people
            rate = k / n if n else float("nan")
            low, high = wilson(k, n)
        elif measure.kind == "per_person_month":
            k, n = int(members["items"].sum()), person_months
            rate = k / n if n else float("nan")
            low, high = poisson_interval(k, n)
        else:
            months = promotions.loc[
                promotions["engineer_id"].isin(members["engineer_id"]), "months_at_level"
            ].tolist()
            k = n = len(months)
            rate = float(statistics.median(months)) if months else float("nan")
            low, high = median_interval(months)
        out |= {
            f"{measure.key}_count": k,
            f"{measure.key}_n": n,
            f"{measure.key}_rate": rate,
            f"{measure.key}_low": low,
            f"{measure.key}_high": high,
        }
    return out


def _suppress(groups: list[dict], org_people: int, minimum: int) -> tuple[list[dict], int]:
    """(groups shown, how many withheld). Under the minimum: withheld. Then, while the people
    withheld number more than none but fewer than the minimum (the org's total minus the
    groups shown would give them away), the smallest group still shown is withheld too."""
    shown = sorted((g for g in groups if g["people"] >= minimum), key=lambda g: g["people"])
    withheld = len(groups) - len(shown)
    while shown and 0 < org_people - sum(g["people"] for g in shown) < minimum:
        shown.pop(0)
        withheld += 1
    if org_people < minimum:
        withheld, shown = len(groups), []
    return shown, withheld


def _ordered(groups: list[dict], grouping: str, frame: pd.DataFrame) -> list[dict]:
    """Levels in the framework's order, every other grouping by its label."""
    if grouping == "level":
        rank = dict(zip(frame["level"], frame["level_rank"], strict=False))
        return sorted(groups, key=lambda g: (rank.get(g["group_id"], 1e9), g["group"]))
    return sorted(groups, key=lambda g: (g["group"] in (NO_MANAGER, NOT_RECORDED), g["group"]))


def _with_words(group: dict, org: dict) -> dict:
    return group | {
        f"{m.key}_words": compare(
            m.kind,
            group[f"{m.key}_low"],
            group[f"{m.key}_high"],
            org[f"{m.key}_rate"],
            group[f"{m.key}_n"],
        )
        for m in MEASURES
    }


def _rows_frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["group", "group_id", "people", "person_months"] + [
        f"{m.key}_{part}"
        for m in MEASURES
        for part in ("count", "n", "rate", "low", "high", "words")
    ]
    return pd.DataFrame(rows, columns=columns)


def membership_sentence(grouping: str) -> str:
    """How people are placed in groups, for the page's note."""
    if grouping == "manager":
        where = "with the manager they reported to on the last day of that month"
    elif grouping == "level":
        where = "at the level they held in that month"
    else:
        where = f"by the {grouping_label(grouping).lower()} the roster holds for them"
    return (
        "Each person counts once, in the group they were in at their last judged month of the "
        f"period: {where}."
    )


def _note(grouping: str, withheld: int, minimum: int, org_shown: bool) -> str:
    """Plain sentences: how people were placed, and how many groups are withheld and why
    (never which, never their sizes)."""
    placed = membership_sentence(grouping)
    if not org_shown:
        return (
            f"{placed} Fewer than {minimum} people were judged in this period, so no figures "
            "are shown: groups that small could single people out."
        )
    if withheld == 0:
        return f"{placed} Every group has at least {minimum} people, so none is withheld."
    groups = "1 group is" if withheld == 1 else f"{withheld} groups are"
    return (
        f"{placed} {groups} not shown: a group is withheld when it has fewer than {minimum} "
        "people, or when its size could be worked out from the groups shown and the org's "
        "total. The org's figures still include everyone."
    )


def measure_columns(measure: Measure) -> list[str]:
    """The rows' columns of one measure, in order."""
    return [f"{measure.key}_{p}" for p in ("count", "n", "rate", "low", "high", "words")]
