-- For each person in view with a next level, the categories where the level they demonstrated
-- at the month is still below it, in framework order (NULL when none is short). A month that
-- was not judged shows no level, so it names no category.

with

next_levels as (
    select r.engineer_id, r.name, nxt.level as next_level, nxt.rank as next_rank
    from roster as r
    join framework_levels as nxt on nxt.rank = r.level_rank + 1
)

select
    n.engineer_id,
    n.next_level,
    string_agg(ca.category, ', ' order by ca.category_rank)
        filter (where ca.demonstrated_rank < n.next_rank) as still_short_in
from next_levels as n
left join category_attainment as ca
    on ca.engineer_id = n.engineer_id and ca.month = $month::date
group by n.engineer_id, n.name, n.next_level
order by n.name, n.engineer_id
