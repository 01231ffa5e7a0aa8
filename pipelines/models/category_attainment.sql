-- category_attainment: for every assessed engineer, month and framework category, the level the
-- data demonstrates and every input of the checks behind it, so a reader can see why.
--
-- Inputs: engineers, levels, engineer_months, evidence, leave (staging/derived tables) and the
-- framework as registered by pipelines/readiness.py: rd_levels (rank, level), rd_categories
-- (rank, category), rd_bars (level, level_rank, bar_order, category, metric, op, value, label).
-- Every rule setting arrives as a bound, named parameter.
--
-- The checks collapse into a closed form instead of testing each level one by one: the check
-- at level L fails as soon as L reaches the lowest level of a failing bar, of a covering
-- concern or, above the current level, of an unproven bar or of too few examples. So the
-- demonstrated level is one below the first level where any of those kicks in.

with

level_changes as (
    -- A row that repeats the level already held (HR re-recording a pay change, say) is not a
    -- change: it must neither restart the count nor make its month ineligible.
    select l.engineer_id, l.level, fl.rank as level_rank, l.effective_on
    from levels as l
    join rd_levels as fl on fl.level = l.level
    qualify l.level is distinct from lag(l.level) over (
        partition by l.engineer_id order by l.effective_on, fl.rank
    )
),

stints as (
    -- One row per level held; it lasts until the next level change takes effect.
    select
        engineer_id,
        level,
        level_rank,
        effective_on,
        lead(effective_on) over (
            partition by engineer_id order by effective_on, level_rank
        ) as next_effective_on
    from level_changes
),

people as (
    -- Only people with a level are assessed: managers have none.
    select
        e.engineer_id,
        coalesce(e.team_lead, false) as team_lead,
        e.left_on,
        e.onboarding_ends_on,
        min(s.effective_on) as first_effective_on
    from engineers as e
    join stints as s on s.engineer_id = e.engineer_id
    group by all
),

calendar as (
    select
        engineer_id,
        team_lead,
        left_on,
        onboarding_ends_on,
        unnest(generate_series(
            date_trunc('month', first_effective_on), $as_of::timestamp, interval 1 month
        ))::date as month
    from people
),

leave_days as (
    -- Count each day once even where leave periods overlap.
    select engineer_id, date_trunc('month', leave_day)::date as month,
        count(distinct leave_day) as days_on_leave
    from (
        select engineer_id,
            unnest(generate_series(
                starts_on::timestamp, ends_on::timestamp, interval 1 day
            ))::date as leave_day
        from leave
        where ends_on >= starts_on
    )
    group by all
),

months as (
    -- The level of a month is the one in effect on its last day; the month counts toward that
    -- level only if it was held the whole month.
    select
        c.engineer_id,
        c.month,
        c.team_lead,
        s.level as current_level,
        s.level_rank as current_rank,
        s.effective_on as level_since,
        case
            when s.effective_on > c.month then 'level changed during the month'
            when c.month < c.onboarding_ends_on then 'onboarding'
            when c.month + interval 1 month > c.left_on then 'left during the month'
            when coalesce(ld.days_on_leave, 0) * 2 > day(last_day(c.month)) then 'mostly on leave'
        end as not_eligible_because
    from calendar as c
    join stints as s
        on s.engineer_id = c.engineer_id
        and s.effective_on < c.month + interval 1 month
        and (s.next_effective_on is null or s.next_effective_on >= c.month + interval 1 month)
    left join leave_days as ld on ld.engineer_id = c.engineer_id and ld.month = c.month
    where c.left_on is null or c.month < c.left_on
),

metrics as (
    -- Each metric over the trailing window of metric_window_months calendar months. With a
    -- one-month window the engineer_months figures are used as they are (no float round trip);
    -- a longer window pools SLA targets and volumes, and weights monthly medians by tickets.
    select
        m.engineer_id,
        m.month,
        coalesce(sum(em.tickets_solved), 0) as tickets_solved,
        coalesce(sum(em.sla_sample), 0) as sla_sample,
        case when count(em.month) = 1 then any_value(em.sla_adherence)
            else sum(em.sla_adherence * em.sla_sample) / nullif(sum(em.sla_sample), 0)
        end as sla_adherence,
        case when count(em.month) = 1 then any_value(em.median_open_hours)
            else sum(em.median_open_hours * em.tickets_solved)
                / nullif(sum(em.tickets_solved) filter (where em.median_open_hours is not null), 0)
        end as median_open_hours,
        case when count(em.month) = 1 then any_value(em.volume_ratio)
            else sum(em.tickets_solved) filter (where em.team_median_solved is not null)
                / nullif(sum(em.team_median_solved), 0)
        end as volume_ratio,
        max(em.team_median_solved) filter (where em.month = m.month) as team_median_solved
    from months as m
    left join engineer_months as em
        on em.engineer_id = m.engineer_id
        and em.month <= m.month
        and em.month > m.month - to_months($metric_window_months)
    group by m.engineer_id, m.month
),

