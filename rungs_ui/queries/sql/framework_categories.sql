-- The framework's categories, in framework order (rank 0 first).

select category, rank
from framework_categories
order by rank
