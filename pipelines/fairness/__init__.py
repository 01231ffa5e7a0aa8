"""The fairness lens: do flags, decisions and evidence fall evenly across teams, regions,
managers, levels and any extra roster column the framework declares?

Public API (the page, the packets and the CLI import from here):

- `MEASURES`, `Measure`: what is measured per group, and how (measures.py).
- `fairness_table(con, grouping, start, end, min_group_size, people=None) -> FairnessTable`:
  each group's rates with 95% intervals, sample sizes and words against the org's rate; small
  groups withheld (lens.py).
- `documentation_skew(con, start, end, min_group_size, people=None) -> DataFrame`: evidence
  per person-month (examples of work recorded) per manager, against the org's rate (skew.py).
- `differences`: the figures outside the org's, ranked by distance and gathered by group, and
  how many chance alone would give (differences.py).
- `fairness_groupings(con)`, `fairness_min_group_size(con)`: what the warehouse offers
  (groupings.py).
- `wilson(k, n)`, `poisson_interval(k, exposure)`: the intervals (intervals.py).
- `default_period(con)`: the 12 months up to the build's as-of month.
"""

from pipelines.fairness.groupings import (
    fairness_groupings,
    fairness_min_group_size,
    grouping_label,
)
from pipelines.fairness.intervals import median_interval, poisson_interval, wilson
from pipelines.fairness.lens import (
    FairnessError,
    FairnessTable,
    fairness_table,
    membership_sentence,
)
from pipelines.fairness.measures import MEASURES, MEASURES_BY_KEY, Measure
from pipelines.fairness.period import default_period
from pipelines.fairness.skew import SKEW_COLUMNS, documentation_skew

__all__ = [
    "MEASURES",
    "MEASURES_BY_KEY",
    "SKEW_COLUMNS",
    "FairnessError",
    "FairnessTable",
    "Measure",
    "default_period",
    "documentation_skew",
    "fairness_groupings",
    "fairness_min_group_size",
    "fairness_table",
    "grouping_label",
    "median_interval",
    "membership_sentence",
    "poisson_interval",
    "wilson",
]
