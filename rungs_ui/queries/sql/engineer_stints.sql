-- One engineer's level history: each level held (re-recorded levels folded), oldest first.

select *
from level_stints
where engineer_id = $engineer_id
order by started_on
