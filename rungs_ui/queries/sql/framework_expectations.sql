-- What each level asks for in each category, as short labels.

select level, category, label
from framework_expectations
