-- The managers the given people reported to at the end of the month: a person may see their own
-- manager's name on their own page, though not the manager's data.
--
-- Parameters: month (first day of the month), people (engineer ids).

select distinct rl.manager_id
from reporting_lines as rl
where list_contains($people::varchar[], rl.engineer_id)
    and rl.manager_id is not null
    and rl.started_on <= last_day($month::date)
    and (rl.ended_on is null or rl.ended_on >= last_day($month::date))
