-- One engineer's category attainment over the `months` months up to the month (the level
-- shown per category, its status and every input of the check), by month and framework
-- category.

select *
from category_attainment
where engineer_id = $engineer_id
    and month > $month::date - to_months($months)
    and month <= $month::date
order by month, category_rank