bar_outcomes as (
    select
        m.engineer_id,
        m.month,
        b.category,
        b.level as bar_level,
        b.level_rank as bar_rank,
        b.bar_order,
        b.metric,
        b.op,
        -- Team leads carry less IC scope, so their volume bar is scaled down.
        case when b.metric = 'volume_ratio' and m.team_lead
            then b.value * $team_lead_volume_factor else b.value
        end as bar_value,
        case b.metric
            when 'sla_adherence' then mt.sla_adherence
            when 'median_open_hours' then mt.median_open_hours
            when 'volume_ratio' then mt.volume_ratio
        end as observed,
        -- Volume is judged against the team's median, so the yardstick needs the sample: an
        -- engineer who solved 3 tickets while the team solved 30 has clearly failed the bar.
        case b.metric
            when 'sla_adherence' then mt.sla_sample
            when 'volume_ratio' then floor(mt.team_median_solved)::integer
            else mt.tickets_solved
        end as sample
    from months as m
    join metrics as mt on mt.engineer_id = m.engineer_id and mt.month = m.month
    cross join rd_bars as b
),

bar_verdicts as (
    select
        *,
        sample >= $min_sample and observed is not null as sufficient,
        case when op = '>=' then observed >= bar_value else observed <= bar_value end as meets
    from bar_outcomes
),

bar_summary as (
    select
        engineer_id,
        month,
        category,
        min(bar_rank) filter (where sufficient and not meets) as first_failing_rank,
        -- Above the current level a bar must be met on a sufficient sample: anything else
        -- (failing or unjudged) leaves that level unproven.
        min(bar_rank) filter (where not (sufficient and meets)) as first_unproven_rank,
        arg_min(
            {'metric': metric, 'observed': observed, 'bar': bar_value, 'op': op,
             'sample': sample},
            bar_rank * 1000 + bar_order
        ) filter (where sufficient and not meets) as failing_bar,
        arg_min(
            {'metric': metric, 'rank': bar_rank, 'sample': sample},
            bar_rank * 1000 + bar_order
        ) filter (where not sufficient) as unjudged_bar,
        string_agg(
            format('{} {} {} {}: {}', bar_level, metric, op, round(bar_value, 4),
                case
                    when not sufficient then format('too few tickets ({})', sample)
                    when meets then format('met ({})', round(observed, 4))
                    else format('missed ({})', round(observed, 4))
                end),
            '; ' order by bar_rank, bar_order
        ) as bars_checked
    from bar_verdicts
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
    join rd_levels as fl on fl.level = ev.level
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
            filter (where ec.kind = 'example' and ec.evidence_rank > m.current_rank)
        )[$min_examples_above] as next_level_evidence_until,
        list(ec.evidence_id order by ec.observed_on, ec.evidence_id)
            filter (where ec.kind = 'example') as example_ids,
        list(ec.evidence_id order by ec.observed_on, ec.evidence_id)
            filter (where ec.kind = 'concern') as concern_ids
    from evidence_cover as ec
    join months as m on m.engineer_id = ec.engineer_id and m.month = ec.month
    group by all
),

checks as (
    select
        m.engineer_id,
        m.month,
        c.category,
        c.rank as category_rank,
        m.current_level,
        m.current_rank,
        m.level_since,
        m.not_eligible_because is null as eligible,
        m.not_eligible_because,
        m.team_lead,
        mt.sla_adherence,
        mt.sla_sample,
        mt.median_open_hours,
        mt.tickets_solved,
        mt.volume_ratio,
        mt.team_median_solved,
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
    from months as m
    cross join rd_categories as c
    join metrics as mt on mt.engineer_id = m.engineer_id and mt.month = m.month
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
        coalesce(shown.level, 'below ' || $first_level) as demonstrated_level,
        b.demonstrated_rank,
        b.eligible,
        b.not_eligible_because,
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
    left join rd_levels as shown on shown.rank = b.demonstrated_rank
    left join rd_levels as blocked on blocked.rank = b.demonstrated_rank + 1
)

select * from final
order by engineer_id, month, category_rank
