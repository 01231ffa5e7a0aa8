-- level_stints: one row per level an engineer held, the single definition of "level since",
-- "last promotion" and "level at a date". Every page, rule and command reads it.
--
-- A levels row that repeats the level already held (HR re-recording the level on a pay change
-- or a team move, say) is folded away: it neither starts a stint nor resets a count.
-- change: 'hire' for the first level, 'promotion' / 'demotion' by framework rank, 'lateral'
-- for a move to another level of the same rank (not possible on a single ordered ladder).

with

ranked as (
    select l.engineer_id, l.level, fl.rank as level_rank, l.effective_on
    from levels as l
    join framework_levels as fl on fl.level = l.level
),

changes as (
    select
        engineer_id,
        level,
        level_rank,
        effective_on,
        -- The row before, folded or not, holds the level in force until this one: a folded
        -- row repeats it.
        lag(level) over by_date as from_level,
        lag(level_rank) over by_date as from_rank
    from ranked
    window by_date as (partition by engineer_id order by effective_on, level_rank)
    qualify from_level is distinct from level
),

final as (
    select
        engineer_id,
        level,
        level_rank,
        effective_on as started_on,
        -- The day before the next change; NULL for the level still held (or held on leaving:
        -- engineers.left_on says when).
        (lead(effective_on) over by_date - 1)::date as ended_on,
        case
            when from_level is null then 'hire'
            when level_rank > from_rank then 'promotion'
            when level_rank < from_rank then 'demotion'
            else 'lateral'
        end as change,
        from_level
    from changes
    window by_date as (partition by engineer_id order by effective_on, level_rank)
)

select * from final order by engineer_id, started_on
