-- The evidence recorded about one engineer up to the end of the month, newest first.

select
    evidence_id,
    observed_on,
    category,
    level,
    kind,
    summary,
    link,
    source,
    recorded_by
from evidence
where engineer_id = $engineer_id
    and observed_on <= last_day($month::date)
order by observed_on desc, evidence_id
