-- category_attainment: for every assessed engineer, month and framework category, the level the
-- data demonstrates and every input of the checks behind it, so a reader can see why.
--
-- Inputs: assessed_months (level held, judged or not, metric figures), bar_checks (every bar's
-- verdict), evidence, framework_levels and framework_categories. Ranks start at 0; -1 is
-- "below the first level". Every rule setting arrives as a bound, named parameter.
--
-- The checks collapse into a closed form instead of testing each level one by one: the check
-- at level L fails as soon as L reaches the lowest level of a failing bar, of a covering
-- concern or, above the current level, of an unproven bar or of too few examples. So the
-- demonstrated level is one below the first level where any of those kicks in.

with

bar_summary as (
    select
        engineer_id,
        month,
        category,
        min(bar_rank) filter (where judged and not meets) as first_failing_rank,
        -- Above the current level a bar must be met on a sufficient sample: anything else
        -- (failing or unjudged) leaves that level unproven.
        min(bar_rank) filter (where not (judged and meets)) as first_unproven_rank,
        arg_min(
            {'metric': metric, 'observed': observed, 'bar': bar_value, 'op': op,
             'sample': sample},
            bar_rank * 1000 + bar_order
        ) filter (where judged and not meets) as failing_bar,
        arg_min(
            {'metric': metric, 'rank': bar_rank, 'sample': sample},
            bar_rank * 1000 + bar_order
        ) filter (where not judged) as unjudged_bar,
        string_agg(
            format('{} {} {} {}: {}', bar_level, metric, op, round(bar_value, 4),
                case
                    when not judged then not_judged_because
                    when meets then format('met ({})', round(observed, 4))
                    else format('missed ({})', round(observed, 4))
                end),
            '; ' order by bar_rank, bar_order
        ) as bars_checked
    from bar_checks
    group by all
),

evidence_cover as (
    -- An item covers the month it was observed in and evidence_coverage_months after it.
    select
        ev.engineer_id,
        ev.evidence_id,
        ev.category,
        ev.kind,
        ev.level as evidence_level,
        fl.rank as evidence_rank,
        ev.observed_on,
        (date_trunc('month', ev.observed_on) + to_months(k.n))::date as month,
        (date_trunc('month', ev.observed_on) + to_months($evidence_coverage_months))::date
            as covers_until
    from evidence as ev
    join framework_levels as fl on fl.level = ev.level
    cross join range(0, $evidence_coverage_months + 1) as k(n)
),

evidence_summary as (
    select
        ec.engineer_id,
        ec.month,
        ec.category,
        min(ec.evidence_rank) filter (where ec.kind = 'concern') as first_concern_rank,
        arg_min(
            {'evidence_id': ec.evidence_id, 'level': ec.evidence_level,
             'observed_on': ec.observed_on},
            ec.evidence_rank
        ) filter (where ec.kind = 'concern') as lowest_concern,
        -- The min_examples_above-th highest example level: every level up to it has enough.
        (list(ec.evidence_rank order by ec.evidence_rank desc)
            filter (where ec.kind = 'example'))[$min_examples_above] as examples_reach_rank,
        list(ec.evidence_rank) filter (where ec.kind = 'example') as example_ranks,
        -- The month until which enough examples at the next level keep covering.
        (list(ec.covers_until order by ec.covers_until desc)
            filter (where ec.kind = 'example' and ec.evidence_rank > m.level_rank)
        )[$min_examples_above] as next_level_evidence_until,
        list(ec.evidence_id order by ec.observed_on, ec.evidence_id)
            filter (where ec.kind = 'example') as example_ids,
        list(ec.evidence_id order by ec.observed_on, ec.evidence_id)
            filter (where ec.kind = 'concern') as concern_ids
    from evidence_cover as ec
    join assessed_months as m on m.engineer_id = ec.engineer_id and m.month = ec.month
    group by all
),

