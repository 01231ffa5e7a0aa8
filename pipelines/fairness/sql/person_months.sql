-- person_months: the months the fairness lens counts, one row per person per judged month of
-- the period, shared by every lens query (lens.py puts it in front of them as a CTE of the same
-- name). A person-month is a readiness row from $start to $end (first days of months,
-- inclusive) in which the person was on the roster: hired by the month's end, not left before
-- it began, and in the viewer's people ($everyone, $people).
select
    r.engineer_id,
    r.month,
    r.level,
    r.promotion_ready,
    r.near_window,
    r.in_band_candidate,
    r.at_risk,
    -- The day whose reporting line counts: the month's last, or the day they left.
    least(last_day(r.month), coalesce(e.left_on, last_day(r.month))) as line_day
from readiness as r
join engineers as e using (engineer_id)
where r.month between $start::date and $end::date
    and e.hire_date <= last_day(r.month)
    and (e.left_on is null or e.left_on >= r.month)
    and ($everyone or list_contains($people::varchar[], r.engineer_id))
