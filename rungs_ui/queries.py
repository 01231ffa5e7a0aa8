"""The questions pages ask the warehouse, as named queries with bound parameters.

Nothing here decides anything: the pipeline computed every number and flag. These functions only
select, join and shape rows for display. Filters pick people by their attributes at the as-of
month (team, region, manager, level then), and every trend follows those people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from rungs_ui.warehouse import Warehouse, query


@dataclass(frozen=True)
class Filters:
    month: date
    teams: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class FrameworkView:
    """The framework the build used, as the build wrote it."""

    levels: tuple[str, ...]
    categories: tuple[str, ...]
    bars: pd.DataFrame = field(repr=False)
    expectations: pd.DataFrame = field(repr=False)
    settings: pd.DataFrame = field(repr=False)

    def rank(self, level: object) -> int:
        """Framework rank of a level; -1 for anything below the first ("below IC1", missing)."""
        return self.levels.index(level) if level in self.levels else -1

    def next_level(self, level: str) -> str | None:
        i = self.rank(level)
        return self.levels[i + 1] if 0 <= i < len(self.levels) - 1 else None

    def setting(self, name: str) -> float:
        row = self.settings.loc[self.settings["name"] == name, "value"]
        if row.empty:
            raise KeyError(f"framework_settings has no {name!r}; rebuild the warehouse")
        return float(row.iloc[0])

    def bars_for_metric(self, metric: str) -> pd.DataFrame:
        return self.bars.loc[self.bars["metric"] == metric].reset_index(drop=True)


def framework(wh: Warehouse) -> FrameworkView:
    levels = query(wh, "select level from framework_levels order by rank")["level"]
    categories = query(wh, "select category from framework_categories order by rank")["category"]
    return FrameworkView(
        levels=tuple(levels),
        categories=tuple(categories),
        bars=query(
            wh,
            "select level, category, metric, op, value::double as value, label from framework_bars",
        ),
        expectations=query(wh, "select level, category, label from framework_expectations"),
        settings=query(
            wh,
            "select name, value::double as value, default_value::double as "
            "default_value, help from framework_settings order by name",
        ),
    )


def latest_build(wh: Warehouse) -> dict:
    rows = query(wh, "select * from builds where build_id = ?", [wh.build_id])
    return rows.iloc[0].to_dict()


def builds(wh: Warehouse) -> pd.DataFrame:
    return query(wh, "select * from builds order by built_at desc")


def build_files(wh: Warehouse, build_id: str) -> pd.DataFrame:
    return query(
        wh, "select * from build_files where build_id = ? order by table_name, file", [build_id]
    )


def rejected_rows(wh: Warehouse, build_id: str) -> pd.DataFrame:
    return query(
        wh,
        'select table_name, file, line, "column", value, reason from rejected_rows '
        "where build_id = ? order by table_name, file, line",
        [build_id],
    )


def as_of_months(wh: Warehouse) -> list[date]:
    """Months a view can be set to, newest first: the months the readiness engine covered."""
    table = "readiness" if wh.has("readiness") else "engineer_months"
    months = query(wh, f"select distinct month from {table} order by month desc")["month"]
    return [pd.Timestamp(m).date() for m in months]


def build_as_of(wh: Warehouse) -> date | None:
    value = latest_build(wh).get("as_of_month")
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def filter_options(wh: Warehouse) -> dict[str, pd.DataFrame]:
    return {
        "teams": query(
            wh, "select distinct team from engineers where team is not null order by team"
        ),
        "regions": query(
            wh, "select distinct region from engineers where region is not null order by region"
        ),
        "managers": query(
            wh,
            "select distinct e.manager_id, coalesce(m.name, e.manager_id) as manager_name "
            "from engineers e left join engineers m on m.engineer_id = e.manager_id "
            "where e.manager_id is not null order by manager_name",
        ),
    }


# The people in view at a month: present at its end, at the level they held then, narrowed by
# the sidebar filters. Every query that lists people starts from this CTE.
_ROSTER = """
roster as (
    select e.engineer_id, e.name, e.email, e.team, e.region, e.manager_id,
           coalesce(m.name, e.manager_id) as manager_name, e.team_lead, lv.level, lv.level_since
    from engineers e
    join (
        select engineer_id, arg_max(level, effective_on) as level,
               max(effective_on) as level_since
        from levels
        where effective_on <= last_day(?::date)
        group by engineer_id
    ) lv using (engineer_id)
    left join engineers m on m.engineer_id = e.manager_id
    where e.hire_date <= last_day(?::date)
      and (e.left_on is null or e.left_on > last_day(?::date))
"""
_FILTER_CLAUSES = (
    ("teams", "and list_contains(?::varchar[], e.team)"),
    ("regions", "and list_contains(?::varchar[], e.region)"),
    ("managers", "and list_contains(?::varchar[], e.manager_id)"),
    ("levels", "and list_contains(?::varchar[], lv.level)"),
)


def _roster_cte(f: Filters, month: date | None = None) -> tuple[str, list]:
    month = month or f.month
    sql, params = _ROSTER, [month, month, month]
    for attr, clause in _FILTER_CLAUSES:
        values = getattr(f, attr)
        if values:
            sql += f"      {clause}\n"
            params.append(list(values))
    return sql + ")", params


def roster(wh: Warehouse, f: Filters, month: date | None = None) -> pd.DataFrame:
    cte, params = _roster_cte(f, month)
    month = month or f.month
    return query(
        wh,
        f"with {cte} select *, greatest(0, date_diff('month', "
        "case when day(level_since) = 1 then level_since "
        "else date_trunc('month', level_since) + interval 1 month end, ?::date) + 1) "
        "as whole_months_at_level from roster order by name",
        [*params, month],
    )


def team_kpis(wh: Warehouse, f: Filters, month: date) -> dict:
    """Headline numbers for one month over the people in view then."""
    cte, params = _roster_cte(f, month)
    metrics = (
        query(
            wh,
            f"with {cte} select count(*) as headcount, "
            "sum(em.sla_met) / nullif(sum(em.sla_sample), 0) as sla_adherence, "
            "median(em.median_open_hours) as median_open_hours "
            "from roster r left join engineer_months em "
            "on em.engineer_id = r.engineer_id and em.month = ?",
            [*params, month],
        )
        .iloc[0]
        .to_dict()
    )
    if wh.has("readiness"):
        flags = (
            query(
                wh,
                f"with {cte} select "
                "count(*) filter (where rd.promotion_ready) as ready, "
                "count(*) filter (where rd.near_window) as near, "
                "count(*) filter (where rd.in_band_candidate) as in_band, "
                "count(*) filter (where rd.at_risk) as at_risk "
                "from roster r join readiness rd "
                "on rd.engineer_id = r.engineer_id and rd.month = ?",
                [*params, month],
            )
            .iloc[0]
            .to_dict()
        )
        metrics.update(flags)
    return metrics


def level_distribution(wh: Warehouse, f: Filters) -> pd.DataFrame:
    cte, params = _roster_cte(f)
    return query(
        wh, f"with {cte} select level, count(*) as engineers from roster group by level", params
    )


def team_trends(wh: Warehouse, f: Filters, months: int) -> pd.DataFrame:
    """SLA adherence and median open time per team and month, over the people in view."""
    cte, params = _roster_cte(f)
    return query(
        wh,
        f"with {cte} select em.team, em.month, "
        "sum(em.sla_met) / nullif(sum(em.sla_sample), 0) as sla_adherence, "
        "sum(em.sla_sample) as sla_sample, "
        "median(em.median_open_hours) as median_open_hours, "
        "sum(em.tickets_solved) as tickets_solved "
        "from engineer_months em join roster using (engineer_id) "
        "where em.month > ?::date - to_months(?) and em.month <= ?::date "
        "group by em.team, em.month order by em.team, em.month",
        [*params, f.month, months, f.month],
    )


def readiness_at(wh: Warehouse, f: Filters, where: str = "true") -> pd.DataFrame:
    """Readiness rows of the people in view at the as-of month. `where` is one of our own
    constant predicates on `rd` (e.g. "rd.promotion_ready"), never user input."""
    cte, params = _roster_cte(f)
    return query(
        wh,
        f"with {cte} select r.engineer_id, r.name, r.team, r.region, r.manager_id, "
        "r.manager_name, r.team_lead, rd.* exclude (engineer_id, month) "
        "from roster r join readiness rd on rd.engineer_id = r.engineer_id and rd.month = ? "
        f"where {where} order by rd.months_at_next desc, rd.months_at_level desc, r.name",
        [*params, f.month],
    )


def attainment_at(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """Demonstrated level per category for the people in view at the as-of month."""
    cte, params = _roster_cte(f)
    return query(
        wh,
        f"with {cte} select r.engineer_id, r.name, ca.category, ca.current_level, "
        "ca.demonstrated_level from roster r join category_attainment ca "
        "on ca.engineer_id = r.engineer_id and ca.month = ?",
        [*params, f.month],
    )


def last_raise_or_promotion(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """The latest in-band raise or promotion of each person in view, from decisions and from
    level changes (every level row after the first is a change)."""
    cte, params = _roster_cte(f)
    return query(
        wh,
        f"with {cte}, changes as ("
        "  select engineer_id, decided_on as changed_on, replace(decision, '_', ' ') as change "
        "  from decisions where decision in ('in_band_raise', 'promotion')"
        "  union all"
        "  select engineer_id, effective_on, 'promotion to ' || level from ("
        "    select *, row_number() over (partition by engineer_id order by effective_on) as n"
        "    from levels) where n > 1"
        ") select engineer_id, max(changed_on) as last_change_on, "
        "arg_max(change, changed_on) as last_change "
        "from changes join roster using (engineer_id) where changed_on <= last_day(?::date) "
        "group by engineer_id",
        [*params, f.month],
    )


def trajectories(wh: Warehouse, engineer_ids: list[str], month: date, months: int):
    """Monthly SLA adherence and sample of the given people over `months` months to `month`."""
    return query(
        wh,
        "select em.engineer_id, em.month, em.sla_adherence, em.sla_sample "
        "from engineer_months em where list_contains(?::varchar[], em.engineer_id) "
        "and em.month > ?::date - to_months(?) and em.month <= ?::date order by em.month",
        [engineer_ids, month, months, month],
    )


# Columns of category_attainment that explain a check, in the order a reader wants them; the
# engineer page's heatmap tooltips show those the build wrote.
ATTAINMENT_INPUTS = (
    "not_eligible_because",
    "bars_checked",
    "sla_adherence",
    "sla_sample",
    "median_open_hours",
    "tickets_solved",
    "volume_ratio",
    "team_median_solved",
    "example_ids",
    "concern_ids",
    "blocked_level",
    "blocker_kind",
    "blocker_metric",
    "blocker_observed",
    "blocker_bar",
    "blocker_sample",
    "blocker_evidence_id",
    "unjudged_metric",
    "unjudged_sample",
    "evidence_ids",
)


# --- one engineer -------------------------------------------------------------------------


def engineer_months(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    return query(
        wh,
        "select * from engineer_months where engineer_id = ? and month <= ? order by month",
        [engineer_id, month],
    )


def engineer_readiness(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    return query(
        wh,
        "select * from readiness where engineer_id = ? and month <= ? order by month",
        [engineer_id, month],
    )


def engineer_attainment(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    return query(
        wh,
        "select * from category_attainment where engineer_id = ? and month <= ? "
        "order by month, category",
        [engineer_id, month],
    )


def level_history(wh: Warehouse, engineer_id: str) -> pd.DataFrame:
    return query(
        wh,
        "select level, effective_on from levels where engineer_id = ? order by effective_on",
        [engineer_id],
    )


def engineer_evidence(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    return query(
        wh,
        "select evidence_id, observed_on, category, level, kind, summary, link, source, "
        "recorded_by from evidence where engineer_id = ? and observed_on <= last_day(?::date) "
        "order by observed_on desc",
        [engineer_id, month],
    )


def engineer_decisions(wh: Warehouse, engineer_id: str) -> pd.DataFrame:
    return query(
        wh,
        "select decided_on, decision, note from decisions where engineer_id = ? "
        "order by decided_on desc",
        [engineer_id],
    )


# --- evidence -----------------------------------------------------------------------------


def evidence_coverage(wh: Warehouse, f: Filters, levels: tuple[str, ...]) -> pd.DataFrame:
    """Months since each person's latest example per category at (or above) their current
    level and at (or above) the next, as of the month. NULL when there is none."""
    cte, params = _roster_cte(f)
    return query(
        wh,
        f"with {cte}, ranks as (select unnest(?::varchar[]) as level, "
        "generate_subscripts(?::varchar[], 1) as rank), "
        "people as (select r.*, rk.rank from roster r join ranks rk using (level)), "
        "examples as (select ev.engineer_id, ev.category, ev.observed_on, rk.rank "
        "  from evidence ev join ranks rk using (level) "
        "  where ev.kind = 'example' and ev.observed_on <= last_day(?::date)), "
        "cats as (select category from framework_categories) "
        "select p.engineer_id, p.name, p.team, p.manager_name, p.level, c.category, "
        "date_diff('month', max(x.observed_on) filter (where x.rank >= p.rank), ?::date) "
        "  as months_since_current, "
        "date_diff('month', max(x.observed_on) filter (where x.rank >= p.rank + 1), ?::date) "
        "  as months_since_next "
        "from people p cross join cats c "
        "left join examples x on x.engineer_id = p.engineer_id and x.category = c.category "
        "group by all order by p.name, c.category",
        [*params, list(levels), list(levels), f.month, f.month, f.month],
    )


def evidence_per_manager(wh: Warehouse, f: Filters, months: int) -> pd.DataFrame:
    """Evidence items per engineer over the last `months` months, per manager and per team."""
    cte, params = _roster_cte(f)
    return query(
        wh,
        f"with {cte}, items as ("
        "  select engineer_id, count(*) as items from evidence "
        "  where observed_on > last_day(?::date) - to_months(?) "
        "    and observed_on <= last_day(?::date) group by engineer_id), "
        "per_person as (select r.team, r.manager_id, r.manager_name, coalesce(i.items, 0) as n "
        "  from roster r left join items i using (engineer_id)) "
        "select team, manager_id, coalesce(manager_name, 'no manager') as manager_name, "
        "count(*) as engineers, sum(n) as items, avg(n) as items_per_engineer, "
        "sum(sum(n)) over (partition by team) / sum(count(*)) over (partition by team) "
        "  as team_items_per_engineer "
        "from per_person group by team, manager_id, manager_name order by team, manager_name",
        [*params, f.month, months, f.month],
    )


def evidence_search(wh: Warehouse, f: Filters, text: str, limit: int = 500) -> pd.DataFrame:
    cte, params = _roster_cte(f)
    pattern = f"%{text.strip()}%"
    return query(
        wh,
        f"with {cte} select ev.observed_on, r.name, r.team, ev.category, ev.level, ev.kind, "
        "ev.summary, ev.link, ev.source, ev.recorded_by "
        "from evidence ev join roster r using (engineer_id) "
        "where ev.observed_on <= last_day(?::date) and (? = '%%' or ev.summary ilike ? "
        "or r.name ilike ? or ev.category ilike ? or ev.source ilike ?) "
        "order by ev.observed_on desc limit ?",
        [*params, f.month, pattern, pattern, pattern, pattern, pattern, limit],
    )
