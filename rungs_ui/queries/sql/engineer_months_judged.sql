-- One engineer's assessed months over the `months` months up to the month, oldest first: the
-- level held, whether the month was judged and why not, the tenure counters and the metric
-- figures the bars were judged on.
-- The team's median is an aggregate over other people: for a viewer who does not see them all it
-- is shown only over at least `min_team_people` of them (0 for a viewer who sees everyone).
-- Hidden with it is whatever gives it back: the volume ratio (own tickets / median) and the
-- median quoted in a reason sentence.

select
    am.* replace (
        case when shown.median_shown then am.team_median_solved end as team_median_solved,
        case when shown.median_shown then am.volume_ratio end as volume_ratio
    )
from assessed_months as am
left join (
    select month, coalesce(team_median_people, 0) >= $min_team_people as median_shown
    from engineer_months
    where engineer_id = $engineer_id
) as shown on shown.month = am.month
where am.engineer_id = $engineer_id
    and am.month > $month::date - to_months($months)
    and am.month <= $month::date
order by am.month
