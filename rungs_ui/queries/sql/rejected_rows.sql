-- The rows one build rejected, each with the file, line and the reason to fix. Root causes
-- first: a row rejected in its own right comes before the rows that went with it (caused_by
-- names the file and line whose rejection took them along), so fixing the top rows first
-- brings the most back. For a mapped export, file and line are the user's export and its line,
-- and key the row's ticket or incident number.

select table_name, file, line, "key", "column", value, reason, caused_by
from rejected_rows
where build_id = $build_id
order by caused_by is not null, table_name, file, line
