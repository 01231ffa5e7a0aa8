-- Every rule setting the build used, its default and its meaning.

select name, value::double as value, default_value::double as default_value, help
from framework_settings
order by name
