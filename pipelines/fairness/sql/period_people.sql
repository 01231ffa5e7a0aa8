-- period_people: one row per person judged in at least one month of the period, with what the
-- fairness lens counts about them and the groups they fall in.
--
-- A person-month is a readiness row (a judged month) from $start to $end (first days of
-- months, inclusive) in which the person was on the roster (hired by the month's end, not
-- left before it began). Group membership is taken at the person's last such month: the
-- level they held then and the manager they reported to on its last day (or the day they
-- left); team and region are the roster's, which holds one value per person.
--
-- Parameters: start, end (dates), everyone (boolean) and people (engineer ids, when not
-- everyone: the viewer's scope).

with

last_month as (
    select engineer_id, month, level, line_day
    from person_months
    qualify row_number() over (partition by engineer_id order by month desc) = 1
),

flagged as (
    select
        engineer_id,
        count(*) as person_months,
        bool_or(coalesce(promotion_ready, false)) as promotion_ready,
        bool_or(coalesce(near_window, false)) as near_window,
        bool_or(coalesce(in_band_candidate, false)) as in_band_candidate,
        bool_or(coalesce(at_risk, false)) as at_risk
    from person_months
    group by engineer_id
),

-- Examples of work observed in the months the person counts for; concerns are left out, so a
-- group that draws many concerns does not look well documented.
items as (
    select pm.engineer_id, count(*) as items
    from person_months as pm
    join evidence as ev
        on ev.engineer_id = pm.engineer_id
        and date_trunc('month', ev.observed_on) = pm.month
    where ev.kind = 'example'
    group by pm.engineer_id
),

decided as (
    select
        engineer_id,
        bool_or(decision = 'promotion') as promotion_decided,
        bool_or(decision = 'in_band_raise') as raise_decided
    from decisions
    where decided_on between $start::date and last_day($end::date)
    group by engineer_id
),

final as (
    select
        f.engineer_id,
        lm.month as last_month,
        e.team,
        e.region,
        lm.level,
        fl.rank as level_rank,
        rl.manager_id,
        coalesce(m.name, rl.manager_id) as manager_name,
        f.person_months,
        f.promotion_ready,
        f.near_window,
        f.in_band_candidate,
        f.at_risk,
        coalesce(d.promotion_decided, false) as promotion_decided,
        coalesce(d.raise_decided, false) as raise_decided,
        coalesce(i.items, 0) as items
    from flagged as f
    join last_month as lm using (engineer_id)
    join engineers as e using (engineer_id)
    left join framework_levels as fl on fl.level = lm.level
    left join reporting_lines as rl
        on rl.engineer_id = f.engineer_id
        and rl.started_on <= lm.line_day
        and (rl.ended_on is null or rl.ended_on >= lm.line_day)
    left join engineers as m on m.engineer_id = rl.manager_id
    left join items as i on i.engineer_id = f.engineer_id
    left join decided as d on d.engineer_id = f.engineer_id
)

select * from final order by engineer_id
