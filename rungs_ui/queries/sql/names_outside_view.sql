-- The names of everyone the viewer may not see, minus names someone in view also has: the
-- query layer blanks them out of free text (evidence summaries, decision notes), which may
-- mention a colleague. Used by rungs_ui.queries itself, never shown.

select distinct e.name
from engineers as e
where not (
        $scope_all
        or list_contains($scope_people::varchar[], e.engineer_id)
        or list_contains($own_managers::varchar[], e.engineer_id)
    )
    and e.name is not null
    and length(trim(e.name)) > 0
except
select e.name
from engineers as e
where $scope_all
    or list_contains($scope_people::varchar[], e.engineer_id)
    or list_contains($own_managers::varchar[], e.engineer_id)
