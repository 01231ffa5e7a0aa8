-- The readiness rows of the people in view at the month, narrowed to one flag: 'any',
-- 'promotion_ready', 'near_window', 'ready_or_near', 'in_band' or 'at_risk' (rungs_ui.queries
-- .Flag). Closest to the next level first. A month that was not judged has no row.
-- The team's median is an aggregate over other people: for a viewer who does not see them all it
-- is shown only over at least `min_team_people` of them (0 for a viewer who sees everyone).
-- Hidden with it is whatever gives it back: the volume ratio (own tickets / median) and the
-- median quoted in a reason sentence.

with

flagged as (
    select
        r.engineer_id,
        r.name,
        r.team,
        r.region,
        r.manager_id,
        r.manager_name,
        r.team_lead,
        rd.* exclude (engineer_id, month) replace (
            case when coalesce(em.team_median_people, 0) >= $min_team_people then rd.reason
            else regexp_replace(
                regexp_replace(rd.reason, 'team median [0-9]+ tickets', 'team median not shown', 'g'),
                'the team''s median of [0-9]+', 'the team''s median', 'g'
            )
            end as reason
        ),
        case $flag
            when 'any' then true
            when 'promotion_ready' then rd.promotion_ready
            when 'near_window' then rd.near_window
            when 'ready_or_near' then rd.promotion_ready or rd.near_window
            when 'in_band' then rd.in_band_candidate
            when 'at_risk' then rd.at_risk
        end as wanted
    from roster as r
    join readiness as rd on rd.engineer_id = r.engineer_id and rd.month = $month::date
    left join engineer_months as em on em.engineer_id = rd.engineer_id and em.month = rd.month
)

select * exclude (wanted)
from flagged
where wanted
order by months_at_next desc nulls last, months_at_level desc, name, engineer_id
