-- The teams of the people in view at the month, for the sidebar filter.

select distinct team
from roster
where team is not null
order by team
