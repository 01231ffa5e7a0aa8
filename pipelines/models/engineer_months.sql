-- engineer_months: one row per engineer per calendar month, the unit every bar is judged on.
-- Parameters: $tz (framework time zone: months are calendar months there). Reads
-- engineer_dates for the end of onboarding.
with

solved as (
    select
        assignee_id as engineer_id,
        date_trunc('month', timezone($tz, solved_at))::date as month,
        -- Whole microseconds: DuckDB's median is about three times faster on integers.
        epoch_us(solved_at) - epoch_us(created_at) as open_us,
        sla_breached,
        csat
    from tickets
    where assignee_id is not null
      and solved_at is not null
      and status in ('solved', 'closed')
),

-- Materialized: three later steps read it, and it is the one pass over every ticket.
from_tickets as materialized (
    select
        engineer_id,
        month,
        count(*) as tickets_solved,
        count(*) filter (where not sla_breached) as sla_met,
        count(*) filter (where sla_breached) as sla_breached,
        median(open_us) / 3600e6 as median_open_hours,
        count(*) filter (where csat = 'good') as csat_good,
        count(*) filter (where csat = 'bad') as csat_bad,
        'tickets' as metrics_source
    from solved
    group by engineer_id, month
),

-- A monthly report fills only the months that no ticket covers.
from_reports as (
    select
        m.engineer_id, m.month, m.tickets_solved, m.sla_met, m.sla_breached,
        m.median_open_hours, m.csat_good, m.csat_bad, 'monthly_metrics' as metrics_source
    from monthly_metrics m
    anti join from_tickets t using (engineer_id, month)
),

measured as (
    select * from from_tickets
    union all
    select * from from_reports
),

-- The months the data speaks for: before the first ticket or report nothing is known, and a
-- month with no data must not pass for a month with no work.
data_span as (
    select min(first_month) as first_month, max(last_month) as last_month from (
        select
            date_trunc('month', timezone($tz, min(created_at)))::date as first_month,
            date_trunc('month', timezone($tz, max(created_at)))::date as last_month
        from tickets
        union all
        select min(month), max(month) from measured
    )
),

assessed as (
    select engineer_id from levels
    union
    select engineer_id from measured
),

months as (
    select
        e.engineer_id,
        e.team,
        e.team_lead,
        ed.onboarding_ends_on,
        unnest(generate_series(
            greatest(date_trunc('month', e.hire_date), d.first_month),
            least(coalesce(date_trunc('month', e.left_on), d.last_month), d.last_month),
            interval 1 month
        ))::date as month
    from engineers e
    join engineer_dates ed using (engineer_id)
    semi join assessed a on a.engineer_id = e.engineer_id
    cross join data_span d
    where d.last_month is not null
),

filled as (
    select
        mo.engineer_id,
        mo.month,
        mo.team,
        mo.team_lead,
        mo.month >= mo.onboarding_ends_on as onboarded,
        coalesce(me.tickets_solved, 0) as tickets_solved,
        coalesce(me.sla_met, 0) as sla_met,
        coalesce(me.sla_breached, 0) as sla_breached,
        me.median_open_hours,
        coalesce(me.csat_good, 0) as csat_good,
        coalesce(me.csat_bad, 0) as csat_bad,
        coalesce(me.metrics_source, 'none') as metrics_source
    from months mo
    left join measured me using (engineer_id, month)
),

-- The volume yardstick: people still onboarding or leading a team would drag it down.
team_median as (
    select
        team,
        month,
        median(tickets_solved) as team_median_solved,
        count(*) as team_median_people
    from filled
    where onboarded and not team_lead
    group by team, month
),

final as (
    select
        f.engineer_id,
        f.month,
        f.team,
        f.tickets_solved::bigint as tickets_solved,
        f.sla_met::bigint as sla_met,
        f.sla_breached::bigint as sla_breached,
        (f.sla_met + f.sla_breached)::bigint as sla_sample,
        f.sla_met / nullif(f.sla_met + f.sla_breached, 0) as sla_adherence,
        f.median_open_hours,
        f.csat_good::bigint as csat_good,
        f.csat_bad::bigint as csat_bad,
        tm.team_median_solved::double as team_median_solved,
        -- How many people the median is over: the dashboard shows it only over enough people.
        coalesce(tm.team_median_people, 0)::bigint as team_median_people,
        f.tickets_solved / nullif(tm.team_median_solved, 0) as volume_ratio,
        f.metrics_source
    from filled f
    left join team_median tm using (team, month)
)

select * from final order by engineer_id, month
