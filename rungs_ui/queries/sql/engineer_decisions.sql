-- The raise, promotion and deferral decisions recorded about one engineer, newest first.

select decided_on, decision, note
from decisions
where engineer_id = $engineer_id
order by decided_on desc
