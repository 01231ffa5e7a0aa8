-- Who is in view at the month, by name: the roster as a list (the Engineer page's picker).

select * from roster
order by name, engineer_id
