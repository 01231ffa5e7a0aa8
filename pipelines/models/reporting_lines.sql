-- reporting_lines: who reported to whom, one row per person per period with one manager. The
-- single definition of "manager at a date": whom a manager may see in a month follows the lines
-- that held on its last day, so a move between managers moves visibility with it.
--
-- A person's periods run from their hire date, without gaps or overlaps, to their left_on (the
-- last period of someone still here is open: ended_on NULL). The manager at a day D is the row
-- with started_on <= D and (ended_on is null or ended_on >= D).
--
-- Without manager_changes rows a person has one period with engineers.manager_id. With them,
-- the first period has the first change's from_manager_id and each change starts a period with
-- its to_manager_id. The loader has made each person's changes one chain ending at
-- engineers.manager_id (pipelines/load/manager_history.py), so the later from_manager_ids add
-- nothing here. A change to the manager already held starts no period, as a repeated level
-- starts no stint in level_stints.

with

-- The loader rejects changes outside the hire..left_on span; the guard keeps periods inside it
-- even so.
changes as (
    select c.engineer_id, c.changed_on, c.from_manager_id, c.to_manager_id
    from manager_changes as c
    join engineers as e using (engineer_id)
    where c.changed_on >= e.hire_date
        and (e.left_on is null or c.changed_on <= e.left_on)
),

first_change as (
    select engineer_id, changed_on, from_manager_id
    from changes
    qualify row_number() over (partition by engineer_id order by changed_on) = 1
),

starts as (
    -- From the hire date: the manager before the first change, or today's without changes.
    -- A change on the hire date leaves that manager no day, so it starts the first period.
    select
        e.engineer_id,
        e.hire_date as started_on,
        if(f.engineer_id is null, e.manager_id, f.from_manager_id) as manager_id
    from engineers as e
    left join first_change as f using (engineer_id)
    where f.changed_on is distinct from e.hire_date

    union all

    select engineer_id, changed_on, to_manager_id
    from changes
),

periods as (
    select engineer_id, started_on, manager_id
    from starts
    window by_date as (partition by engineer_id order by started_on)
    qualify row_number() over by_date = 1
        or manager_id is distinct from lag(manager_id) over by_date
),

final as (
    select
        p.engineer_id,
        p.manager_id,
        p.started_on,
        -- The day before the next period starts; the last one ends when the person left.
        coalesce(
            (lead(p.started_on) over (partition by p.engineer_id order by p.started_on) - 1)::date,
            e.left_on
        ) as ended_on
    from periods as p
    join engineers as e using (engineer_id)
)

select * from final order by engineer_id, started_on
