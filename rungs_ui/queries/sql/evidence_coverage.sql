-- How thin the evidence is: for each person in view and framework category, the months from
-- their latest example at or above the level they hold (and at or above the next level) to
-- the month. NULL when there is none. Levels compare by framework_levels.rank. Rows come
-- thinnest person first: the most categories with no example ever at their own level, then
-- the longest gap at their own level, then by name.

with

examples as (
    select ev.engineer_id, ev.category, ev.observed_on, fl.rank as level_rank
    from evidence as ev
    join framework_levels as fl on fl.level = ev.level
    where ev.kind = 'example'
        and ev.observed_on <= last_day($month::date)
),

cells as (
    select
        r.engineer_id,
        r.name,
        r.team,
        r.manager_name,
        r.level,
        c.category,
        c.rank as category_rank,
        date_diff(
            'month', max(x.observed_on) filter (where x.level_rank >= r.level_rank), $month::date
        ) as months_since_current,
        date_diff(
            'month', max(x.observed_on) filter (where x.level_rank >= r.level_rank + 1),
            $month::date
        ) as months_since_next
    from roster as r
    cross join framework_categories as c
    left join examples as x on x.engineer_id = r.engineer_id and x.category = c.category
    group by r.engineer_id, r.name, r.team, r.manager_name, r.level, c.category, c.rank
),

ranked as (
    select
        *,
        count(*) filter (where months_since_current is null)
            over (partition by engineer_id) as categories_never,
        max(months_since_current) over (partition by engineer_id) as longest_gap
    from cells
)

select
    engineer_id,
    name,
    team,
    manager_name,
    level,
    category,
    months_since_current,
    months_since_next,
    categories_never,
    longest_gap,
    dense_rank() over (
        order by categories_never desc, longest_gap desc nulls first, name, engineer_id
    ) as thinnest_order
from ranked
order by thinnest_order, category_rank
