-- Every build the warehouse records, newest first.

select *
from builds
order by built_at desc
