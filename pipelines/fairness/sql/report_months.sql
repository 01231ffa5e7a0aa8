-- report_months: one row per person per judged month of the period, with the manager they
-- reported to that month (on its last day, or the day they left) and the examples of work
-- observed in it: what documentation_skew adds up per manager. Concerns are not counted,
-- as in the fairness table.
--
-- Parameters: start, end (first days of months, inclusive), everyone, people.

with

items as (
    select pm.engineer_id, pm.month, count(*) as items
    from person_months as pm
    join evidence as ev
        on ev.engineer_id = pm.engineer_id
        and date_trunc('month', ev.observed_on) = pm.month
    where ev.kind = 'example'
    group by pm.engineer_id, pm.month
)

select
    pm.engineer_id,
    pm.month,
    rl.manager_id,
    coalesce(m.name, rl.manager_id) as manager_name,
    coalesce(i.items, 0) as items
from person_months as pm
left join reporting_lines as rl
    on rl.engineer_id = pm.engineer_id
    and rl.started_on <= pm.line_day
    and (rl.ended_on is null or rl.ended_on >= pm.line_day)
left join engineers as m on m.engineer_id = rl.manager_id
left join items as i on i.engineer_id = pm.engineer_id and i.month = pm.month
order by pm.engineer_id, pm.month
