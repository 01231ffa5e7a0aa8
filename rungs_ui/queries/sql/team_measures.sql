-- One row per team of the people in view at the month: how the team did that month against
-- the bars of its own people, how many of them carry each readiness flag, and its rank (1 =
-- the team that needs attention first). Pooled like team_kpis: SLA adherence is targets met
-- over SLA-bearing tickets, CSAT is good over good + bad ratings (with that sample), the open
-- time is the middle of the engineers' own medians.
--
-- Each person's own bar on a metric is the one the rule judged them against at the level they
-- held that month: the strictest of the bars at or below that level (a level carries the bars
-- below it), as bar_checks.bar_value applied it (team-lead scaling and any other adjustment
-- included; nothing is recomputed here). A person whose level carries no bar on the metric
-- (no open-time bar below IC2 in the default framework) has no own bar on it.
--
-- sla_expected: the team's own SLA bar, each person's SLA bar weighted by their SLA tickets
--   that month, as the team's SLA is pooled over tickets; over the people with a bar.
-- sla_gap: sla_adherence - sla_expected (a share; 0.011 is 1.1 points above its own bars).
-- open_time_gap: the middle, over the people with an open-time bar and a figure, of each
--   person's median open time minus their own bar, in hours (positive: slower than the bar).
--   A median of differences rather than "median of figures minus median of bars": the people
--   without a bar (IC1s) would otherwise pull the team's figure while adding nothing to its bar.
-- below_sla_bar / below_open_time_bar / below_own_bar: people whose judged month missed their
--   own bar on SLA / open time / either (a month or metric not judged counts as not below).
-- attention_rank: furthest below its own SLA bars first (sla_gap ascending); ties go to more
--   people below their own bar, then the larger open-time gap, then the team name. Teams with
--   no SLA tickets come last.

with

members as (
    select
        r.team,
        r.engineer_id,
        em.sla_met,
        em.sla_sample,
        em.median_open_hours,
        em.csat_good,
        em.csat_bad,
        em.tickets_solved,
        sb.own_bar as sla_bar,
        coalesce(sb.below_own_bar, false) as below_sla,
        ob.own_bar as open_time_bar,
        coalesce(ob.below_own_bar, false) as below_open_time,
        rd.promotion_ready,
        rd.near_window,
        rd.in_band_candidate,
        rd.at_risk
    from roster as r
    left join engineer_months as em
        on em.engineer_id = r.engineer_id and em.month = $month::date
    left join own_bars as sb on sb.engineer_id = r.engineer_id and sb.metric = 'sla_adherence'
    left join own_bars as ob
        on ob.engineer_id = r.engineer_id and ob.metric = 'median_open_hours'
    left join readiness as rd
        on rd.engineer_id = r.engineer_id and rd.month = $month::date
    where r.team is not null
),

per_team as (
    select
        team,
        count(*) as headcount,
        sum(sla_met) / nullif(sum(sla_sample), 0) as sla_adherence,
        coalesce(sum(sla_sample), 0) as sla_sample,
        sum(sla_bar * sla_sample) / nullif(sum(sla_sample) filter (where sla_bar is not null), 0)
            as sla_expected,
        median(median_open_hours) as median_open_hours,
        median(median_open_hours - open_time_bar) as open_time_gap,
        count(median_open_hours - open_time_bar) as open_time_gap_people,
        count(*) filter (where below_sla) as below_sla_bar,
        count(*) filter (where below_open_time) as below_open_time_bar,
        count(*) filter (where below_sla or below_open_time) as below_own_bar,
        sum(csat_good) / nullif(sum(csat_good + csat_bad), 0) as csat,
        coalesce(sum(csat_good + csat_bad), 0) as csat_sample,
        coalesce(sum(tickets_solved), 0) as tickets_solved,
        count(*) filter (where promotion_ready) as ready,
        count(*) filter (where near_window) as near,
        count(*) filter (where in_band_candidate) as in_band,
        count(*) filter (where at_risk) as at_risk
    from members
    group by team
),

final as (
    select
        row_number() over (
            order by
                sla_adherence - sla_expected asc nulls last,
                below_own_bar desc,
                open_time_gap desc nulls last,
                team
        ) as attention_rank,
        team,
        headcount,
        sla_adherence,
        sla_sample,
        sla_expected,
        sla_adherence - sla_expected as sla_gap,
        median_open_hours,
        open_time_gap,
        open_time_gap_people,
        below_sla_bar,
        below_open_time_bar,
        below_own_bar,
        csat,
        csat_sample,
        tickets_solved,
        ready,
        near,
        in_band,
        at_risk
    from per_team
)

select * from final order by attention_rank
