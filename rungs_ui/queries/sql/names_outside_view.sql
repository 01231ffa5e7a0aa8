-- What would name someone the viewer may not see (their name, email and id), minus what also
-- names someone in view (a shared name): the query layer blanks these out of free text and out
-- of who recorded an item (a mover's former manager, a colleague mentioned in a summary). Used
-- by rungs_ui.queries itself, never shown.

with

people as (
    select
        e.engineer_id,
        [e.engineer_id, lower(e.email), e.name] as keys,
        $scope_all
            or list_contains($scope_people::varchar[], e.engineer_id)
            or list_contains($own_managers::varchar[], e.engineer_id) as visible
    from engineers as e
)

select distinct key as name
from people, unnest(keys) as t(key)
where not visible
    and key is not null
    and length(trim(key)) > 0
except
select key
from people, unnest(keys) as t(key)
where visible
