-- One engineer's customer satisfaction over the `months` months up to the month: good ratings
-- over good + bad, and how many ratings that is over (csat is NULL when there are none).

select
    coalesce(sum(em.csat_good), 0) as csat_good,
    coalesce(sum(em.csat_bad), 0) as csat_bad,
    coalesce(sum(em.csat_good + em.csat_bad), 0) as csat_sample,
    sum(em.csat_good) / nullif(sum(em.csat_good + em.csat_bad), 0) as csat
from engineer_months as em
where em.engineer_id = $engineer_id
    and em.month > $month::date - to_months($months)
    and em.month <= $month::date
