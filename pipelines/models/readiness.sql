-- readiness (before reasons): one row per engineer per judged month with the overall level,
-- the consecutive-month counters and the four flags. pipelines/rules/readiness.py adds the
-- reason sentence from the detail columns and writes the table.
--
-- Runs are counted over judged months only, within one stint at a level (level_stints): a
-- month on leave is not a row, so it neither breaks nor extends a run, and a level change
-- starts a new count. Inputs: category_attainment, assessed_months, level_stints, decisions.

with

assessed as (
    select
        engineer_id,
        month,
        any_value(current_level) as level,
        any_value(current_rank) as current_rank,
        any_value(level_since) as level_since,
        bool_or(team_lead) as team_lead,
        min(demonstrated_rank) as overall_rank,
        count(*) filter (where demonstrated_rank > current_rank) as categories_above,
        string_agg(category, ', ' order by category_rank)
            filter (where demonstrated_rank > current_rank) as above_categories,
        -- The weakest category and why it stopped there. Among equally weak ones prefer a
        -- failing number (then a concern, a small sample, missing examples), then framework
        -- order, so the reason names the most concrete blocker.
        arg_min(
            {'category': category, 'demonstrated_rank': demonstrated_rank,
             'blocked_level': blocked_level, 'kind': blocker_kind, 'metric': blocker_metric,
             'observed': blocker_observed, 'bar': blocker_bar, 'sample': blocker_sample,
             'evidence_id': blocker_evidence_id, 'evidence_level': blocker_evidence_level,
             'evidence_observed_on': blocker_evidence_observed_on,
             'examples': examples_at_blocked_level},
            demonstrated_rank * 10000
                + coalesce(list_position(['bar', 'concern', 'sample', 'example'],
                    blocker_kind), 0) * 1000
                + category_rank
        ) as weakest,
        arg_min(
            {'category': category, 'metric': unjudged_metric, 'sample': unjudged_sample},
            category_rank
        ) filter (where unjudged_metric is not null) as unjudged,
        -- The category whose next-level examples stop covering soonest.
        arg_min(
            {'category': category, 'until': next_level_evidence_until},
            date_diff('day', date '2000-01-01', next_level_evidence_until) * 1000
                + category_rank
        ) filter (where next_level_evidence_until is not null) as expiring
    from category_attainment
    where judged
    group by engineer_id, month
),

raises as (
    -- In-band raises and promotions, from decisions and from the level history.
    select engineer_id, decided_on as raised_on, 'in-band raise' as raise
    from decisions
    where decision = 'in_band_raise'
    union all
    select engineer_id, decided_on, 'promotion'
    from decisions
    where decision = 'promotion'
    union all
    select engineer_id, started_on, 'promotion to ' || level
    from level_stints
    where change = 'promotion'
),

numbered as (
    select
        a.*,
        nxt.level as next_level,
        nxt.rank as next_rank,
        coalesce(shown.level, 'below ' || $first_level) as overall_level,
        am.whole_months_at_level,
        am.judged_months_at_level
    from assessed as a
    join assessed_months as am on am.engineer_id = a.engineer_id and am.month = a.month
    left join framework_levels as nxt on nxt.rank = a.current_rank + 1
    left join framework_levels as shown on shown.rank = a.overall_rank
),

runs as (
    -- Length of the run ending at this month = its position minus the position of the last
    -- month in the stint that broke the condition.
    select
        *,
        judged_months_at_level - coalesce(max(case when overall_rank < current_rank
            then judged_months_at_level end) over so_far, 0) as months_at_level,
        case when next_rank is not null then
            judged_months_at_level - coalesce(max(case when overall_rank < next_rank
                then judged_months_at_level end) over so_far, 0)
        end as months_at_next,
        judged_months_at_level - coalesce(max(case when overall_rank >= current_rank
            then judged_months_at_level end) over so_far, 0) as months_below_level,
        judged_months_at_level - coalesce(max(case
            when categories_above < $in_band_min_categories_above
            then judged_months_at_level end) over so_far, 0) as months_with_categories_above
    from numbered
    window so_far as (
        partition by engineer_id, level_since order by month
        rows between unbounded preceding and current row
    )
),

last_raises as (
    select r.engineer_id, r.month, max(x.raised_on) as last_raise_on,
        arg_max(x.raise, x.raised_on) as last_raise
    from runs as r
    join raises as x
        on x.engineer_id = r.engineer_id and x.raised_on < r.month + interval 1 month
    group by all
),

flagged as (
    select
        r.*,
        lr.last_raise_on,
        lr.last_raise,
        coalesce(
            r.months_at_level >= $promotion_months_at_level
            and r.months_at_next >= $promotion_months_at_next,
            false
        ) as promotion_ready,
        greatest(
            $promotion_months_at_level - r.months_at_level,
            $promotion_months_at_next - r.months_at_next
        ) as months_to_ready,
        -- The cooldown covers this month and the in_band_cooldown_months - 1 before it.
        coalesce(
            lr.last_raise_on >= r.month + interval 1 month - to_months($in_band_cooldown_months),
            false
        ) as in_cooldown
    from runs as r
    left join last_raises as lr on lr.engineer_id = r.engineer_id and lr.month = r.month
),

final as (
    select
        *,
        not promotion_ready and coalesce(months_at_next >= 1, false)
            and months_to_ready <= $near_window_months as near_window,
        not promotion_ready
            and months_at_level >= $in_band_min_months_at_level
            and months_with_categories_above >= $in_band_lookback_months
            and not in_cooldown as in_band_candidate,
        months_below_level >= $at_risk_months as at_risk
    from flagged
)

select
    *,
    case when near_window then (month + to_months(months_to_ready))::date end
        as projected_window_month
from final
order by engineer_id, month
