"""Time the readiness steps on a synthetic org (default 1,000 engineers x 60 months).

Only the readiness inputs are generated, straight into an in-memory DuckDB, so the figure is
the readiness engine's own: `python -m benchmarks.readiness [--engineers N] [--months M]`.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import duckdb

from pipelines.framework import Framework, load_framework
from pipelines.rules.readiness import build_readiness

FIRST_MONTH = date(2021, 1, 1)


def synthetic_inputs(
    con: duckdb.DuckDBPyConnection,
    framework: Framework,
    engineers: int,
    months: int,
    seed: float = 0.42,
) -> None:
    """Engineers hired over the year before FIRST_MONTH (so each has at least `months` months
    to assess), a level change for a third of them, monthly figures around the bars, an
    evidence item every other month, a few raises, leaves and leavers."""
    con.execute("select setseed(?)", [seed])
    params = {
        "n": engineers,
        "months": months,
        "start": FIRST_MONTH,
        "levels": list(framework.levels),
        "categories": list(framework.categories),
    }
    con.execute(
        """
        create or replace table engineers as
        select
            printf('E%05d', i) as engineer_id, printf('Person %d', i) as name,
            printf('e%d@example.com', i) as email, printf('Team %d', i % 12) as team,
            'EMEA' as region, null::varchar as manager_id,
            ($start::date - to_days((i * 7) % 360)::interval)::date as hire_date,
            i % 15 = 0 as team_lead,
            case when i % 20 = 0 then ($start::date + to_months($months - 6))::date end
                as left_on,
            null::date as onboarded_on,
            ($start::date - to_days((i * 7) % 360)::interval + interval 3 month)::date
                as onboarding_ends_on
        from range($n) t(i)
    """,
        {k: params[k] for k in ("n", "months", "start")},
    )
    con.execute(
        """
        create or replace table levels as
        select engineer_id, $levels[1 + (i % 3)] as level, hire_date as effective_on
        from (select engineer_id, hire_date, row_number() over () as i from engineers)
        union all
        select engineer_id, $levels[2 + (i % 3)], (hire_date + interval 20 month)::date
        from (select engineer_id, hire_date, row_number() over () as i from engineers)
        where i % 3 = 0
    """,
        {"levels": params["levels"]},
    )
    con.execute(
        """
        create or replace table engineer_months as
        select
            e.engineer_id, (e.hire_date - interval (day(e.hire_date) - 1) day
                + to_months(k))::date as month,
            e.team,
            40 + (random() * 30)::int as tickets_solved,
            null::int as sla_met, null::int as sla_breached,
            case when random() < 0.05 then 6 else 50 + (random() * 100)::int end as sla_sample,
            case when random() < 0.04 then 0.9 else 0.95 + random() * 0.05 end
                as sla_adherence,
            6 + random() * 15 as median_open_hours,
            0 as csat_good, 0 as csat_bad,
            55.0 as team_median_solved,
            0.45 + random() * 1.0 as volume_ratio,
            'tickets' as metrics_source
        from engineers e, range(0, $months + 12) r(k)
        where e.hire_date + to_months(k) < $start::date + to_months($months)
    """,
        {k: params[k] for k in ("months", "start")},
    )
    con.execute(
        """
        create or replace table evidence as
        select
            printf('EV%d', row_number() over ()) as evidence_id, engineer_id,
            (month + interval 9 day)::date as observed_on,
            unnest($categories) as category,
            -- Each engineer is shown at one level of their own, so some reach the next one.
            $levels[1 + (hash(engineer_id) % len($levels))::int] as level,
            case when random() < 0.03 then 'concern' else 'example' end as kind,
            'seen' as summary, null as link, 'manager' as source, null as recorded_by
        from engineer_months
        where month(month) % 3 = 0
    """,
        {k: params[k] for k in ("levels", "categories")},
    )
    con.execute("""
        create or replace table decisions as
        select engineer_id, (hire_date + interval 30 month)::date as decided_on,
            'in_band_raise' as decision, null as note
        from engineers where hash(engineer_id) % 7 = 0
    """)
    con.execute("""
        create or replace table leave as
        select engineer_id, (hire_date + interval 14 month)::date as starts_on,
            (hire_date + interval 14 month + interval 24 day)::date as ends_on
        from engineers where hash(engineer_id) % 5 = 0
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engineers", type=int, default=1000)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    framework = load_framework()
    con = duckdb.connect()
    synthetic_inputs(con, framework, args.engineers, args.months)
    as_of = con.execute("select max(month) from engineer_months").fetchone()[0]
    started = time.perf_counter()
    build_readiness(con, framework, as_of)
    elapsed = time.perf_counter() - started
    attainment, readiness = (
        con.execute(f"select count(*) from {t}").fetchone()[0]
        for t in ("category_attainment", "readiness")
    )
    flagged = con.execute(
        "select count(*) filter (where promotion_ready), count(*) filter (where near_window),"
        " count(*) filter (where in_band_candidate), count(*) filter (where at_risk)"
        " from readiness where month = ?",
        [as_of],
    ).fetchone()
    print(
        f"readiness for {args.engineers} engineers x {args.months} months: {elapsed:.2f} s "
        f"({attainment:,} attainment rows, {readiness:,} readiness rows; as of {as_of}: "
        f"{flagged[0]} ready, {flagged[1]} near, {flagged[2]} in-band, {flagged[3]} at risk)"
    )


if __name__ == "__main__":
    main()
