-- The regions of the people in view at the month, for the sidebar filter.

select distinct region
from roster
where region is not null
order by region
