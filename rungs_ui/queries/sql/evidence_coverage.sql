-- How thin the evidence is: for each person in view and framework category, the months from
-- their latest example at or above the level they hold (and at or above the next level) to
-- the month. NULL when there is none. Levels compare by framework_levels.rank.

with

examples as (
    select ev.engineer_id, ev.category, ev.observed_on, fl.rank as level_rank
    from evidence as ev
    join framework_levels as fl on fl.level = ev.level
    where ev.kind = 'example'
        and ev.observed_on <= last_day($month::date)
)

select
    r.engineer_id,
    r.name,
    r.team,
    r.manager_name,
    r.level,
    c.category,
    date_diff(
        'month', max(x.observed_on) filter (where x.level_rank >= r.level_rank), $month::date
    ) as months_since_current,
    date_diff(
        'month', max(x.observed_on) filter (where x.level_rank >= r.level_rank + 1), $month::date
    ) as months_since_next
from roster as r
cross join framework_categories as c
left join examples as x on x.engineer_id = r.engineer_id and x.category = c.category
group by r.engineer_id, r.name, r.team, r.manager_name, r.level, c.category, c.rank
order by r.name, r.engineer_id, c.rank
