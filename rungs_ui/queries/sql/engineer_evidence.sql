-- The evidence recorded about one engineer up to the end of the month, newest first.

select
    ev.evidence_id,
    ev.observed_on,
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
    ev.origin
from evidence as ev
left join engineers as recorder on recorder.engineer_id = ev.recorded_by
where ev.engineer_id = $engineer_id
    and ev.observed_on <= last_day($month::date)
order by ev.observed_on desc, ev.evidence_id
