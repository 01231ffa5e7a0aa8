-- attribute_values: each person's value of one extra roster column declared as a fairness
-- grouping (engineer_attributes, written by the build from engineers.csv).

select engineer_id, value
from engineer_attributes
where attribute = $attribute