checks as (
    select
        m.engineer_id,
        m.month,
        c.category,
        c.rank as category_rank,
        m.level as current_level,
        m.level_rank as current_rank,
        m.level_since,
        m.judged,
        m.not_judged_because,
        m.team_lead,
        m.sla_adherence,
        m.sla_sample,
        m.median_open_hours,
        m.tickets_solved,
        m.volume_ratio,
        m.team_median_solved,
        bs.bars_checked,
        bs.first_failing_rank,
        bs.first_unproven_rank,
        bs.failing_bar,
        bs.unjudged_bar,
        es.first_concern_rank,
        es.lowest_concern,
        es.examples_reach_rank,
        es.example_ranks,
        es.next_level_evidence_until,
        coalesce(es.example_ids, []) as example_ids,
        coalesce(es.concern_ids, []) as concern_ids,
        least(bs.first_failing_rank, es.first_concern_rank) as first_rank_failed
    from assessed_months as m
    cross join framework_categories as c
    left join bar_summary as bs
        on bs.engineer_id = m.engineer_id and bs.month = m.month and bs.category = c.category
    left join evidence_summary as es
        on es.engineer_id = m.engineer_id and es.month = m.month and es.category = c.category
),

demonstrated as (
    select
        *,
        case
            -- At or below the current level the level is presumed: only a failing bar or a
            -- concern takes it away.
            when first_rank_failed <= current_rank then first_rank_failed - 1
            -- Above it, every level must be shown by bars, examples and no concern.
            else greatest(current_rank, least(
                $top_rank,
                coalesce(examples_reach_rank, -1),
                coalesce(first_unproven_rank, $top_rank + 1) - 1,
                coalesce(first_concern_rank, $top_rank + 1) - 1
            ))
        end as demonstrated_rank
    from checks
),

blockers as (
    -- Why the level just above the demonstrated one was not reached.
    select
        *,
        case
            when demonstrated_rank >= $top_rank then null
            when first_failing_rank <= demonstrated_rank + 1 then 'bar'
            when first_concern_rank <= demonstrated_rank + 1 then 'concern'
            when first_unproven_rank <= demonstrated_rank + 1 then 'sample'
            else 'example'
        end as blocker_kind
    from demonstrated
),

final as (
    select
        b.engineer_id,
        b.month,
        b.category,
        b.category_rank,
        b.current_level,
        b.current_rank,
        b.level_since,
        -- A month that is not judged shows no level: its checks are kept for the tooltip.
        case when b.judged then coalesce(shown.level, 'below ' || $first_level) end
            as demonstrated_level,
        case when b.judged then b.demonstrated_rank end as demonstrated_rank,
        case
            when not b.judged then 'not judged'
            when b.demonstrated_rank > b.current_rank then 'above'
            when b.demonstrated_rank = b.current_rank then 'at'
            else 'below'
        end as status,
        b.judged,
        b.not_judged_because,
        b.team_lead,
        b.sla_adherence,
        b.sla_sample,
        b.median_open_hours,
        b.tickets_solved,
        b.volume_ratio,
        b.team_median_solved,
        b.bars_checked,
        b.example_ids,
        b.concern_ids,
        blocked.level as blocked_level,
        b.blocker_kind,
        case b.blocker_kind
            when 'bar' then b.failing_bar.metric
            when 'sample' then b.unjudged_bar.metric
        end as blocker_metric,
        case when b.blocker_kind = 'bar' then b.failing_bar.observed end as blocker_observed,
        case when b.blocker_kind = 'bar' then b.failing_bar.bar end as blocker_bar,
        case
            when b.blocker_kind = 'bar' then b.failing_bar.sample
            when b.blocker_kind = 'sample' then b.unjudged_bar.sample
        end as blocker_sample,
        case when b.blocker_kind = 'concern' then b.lowest_concern.evidence_id end
            as blocker_evidence_id,
        case when b.blocker_kind = 'concern' then b.lowest_concern.level end
            as blocker_evidence_level,
        case when b.blocker_kind = 'concern' then b.lowest_concern.observed_on end
            as blocker_evidence_observed_on,
        case when b.blocker_kind = 'example' then
            len(list_filter(coalesce(b.example_ranks, []),
                lambda r: r >= b.demonstrated_rank + 1))
        end as examples_at_blocked_level,
        -- A bar at or below the current level that could not be judged: the level stands by
        -- presumption, which the reason says out loud.
        case when b.unjudged_bar.rank <= b.current_rank then b.unjudged_bar.metric end
            as unjudged_metric,
        case when b.unjudged_bar.rank <= b.current_rank then b.unjudged_bar.sample end
            as unjudged_sample,
        b.next_level_evidence_until
    from blockers as b
    left join framework_levels as shown on shown.rank = b.demonstrated_rank
    left join framework_levels as blocked on blocked.rank = b.demonstrated_rank + 1
)

select * from final
order by engineer_id, month, category_rank
