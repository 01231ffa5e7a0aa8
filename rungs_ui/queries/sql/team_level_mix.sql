-- How many of the people in view hold each level at the month, per team: the level mix a
-- team's own bars (team_measures.sql) come from. Levels nobody in the team holds are left out.

select team, level, level_rank, count(*) as engineers
from roster
where team is not null
group by team, level, level_rank
order by team, level_rank
