-- The raise, promotion and deferral decisions recorded about one engineer, newest first.

select decided_on, decision, note
from decisions
where engineer_id = $engineer_id
    -- Nothing after the month viewed (see engineer_stints.sql).
    and decided_on <= last_day($month::date)
order by decided_on desc
