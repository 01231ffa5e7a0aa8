-- Every bar of one metric checked for one engineer over the `months` months up to the month:
-- the bar as it applied to them (bar_value, after any adjustment such as team-lead scaling),
-- the figure and sample it was judged on, and the verdict. A month counts as judged for the
-- chart only when the month itself is judged (assessed_months) and the metric's sample is
-- enough (bar_checks); the reason says which failed. The volume bar's sample is the team's
-- median, an aggregate over other people, and the ratio gives it back: both shown only over at
-- least `min_team_people` of them.

select
    bc.month,
    bc.bar_level,
    bc.bar_rank,
    bc.category,
    bc.metric,
    bc.op,
    bc.framework_value,
    bc.bar_value,
    bc.adjustment,
    case when bc.metric <> 'volume_ratio' or coalesce(em.team_median_people, 0) >= $min_team_people
        then bc.observed
    end as observed,
    case when bc.metric <> 'volume_ratio' or coalesce(em.team_median_people, 0) >= $min_team_people
        then bc.sample
    end as sample,
    am.judged and bc.judged as judged,
    coalesce(am.not_judged_because, bc.not_judged_because) as not_judged_because,
    bc.meets
from bar_checks as bc
join assessed_months as am on am.engineer_id = bc.engineer_id and am.month = bc.month
left join engineer_months as em on em.engineer_id = bc.engineer_id and em.month = bc.month
where bc.engineer_id = $engineer_id
    and bc.metric = $metric
    and bc.month > $month::date - to_months($months)
    and bc.month <= $month::date
order by bc.month, bc.bar_rank, bc.bar_order, bc.category
