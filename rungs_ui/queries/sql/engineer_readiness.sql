-- One engineer's readiness rows (flags, counters, reason) up to the month, oldest first.

select *
from readiness
where engineer_id = $engineer_id
    and month <= $month::date
order by month
