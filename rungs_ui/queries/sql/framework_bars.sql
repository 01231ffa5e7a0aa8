-- The framework's metric bars as the build read them, in framework order.

select level, category, metric, op, value::double as value, label
from framework_bars
order by level_rank, bar_order
