-- Every evidence item about the people in view, up to the month, newest first, whose summary,
-- person, category or source contains the text (any case; empty text matches all), at most
-- `max_rows` rows.

with

search as (
    select lower(trim($text)) as needle
)

select
    ev.observed_on,
    r.name,
    r.team,
    ev.category,
    ev.level,
    ev.kind,
    ev.summary,
    ev.link,
    ev.source,
    ev.recorded_by
from evidence as ev
join roster as r on r.engineer_id = ev.engineer_id
cross join search as s
where ev.observed_on <= last_day($month::date)
    and (
        s.needle = ''
        or contains(lower(ev.summary), s.needle)
        or contains(lower(r.name), s.needle)
        or contains(lower(ev.category), s.needle)
        or contains(lower(coalesce(ev.source, '')), s.needle)
    )
order by ev.observed_on desc, ev.evidence_id
limit $max_rows
