-- One engineer's level history: each level held (re-recorded levels folded), oldest first.

select * replace (
    case when ended_on <= last_day($month::date) then ended_on end as ended_on
)
from level_stints
where engineer_id = $engineer_id
    -- A view as of a month shows nothing after it: a former manager looking back at the months
    -- someone reported to them must not learn what happened since.
    and started_on <= last_day($month::date)
order by started_on
