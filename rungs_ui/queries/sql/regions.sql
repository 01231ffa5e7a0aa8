-- The regions on the roster file, for the sidebar filter.

select distinct region
from engineers
where region is not null
order by region
