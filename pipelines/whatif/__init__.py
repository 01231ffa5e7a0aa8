"""Policy what-if: run the readiness rules the build used, with some bars or rule settings
changed, on the served warehouse's own inputs, and show who moves.

- overrides.py: which settings can change (`settable`) and applying `--set` assignments.
- run.py: `run_whatif` (the same SQL models, other bound settings, in a scratch database).
- diff.py: who changed (`changes`), counts by level or team (`counts`), text output.
- nearer.py: who keeps their flags but whose reason changes (`reason_changes`).
- save.py: write the changed framework as a new framework file (`save_framework`).
"""

from pipelines.whatif.diff import FLAGS, changes, counts
from pipelines.whatif.nearer import reason_changes
from pipelines.whatif.overrides import OverrideError, Settable, apply_overrides, settable
from pipelines.whatif.run import WhatIf, each_alone, framework_of_warehouse, run_whatif
from pipelines.whatif.save import save_framework

__all__ = [
    "FLAGS",
    "OverrideError",
    "Settable",
    "WhatIf",
    "apply_overrides",
    "changes",
    "counts",
    "each_alone",
    "framework_of_warehouse",
    "reason_changes",
    "run_whatif",
    "save_framework",
    "settable",
]
