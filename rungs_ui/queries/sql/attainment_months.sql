-- The level each person in view demonstrated per category over the `months` months up to the
-- month, with its status against the level held that month ('above', 'at', 'below', 'not
-- judged') and why a month was not judged: the Calibration page's grid of people by category
-- and month. A month before a person joined has no row.

with

cells as (
    select
        r.engineer_id,
        r.name,
        ca.month,
        ca.category,
        ca.category_rank,
        ca.current_level,
        ca.demonstrated_level,
        ca.status,
        ca.not_judged_because
    from roster as r
    join category_attainment as ca
        on ca.engineer_id = r.engineer_id
        and ca.month > $month::date - to_months($months)
        and ca.month <= $month::date
),

final as (
    select * exclude (name, category_rank)
    from cells
    order by name, engineer_id, month, category_rank
)

select * from final
