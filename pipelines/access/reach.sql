-- Everyone at or below the given people through the reporting lines that held at the end of
-- the month: the people themselves, their reports, their reports' reports, and so on.
-- `union` (not `union all`) drops repeats, which also ends a loop in bad data.
--
-- Parameters: month (first day of the month), roots (engineer ids).

with recursive

month_end as (
    select last_day($month::date) as day
),

lines as (
    select rl.engineer_id, rl.manager_id
    from reporting_lines as rl
    cross join month_end
    where rl.started_on <= month_end.day
        and (rl.ended_on is null or rl.ended_on >= month_end.day)
),

below(engineer_id) as (
    select unnest($roots::varchar[])
    union
    select lines.engineer_id
    from lines
    join below on lines.manager_id = below.engineer_id
)

select engineer_id from below
