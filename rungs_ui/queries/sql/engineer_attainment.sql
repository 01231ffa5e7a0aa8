-- One engineer's category attainment over the `months` months up to the month (the level
-- shown per category, its status and every input of the check), by month and framework
-- category. The team's median is an aggregate over other people: it is shown only when it is
-- over at least `min_team_people` of them (0 for a viewer who sees everyone), and so is the
-- volume bar's sample, which is that median, and the volume ratio, which gives it back
-- (own tickets / median).

with

checks as (
    select
        ca.*,
        coalesce(em.team_median_people, 0) >= $min_team_people as median_shown
    from category_attainment as ca
    left join engineer_months as em on em.engineer_id = ca.engineer_id and em.month = ca.month
    where ca.engineer_id = $engineer_id
)

select
    ca.* exclude (median_shown) replace (
        case when ca.median_shown then ca.team_median_solved end as team_median_solved,
        case when ca.median_shown then ca.volume_ratio end as volume_ratio,
        case when ca.median_shown or ca.blocker_metric is distinct from 'volume_ratio'
            then ca.blocker_observed
        end as blocker_observed,
        case when ca.median_shown or ca.blocker_metric is distinct from 'volume_ratio'
            then ca.blocker_sample
        end as blocker_sample,
        case when ca.median_shown or ca.unjudged_metric is distinct from 'volume_ratio'
            then ca.unjudged_sample
        end as unjudged_sample
    )
from checks as ca
where ca.month > $month::date - to_months($months)
    and ca.month <= $month::date
order by ca.month, ca.category_rank
