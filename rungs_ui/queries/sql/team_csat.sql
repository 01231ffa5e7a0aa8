-- Customer satisfaction of the people in view in one month: good ratings over good + bad on
-- the tickets they solved (csat is NULL when nobody was rated), and how many ratings that is.

select
    sum(em.csat_good) / nullif(sum(em.csat_good + em.csat_bad), 0) as csat,
    coalesce(sum(em.csat_good + em.csat_bad), 0) as csat_sample
from roster as r
join engineer_months as em
    on em.engineer_id = r.engineer_id and em.month = $month::date
