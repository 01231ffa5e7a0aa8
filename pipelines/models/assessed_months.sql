-- assessed_months: one row per engineer with a level and calendar month, from the month of
-- their first level to the as-of month (or their leaving): the level held, whether the month
-- is judged and why not, the tenure counters, and the metric figures the bars are judged on.
-- Every count of months at a level and every "not judged" grey on a chart comes from here.
--
-- Inputs: engineers, engineer_dates, level_stints, leave, engineer_months. Settings: $as_of,
-- $metric_window_months.

with

people as (
    -- Only people with a level are assessed: managers have none.
    select
        e.engineer_id,
        coalesce(e.team_lead, false) as team_lead,
        d.left_on,
        d.onboarding_ends_on,
        min(s.started_on) as first_started_on
    from engineers as e
    join engineer_dates as d on d.engineer_id = e.engineer_id
    join level_stints as s on s.engineer_id = e.engineer_id
    group by all
),

calendar as (
    select
        engineer_id,
        team_lead,
        left_on,
        onboarding_ends_on,
        unnest(generate_series(
            date_trunc('month', first_started_on), $as_of::timestamp, interval 1 month
        ))::date as month
    from people
),

leave_days as (
    -- Count each day once even where leave periods overlap.
    select engineer_id, date_trunc('month', leave_day)::date as month,
        count(distinct leave_day) as days_on_leave
    from (
        select engineer_id,
            unnest(generate_series(
                starts_on::timestamp, ends_on::timestamp, interval 1 day
            ))::date as leave_day
        from leave
        where ends_on >= starts_on
    )
    group by all
),

months as (
    -- The level of a month is the one in effect on its last day; the month is judged at that
    -- level only if it was held the whole month.
    select
        c.engineer_id,
        c.month,
        s.level,
        s.level_rank,
        s.started_on as level_since,
        c.team_lead,
        c.onboarding_ends_on,
        case
            when s.started_on > c.month and s.change = 'hire' then 'joined during the month'
            when s.started_on > c.month then 'level changed during the month'
            when c.month < c.onboarding_ends_on then 'onboarding'
            -- left_on is the last day with the team: a month counts only if it was worked to its end.
            when c.left_on < last_day(c.month) then 'left during the month'
            -- Before the helpdesk data starts nothing can show a level, so nothing is presumed.
            when em.engineer_id is null then 'no data for the month'
            when coalesce(ld.days_on_leave, 0) * 2 > day(last_day(c.month)) then 'mostly on leave'
        end as not_judged_because,
        -- Calendar months held in full at this level, this one included.
        greatest(0, date_diff(
            'month',
            case when day(s.started_on) = 1 then s.started_on
                else date_trunc('month', s.started_on) + interval 1 month end,
            c.month
        ) + 1) as whole_months_at_level
    from calendar as c
    join level_stints as s
        on s.engineer_id = c.engineer_id
        and s.started_on <= last_day(c.month)
        and (s.ended_on is null or s.ended_on >= last_day(c.month))
    left join leave_days as ld on ld.engineer_id = c.engineer_id and ld.month = c.month
    left join engineer_months as em on em.engineer_id = c.engineer_id and em.month = c.month
    where c.left_on is null or c.month <= c.left_on
),

metrics as (
    -- Each metric over the trailing window of metric_window_months calendar months. With a
    -- one-month window the engineer_months figures are used as they are (no float round trip);
    -- a longer window pools SLA targets and volumes, and weights monthly medians by tickets.
    select
        m.engineer_id,
        m.month,
        coalesce(sum(em.tickets_solved), 0) as tickets_solved,
        coalesce(sum(em.sla_sample), 0) as sla_sample,
        case when count(em.month) = 1 then any_value(em.sla_adherence)
            else sum(em.sla_adherence * em.sla_sample) / nullif(sum(em.sla_sample), 0)
        end as sla_adherence,
        case when count(em.month) = 1 then any_value(em.median_open_hours)
            else sum(em.median_open_hours * em.tickets_solved)
                / nullif(sum(em.tickets_solved) filter (where em.median_open_hours is not null), 0)
        end as median_open_hours,
        case when count(em.month) = 1 then any_value(em.volume_ratio)
            else sum(em.tickets_solved) filter (where em.team_median_solved is not null)
                / nullif(sum(em.team_median_solved), 0)
        end as volume_ratio,
        max(em.team_median_solved) filter (where em.month = m.month) as team_median_solved
    from months as m
    left join engineer_months as em
        on em.engineer_id = m.engineer_id
        and em.month <= m.month
        and em.month > m.month - to_months($metric_window_months)
    group by m.engineer_id, m.month
),

final as (
    select
        m.engineer_id,
        m.month,
        m.level,
        m.level_rank,
        m.level_since,
        m.team_lead,
        m.onboarding_ends_on,
        m.not_judged_because is null as judged,
        m.not_judged_because,
        m.whole_months_at_level,
        count(*) filter (where m.not_judged_because is null) over (
            partition by m.engineer_id, m.level_since order by m.month
            rows between unbounded preceding and current row
        ) as judged_months_at_level,
        $metric_window_months::integer as metric_window_months,
        mt.tickets_solved,
        mt.sla_sample,
        mt.sla_adherence,
        mt.median_open_hours,
        mt.volume_ratio,
        mt.team_median_solved
    from months as m
    join metrics as mt on mt.engineer_id = m.engineer_id and mt.month = m.month
)

select * from final order by engineer_id, month
