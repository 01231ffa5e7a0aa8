-- SLA adherence, median open time and tickets solved per team and month over the `months`
-- months up to the month, for the people in view at the month (followed back in time).

select
    em.team,
    em.month,
    sum(em.sla_met) / nullif(sum(em.sla_sample), 0) as sla_adherence,
    sum(em.sla_sample) as sla_sample,
    median(em.median_open_hours) as median_open_hours,
    sum(em.tickets_solved) as tickets_solved
from engineer_months as em
join roster as r on r.engineer_id = em.engineer_id
where em.month > $month::date - to_months($months)
    and em.month <= $month::date
group by em.team, em.month
order by em.team, em.month
