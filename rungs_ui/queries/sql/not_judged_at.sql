-- The people in view at the month who have no readiness row for it, with why the month was not
-- judged (assessed_months.not_judged_because: onboarding, mostly on leave, no data for the
-- month, joined, left or changed level during the month). They hold their level but carry no
-- flag, so a page that counts readiness rows names them instead of leaving them out silently.

with

unjudged as (
    select
        r.engineer_id,
        r.name,
        r.team,
        r.manager_id,
        r.manager_name,
        r.level,
        am.not_judged_because,
        am.onboarding_ends_on
    from roster as r
    left join assessed_months as am
        on am.engineer_id = r.engineer_id and am.month = $month::date
    where not exists (
        select 1
        from readiness as rd
        where rd.engineer_id = r.engineer_id and rd.month = $month::date
    )
)

select * from unjudged
order by not_judged_because nulls last, name, engineer_id
