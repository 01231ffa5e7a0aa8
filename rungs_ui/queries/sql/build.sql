-- The record of one build (the one the dashboard has open, usually).

select *
from builds
where build_id = $build_id
