-- One row per team of the people in view at the month: how the team did that month and how
-- many of its people carry each readiness flag. Pooled like team_kpis: SLA adherence is targets
-- met over SLA-bearing tickets, CSAT is good over good + bad ratings (with that sample), the
-- open time is the middle of the engineers' own medians.
--
-- A team's SLA adherence and open time are set against the framework's lowest bar for the
-- metric (the first level that has one): the floor every engineer on the team is held to.
-- sla_meets_bar / open_time_meets_bar are NULL when there is no figure or no such bar.

with

lowest_bars as (
    select metric, op, value::double as value, level
    from framework_bars
    where metric in ('sla_adherence', 'median_open_hours')
    qualify row_number() over (partition by metric order by level_rank, bar_order) = 1
),

per_team as (
    select
        r.team,
        count(*) as headcount,
        sum(em.sla_met) / nullif(sum(em.sla_sample), 0) as sla_adherence,
        coalesce(sum(em.sla_sample), 0) as sla_sample,
        median(em.median_open_hours) as median_open_hours,
        sum(em.csat_good) / nullif(sum(em.csat_good + em.csat_bad), 0) as csat,
        coalesce(sum(em.csat_good + em.csat_bad), 0) as csat_sample,
        coalesce(sum(em.tickets_solved), 0) as tickets_solved,
        count(*) filter (where rd.promotion_ready) as ready,
        count(*) filter (where rd.near_window) as near,
        count(*) filter (where rd.in_band_candidate) as in_band,
        count(*) filter (where rd.at_risk) as at_risk
    from roster as r
    left join engineer_months as em
        on em.engineer_id = r.engineer_id and em.month = $month::date
    left join readiness as rd
        on rd.engineer_id = r.engineer_id and rd.month = $month::date
    where r.team is not null
    group by r.team
)

select
    t.*,
    sb.level as sla_bar_level,
    sb.value as sla_bar,
    case
        when t.sla_adherence is null or sb.value is null then null
        when sb.op = '>=' then t.sla_adherence >= sb.value
        else t.sla_adherence <= sb.value
    end as sla_meets_bar,
    ob.level as open_time_bar_level,
    ob.value as open_time_bar,
    case
        when t.median_open_hours is null or ob.value is null then null
        when ob.op = '>=' then t.median_open_hours >= ob.value
        else t.median_open_hours <= ob.value
    end as open_time_meets_bar
from per_team as t
left join lowest_bars as sb on sb.metric = 'sla_adherence'
left join lowest_bars as ob on ob.metric = 'median_open_hours'
order by t.team
