"""Session-state keys the dashboard shares. A widget bound to the URL uses its key as the query
parameter name, so these names are also what a shared link carries."""

MONTH = "month"
TEAMS = "team"
REGIONS = "region"
MANAGERS = "manager"
LEVELS = "level"
ENGINEER = "engineer"
CALIBRATION_LEVEL = "cal_level"
CALIBRATION_SHOW = "cal_show"
CALIBRATION_TEAM = "cal_team"
CALIBRATION_SORT = "cal_sort"
ANONYMISE = "anonymise"
EVIDENCE_SEARCH = "evidence_q"
BUILD = "build"
# Read straight from the URL (`?present=1`), not bound to a widget: a link opens the meeting view.
PRESENT = "present"
