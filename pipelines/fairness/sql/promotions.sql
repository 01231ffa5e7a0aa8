-- promotions: one row per promotion that took effect from $start to the end of $end's month,
-- with the whole calendar months the person spent at the old level before it (from
-- level_stints: the first whole month of the old stint up to the month the new level began).
-- The lens keeps the rows of the people it counts.

select
    s.engineer_id,
    s.started_on as promoted_on,
    s.from_level,
    s.level,
    greatest(
        0,
        datediff(
            'month',
            case when day(prev.started_on) = 1 then prev.started_on
                else date_trunc('month', prev.started_on) + interval 1 month end,
            date_trunc('month', s.started_on)
        )
    ) as months_at_level
from level_stints as s
join level_stints as prev
    on prev.engineer_id = s.engineer_id
    and prev.level = s.from_level
    and prev.ended_on = (s.started_on - 1)::date
where s.change = 'promotion'
    and s.started_on between $start::date and last_day($end::date)
order by s.engineer_id, s.started_on
