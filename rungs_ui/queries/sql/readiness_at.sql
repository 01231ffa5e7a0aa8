-- The readiness rows of the people in view at the month, narrowed to one flag: 'any',
-- 'promotion_ready', 'near_window', 'ready_or_near', 'in_band' or 'at_risk' (rungs_ui.queries
-- .Flag). Closest to the next level first. A month that was not judged has no row.

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
        rd.* exclude (engineer_id, month),
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
)

select * exclude (wanted)
from flagged
where wanted
order by months_at_next desc nulls last, months_at_level desc, name, engineer_id
