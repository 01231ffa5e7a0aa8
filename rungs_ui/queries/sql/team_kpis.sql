-- The headline numbers of one month over the people in view then: headcount, the team's SLA
-- adherence (targets met over SLA-bearing tickets, pooled), the middle of the engineers' own
-- median open times, customer satisfaction (good over good + bad ratings, NULL when nobody
-- was rated, with how many ratings that is), and how many carry each readiness flag that month.

select
    count(*) as headcount,
    sum(em.sla_met) / nullif(sum(em.sla_sample), 0) as sla_adherence,
    median(em.median_open_hours) as median_open_hours,
    sum(em.csat_good) / nullif(sum(em.csat_good + em.csat_bad), 0) as csat,
    coalesce(sum(em.csat_good + em.csat_bad), 0) as csat_sample,
    count(*) filter (where rd.promotion_ready) as ready,
    count(*) filter (where rd.near_window) as near,
    count(*) filter (where rd.in_band_candidate) as in_band,
    count(*) filter (where rd.at_risk) as at_risk
from roster as r
left join engineer_months as em
    on em.engineer_id = r.engineer_id and em.month = $month::date
left join readiness as rd
    on rd.engineer_id = r.engineer_id and rd.month = $month::date
