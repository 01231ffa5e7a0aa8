-- One engineer's readiness rows (flags, counters, reason) up to the month, oldest first.
-- The team's median is an aggregate over other people: for a viewer who does not see them all it
-- is shown only over at least `min_team_people` of them (0 for a viewer who sees everyone).
-- Hidden with it is whatever gives it back: the volume ratio (own tickets / median) and the
-- median quoted in a reason sentence.

select
    rd.* replace (
        case when coalesce(em.team_median_people, 0) >= $min_team_people then rd.reason
        else regexp_replace(
            regexp_replace(rd.reason, 'team median [0-9]+ tickets', 'team median not shown', 'g'),
            'the team''s median of [0-9]+', 'the team''s median', 'g'
        )
        end as reason
    )
from readiness as rd
left join engineer_months as em on em.engineer_id = rd.engineer_id and em.month = rd.month
where rd.engineer_id = $engineer_id
    and rd.month <= $month::date
order by rd.month
