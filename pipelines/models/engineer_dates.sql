-- engineer_dates: the dates that frame a person's months, one row per engineer. The end of
-- onboarding is derived here and nowhere else: engineer_months leaves onboarding people out of
-- the team's volume median, and assessed_months does not judge their onboarding months.

with

final as (
    select
        engineer_id,
        hire_date,
        -- An engineer's own onboarded_on wins; otherwise onboarding lasts the framework's
        -- onboarding_months from the hire date.
        coalesce(onboarded_on, (hire_date + to_months($onboarding_months::integer))::date)
            as onboarding_ends_on,
        left_on
    from engineers
)

select * from final order by engineer_id
