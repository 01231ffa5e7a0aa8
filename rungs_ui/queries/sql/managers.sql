-- Everyone who manages someone, by name (their id when they are not on the roster file), for
-- the sidebar filter.

select distinct
    e.manager_id,
    coalesce(m.name, e.manager_id) as manager_name
from engineers as e
left join engineers as m on m.engineer_id = e.manager_id
where e.manager_id is not null
order by manager_name, e.manager_id
