-- roster: who is in view at a month. The people present at the month's end (hired by then and
-- not yet gone), at the level they held on its last day (level_stints) and with the manager
-- they reported to then (reporting_lines), narrowed first by the viewer's scope and then by
-- the sidebar filters on those attributes; an empty filter list filters nothing. Every query
-- that lists people reads this as the CTE `roster`, which the loader puts in front of it.
--
-- Parameters: month (first day of the month), teams, regions, managers (manager ids), levels;
-- and from the viewer's scope (rungs_ui.queries binds them, never a page): scope_all (sees
-- everyone), scope_people (the engineer ids they may see otherwise) and own_managers (whose
-- name they may read as their own manager's, though not their data).

with

month_end as (
    select last_day($month::date) as day
),

in_scope as (
    select
        e.*,
        rl.manager_id as line_manager_id,
        $scope_all
            or list_contains($scope_people::varchar[], rl.manager_id)
            or list_contains($own_managers::varchar[], rl.manager_id) as manager_nameable
    from engineers as e
    cross join month_end
    left join reporting_lines as rl
        on rl.engineer_id = e.engineer_id
        and rl.started_on <= month_end.day
        and (rl.ended_on is null or rl.ended_on >= month_end.day)
    where $scope_all or list_contains($scope_people::varchar[], e.engineer_id)
),

final as (
    select
        e.engineer_id,
        e.name,
        e.email,
        e.team,
        e.region,
        case when e.manager_nameable then e.line_manager_id end as manager_id,
        case when e.manager_nameable then coalesce(m.name, e.line_manager_id) end
            as manager_name,
        coalesce(e.team_lead, false) as team_lead,
        s.level,
        s.level_rank,
        s.started_on as level_since,
        am.whole_months_at_level
    from in_scope as e
    cross join month_end
    join level_stints as s
        on s.engineer_id = e.engineer_id
        and s.started_on <= month_end.day
        and (s.ended_on is null or s.ended_on >= month_end.day)
    left join engineers as m on m.engineer_id = e.line_manager_id
    left join assessed_months as am
        on am.engineer_id = e.engineer_id and am.month = $month::date
    where e.hire_date <= month_end.day
        and (e.left_on is null or e.left_on >= month_end.day)
        and (len($teams) = 0 or list_contains($teams, e.team))
        and (len($regions) = 0 or list_contains($regions, e.region))
        and (len($managers) = 0 or list_contains($managers, e.line_manager_id))
        and (len($levels) = 0 or list_contains($levels, s.level))
)

select * from final
