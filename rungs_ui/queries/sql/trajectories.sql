-- Monthly SLA adherence of the given people over the `months` months up to the month, as the
-- rule judged it: the figure and sample from assessed_months, judged only when the month
-- counts and the SLA bars could be judged on that sample, with the reason when not.

with

sla_checks as (
    select
        engineer_id,
        month,
        bool_and(judged) as judged,
        any_value(not_judged_because) as not_judged_because
    from bar_checks
    where metric = 'sla_adherence'
        and list_contains($engineer_ids, engineer_id)
    group by engineer_id, month
)

select
    am.engineer_id,
    am.month,
    am.sla_adherence,
    am.sla_sample,
    am.judged and coalesce(sc.judged, true) as judged,
    coalesce(am.not_judged_because, sc.not_judged_because) as not_judged_because
from assessed_months as am
left join sla_checks as sc on sc.engineer_id = am.engineer_id and sc.month = am.month
where list_contains($engineer_ids, am.engineer_id)
    and am.month > $month::date - to_months($months)
    and am.month <= $month::date
order by am.engineer_id, am.month
