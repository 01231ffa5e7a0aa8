-- The framework's levels, from the first rung (rank 0) to the top.

select level, rank
from framework_levels
order by rank
