-- How many of the people in view hold each level at the month, in framework order (levels
-- nobody holds are left out).

select level, count(*) as engineers
from roster
group by level, level_rank
order by level_rank
