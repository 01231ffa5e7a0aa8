-- roster: who is in view at a month. The people present at the month's end (hired by then and
-- not yet gone), at the level they held on its last day (level_stints), narrowed by the
-- sidebar filters on those attributes; an empty filter list filters nothing. Every query that
-- lists people reads this as the CTE `roster`, which the loader puts in front of it.
--
-- Parameters: month (first day of the month), teams, regions, managers (manager ids), levels.

with

month_end as (
    select last_day($month::date) as day
),

final as (
    select
        e.engineer_id,
        e.name,
        e.email,
        e.team,
        e.region,
        e.manager_id,
        coalesce(m.name, e.manager_id) as manager_name,
        coalesce(e.team_lead, false) as team_lead,
        s.level,
        s.level_rank,
        s.started_on as level_since,
        am.whole_months_at_level
    from engineers as e
    cross join month_end
    join level_stints as s
        on s.engineer_id = e.engineer_id
        and s.started_on <= month_end.day
        and (s.ended_on is null or s.ended_on >= month_end.day)
    left join engineers as m on m.engineer_id = e.manager_id
    left join assessed_months as am
        on am.engineer_id = e.engineer_id and am.month = $month::date
    where e.hire_date <= month_end.day
        and (e.left_on is null or e.left_on >= month_end.day)
        and (len($teams) = 0 or list_contains($teams, e.team))
        and (len($regions) = 0 or list_contains($regions, e.region))
        and (len($managers) = 0 or list_contains($managers, e.manager_id))
        and (len($levels) = 0 or list_contains($levels, s.level))
)

select * from final
