-- Every bar of one metric checked for one engineer over the `months` months up to the month:
-- the bar as it applied to them (bar_value, after any adjustment such as team-lead scaling),
-- the figure and sample it was judged on, and the verdict.

select
    month,
    bar_level,
    bar_rank,
    category,
    metric,
    op,
    framework_value,
    bar_value,
    adjustment,
    observed,
    sample,
    judged,
    not_judged_because,
    meets
from bar_checks
where engineer_id = $engineer_id
    and metric = $metric
    and month > $month::date - to_months($months)
    and month <= $month::date
order by month, bar_rank, bar_order, category
