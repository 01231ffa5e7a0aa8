-- The files one build read, with rows read, loaded and rejected.

select *
from build_files
where build_id = $build_id
order by table_name, file
