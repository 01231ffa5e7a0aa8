-- bar_checks: every framework bar checked for every assessed engineer-month, with the bar
-- value that applies to that person (team-lead scaling, and any future per-person adjustment,
-- is applied here and nowhere else), the figure it was judged on and the verdict. A chart that
-- draws a bar for a person draws bar_value from this table: the bar the rule judged against.
--
-- Inputs: assessed_months, framework_bars. Settings: $min_sample, $team_lead_volume_factor.

with

checked as (
    select
        m.engineer_id,
        m.month,
        b.category,
        b.level as bar_level,
        b.level_rank as bar_rank,
        b.bar_order,
        b.metric,
        b.op,
        b.label,
        b.value as framework_value,
        -- Team leads carry less IC scope, so their volume bar is scaled down.
        case when b.metric = 'volume_ratio' and m.team_lead
            then b.value * $team_lead_volume_factor else b.value
        end as bar_value,
        case when b.metric = 'volume_ratio' and m.team_lead
            then 'team lead: bar scaled by ' || $team_lead_volume_factor::double
        end as adjustment,
        case b.metric
            when 'sla_adherence' then m.sla_adherence
            when 'median_open_hours' then m.median_open_hours
            when 'volume_ratio' then m.volume_ratio
        end as observed,
        -- Volume is judged against the team's median, so the yardstick needs the sample: an
        -- engineer who solved 3 tickets while the team solved 30 has clearly failed the bar.
        case b.metric
            when 'sla_adherence' then m.sla_sample
            when 'volume_ratio' then floor(coalesce(m.team_median_solved, 0))::bigint
            else m.tickets_solved
        end as sample,
        m.metric_window_months
    from assessed_months as m
    cross join framework_bars as b
),

final as (
    select
        *,
        sample >= $min_sample and observed is not null as judged,
        case
            when sample = 0 then 'no tickets'
            when observed is null and sample >= $min_sample then 'no figure'
            when sample < $min_sample then format(
                'too few tickets ({} < {}{})', sample, $min_sample::integer,
                case when metric_window_months > 1
                    then format(' over {} months', metric_window_months) else '' end)
        end as not_judged_because,
        case when op = '>=' then observed >= bar_value else observed <= bar_value end as meets
    from checked
)

select * from final order by engineer_id, month, bar_rank, bar_order
