-- Every evidence item about the people in view, up to the month, newest first, whose summary,
-- person, category or source contains the text (any case; empty text matches all), at most
-- `max_rows` rows.

with

search as (
    select lower(trim($text)) as needle
)

select
    ev.observed_on,
    r.engineer_id,
    r.name,
    r.team,
    ev.category,
    ev.level,
    ev.kind,
    ev.summary,
    coalesce(ev.link, '') as link,  -- blank, not a missing value a table writes as "None"
    ev.source,
    -- the recorder's name when they are on the roster, not their id (rungs_ui.queries blanks
    -- it when the viewer may not see them, as it does every name in free text)
    coalesce(recorder.name, ev.recorded_by) as recorded_by,
    -- the file the item came from, or 'app' when it was recorded in the app
    ev.origin,
    -- so an item corrected in the app since the build replaces its row rather than doubling it
    ev.evidence_id
from evidence as ev
left join engineers as recorder on recorder.engineer_id = ev.recorded_by
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
