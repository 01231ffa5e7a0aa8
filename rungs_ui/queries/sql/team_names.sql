-- Every team the warehouse knows, in name order. Team names name nobody; charts use this list
-- only to give each team one colour that stays the same whatever the filters show.

select distinct team
from engineers
where team is not null
order by team
