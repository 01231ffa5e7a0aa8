-- The managers of the people in view at the month, by name (their id when they are not on the
-- roster file), for the sidebar filter. A manager outside the viewer's scope (their own
-- manager) is not a filter they can use: the roster leaves its id empty.

select distinct
    manager_id,
    manager_name
from roster
where manager_id is not null
    and ($scope_all or list_contains($scope_people::varchar[], manager_id))
order by manager_name, manager_id
