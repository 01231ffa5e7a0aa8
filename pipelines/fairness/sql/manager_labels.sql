-- manager_labels: how a manager is named in the lens's text output, one row per manager id
-- of the warehouse: the name, or when two managers share it "Name (Team · M001)", as the
-- dashboard tells namesakes apart. Every manager counts, shown or not, so the same person is
-- named the same way whatever the period.

with

managers as (
    select distinct rl.manager_id, coalesce(e.name, rl.manager_id) as name, e.team
    from reporting_lines as rl
    left join engineers as e on e.engineer_id = rl.manager_id
    where rl.manager_id is not null
)

select
    manager_id,
    case
        when count(*) over (partition by name) > 1
            then name || ' (' || coalesce(team, 'no team') || ' · ' || manager_id || ')'
        else name
    end as label
from managers
