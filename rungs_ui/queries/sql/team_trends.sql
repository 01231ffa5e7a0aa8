-- SLA adherence, median open time and tickets solved per team and month over the `months`
-- months up to the month, for the people in view at the month (followed back in time), and
-- each month's SLA against the team's own bars as team_measures.sql sets it: sla_expected is
-- each person's own SLA bar that month (the strictest bar at or below the level they held,
-- bar_checks.bar_value) weighted by their SLA tickets, sla_gap the pooled SLA minus it.

with

own_sla_bars as (
    select
        bc.engineer_id,
        bc.month,
        case when any_value(bc.op) = '>=' then max(bc.bar_value) else min(bc.bar_value) end
            as own_bar
    from bar_checks as bc
    join assessed_months as am on am.engineer_id = bc.engineer_id and am.month = bc.month
    where bc.month > $month::date - to_months($months)
        and bc.month <= $month::date
        and bc.metric = 'sla_adherence'
        and bc.bar_rank <= am.level_rank
    group by bc.engineer_id, bc.month
),

per_team as (
    select
        em.team,
        em.month,
        sum(em.sla_met) / nullif(sum(em.sla_sample), 0) as sla_adherence,
        sum(em.sla_sample) as sla_sample,
        sum(b.own_bar * em.sla_sample)
        / nullif(sum(em.sla_sample) filter (where b.own_bar is not null), 0) as sla_expected,
        median(em.median_open_hours) as median_open_hours,
        sum(em.tickets_solved) as tickets_solved
    from engineer_months as em
    join roster as r on r.engineer_id = em.engineer_id
    left join own_sla_bars as b on b.engineer_id = em.engineer_id and b.month = em.month
    where em.month > $month::date - to_months($months)
        and em.month <= $month::date
    group by em.team, em.month
)

select
    team,
    month,
    sla_adherence,
    sla_sample,
    sla_expected,
    sla_adherence - sla_expected as sla_gap,
    median_open_hours,
    tickets_solved
from per_team
order by team, month
