-- The level each person in view demonstrated per category at the month, with its status
-- against the level held ('above', 'at', 'below', 'not judged'), in framework order.

select
    r.engineer_id,
    r.name,
    ca.category,
    ca.current_level,
    ca.demonstrated_level,
    ca.status
from roster as r
join category_attainment as ca on ca.engineer_id = r.engineer_id and ca.month = $month::date
order by r.name, r.engineer_id, ca.category_rank
