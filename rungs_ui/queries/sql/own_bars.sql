-- Each person's own bar on SLA adherence and median open time at $month, put in front of the
-- queries that read it (FRAGMENTS in rungs_ui/queries): the bar the rule judged them against at
-- the level they held, the strictest of the bars at or below it (bar_checks.bar_value,
-- adjustments included; nothing is recomputed), whether a judged month missed it, and the figure
-- and sample it was judged on. No row for a metric their level carries no bar on.
select
    bc.engineer_id,
    bc.metric,
    case when any_value(bc.op) = '>=' then max(bc.bar_value) else min(bc.bar_value) end
        as own_bar,
    coalesce(bool_or(am.judged and bc.judged and not bc.meets), false) as below_own_bar,
    any_value(bc.observed) as observed,
    any_value(bc.sample) as sample
from bar_checks as bc
join assessed_months as am on am.engineer_id = bc.engineer_id and am.month = bc.month
where bc.month = $month::date
    and bc.metric in ('sla_adherence', 'median_open_hours')
    and bc.bar_rank <= am.level_rank
group by bc.engineer_id, bc.metric
