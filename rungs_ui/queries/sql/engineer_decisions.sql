-- The raise, promotion and deferral decisions recorded about one engineer, newest first.

-- origin: the file the row came from, or 'app' for an outcome calibrated in the app (then
-- recorded_by says who saved it).

select decided_on, decision, note, origin, recorded_by
from decisions
where engineer_id = $engineer_id
    -- Nothing after the month viewed (see engineer_stints.sql).
    and decided_on <= last_day($month::date)
order by decided_on desc
