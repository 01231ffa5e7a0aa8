-- One engineer's assessed months over the `months` months up to the month, oldest first: the
-- level held, whether the month was judged and why not, the tenure counters and the metric
-- figures the bars were judged on.

select *
from assessed_months
where engineer_id = $engineer_id
    and month > $month::date - to_months($months)
    and month <= $month::date
order by month
