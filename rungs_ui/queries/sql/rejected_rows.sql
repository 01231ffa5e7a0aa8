-- The rows one build rejected, each with the file, line and the reason to fix.

select table_name, file, line, "column", value, reason
from rejected_rows
where build_id = $build_id
order by table_name, file, line
