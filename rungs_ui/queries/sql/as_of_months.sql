-- The months a view can be set to, newest first: the months the readiness engine judged.

select distinct month
from readiness
order by month desc
