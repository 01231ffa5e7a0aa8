-- The teams on the roster file, for the sidebar filter.

select distinct team
from engineers
where team is not null
order by team
