-- The people in view at the month (narrow the filters to one team for a team's people), each
-- with the SLA adherence and median open time the rule judged them on that month (bar_checks
-- .observed and .sample; the month's own figure when their level carries no bar on it) against
-- their own bar on each: the bar the rule judged them against at the level they held, the
-- strictest of the bars at or below it (bar_checks.bar_value, adjustments included), as
-- own_bars.sql defines it for both. below_sla_bar / below_open_time_bar: a judged
-- month that missed that bar. People below an own bar first, then by level (highest first)
-- and name.

with

final as (
    select
        r.engineer_id,
        r.name,
        r.team,
        r.level,
        r.level_rank,
        r.team_lead,
        am.judged,
        am.not_judged_because,
        coalesce(sb.observed, em.sla_adherence) as sla_adherence,
        coalesce(sb.sample, em.sla_sample, 0) as sla_sample,
        sb.own_bar as sla_bar,
        coalesce(sb.below_own_bar, false) as below_sla_bar,
        coalesce(ob.observed, em.median_open_hours) as median_open_hours,
        coalesce(ob.sample, em.tickets_solved, 0) as tickets_solved,
        ob.own_bar as open_time_bar,
        coalesce(ob.below_own_bar, false) as below_open_time_bar
    from roster as r
    left join assessed_months as am
        on am.engineer_id = r.engineer_id and am.month = $month::date
    left join engineer_months as em
        on em.engineer_id = r.engineer_id and em.month = $month::date
    left join own_bars as sb on sb.engineer_id = r.engineer_id and sb.metric = 'sla_adherence'
    left join own_bars as ob
        on ob.engineer_id = r.engineer_id and ob.metric = 'median_open_hours'
)

select * from final
order by (below_sla_bar or below_open_time_bar) desc, level_rank desc, name, engineer_id
