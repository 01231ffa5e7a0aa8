-- How much evidence each manager records: items per engineer in view over the `months` months
-- up to the month, per manager, next to the rate of the manager's team.

with

items as (
    select engineer_id, count(*) as items
    from evidence
    where observed_on > last_day($month::date) - to_months($months)
        and observed_on <= last_day($month::date)
    group by engineer_id
),

per_person as (
    select r.team, r.manager_id, r.manager_name, coalesce(i.items, 0) as n
    from roster as r
    left join items as i on i.engineer_id = r.engineer_id
)

select
    team,
    manager_id,
    coalesce(manager_name, 'no manager') as manager_name,
    count(*) as engineers,
    sum(n) as items,
    avg(n) as items_per_engineer,
    sum(sum(n)) over (partition by team) / sum(count(*)) over (partition by team)
        as team_items_per_engineer
from per_person
group by team, manager_id, manager_name
order by team, manager_name
