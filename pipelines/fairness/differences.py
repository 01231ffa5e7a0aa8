"""The figures of a fairness table that sit outside the org's, one row each, ranked by how far
their interval sits from the org's figure: what "at a glance" leads with, so a reader of a
40-team org sees which groups look off, and on which measures, before the full grid."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.fairness.measures import MEASURES
from pipelines.fairness.words import DIRECTIONS, direction

# The leading word of a group's phrase (pipelines.fairness.words) and which way it points.
# A 95% interval misses the org's figure about one time in twenty when nothing differs.
CHANCE = 0.05
DIFFERENCE_COLUMNS = (
    "group",
    "measure",
    "label",
    "kind",
    "direction",
    "rate",
    "low",
    "high",
    "org_rate",
    "distance",
)


def compared(rows: pd.DataFrame) -> int:
    """How many figures were compared with the org's: every measure of every group that has
    one (a group with no promotions has no months-before-promotion figure)."""
    return int(sum(rows[f"{m.key}_rate"].notna().sum() for m in MEASURES))


def by_chance(comparisons: int) -> int:
    """About how many of `comparisons` would sit outside the org's figure by chance alone."""
    return round(comparisons * CHANCE)


def differences(rows: pd.DataFrame, org: dict, label: str = "group") -> pd.DataFrame:
    """One row per figure whose 95% interval lies wholly above or below the org's figure:
    group (the rows' `label` column), measure (key), label (the measure's), kind, direction
    (the phrase's first word: higher, lower, longer, shorter), rate, low, high, org_rate and
    distance: the gap between the interval's near end and the org's figure, as a share of the
    org's figure (infinite when the org's is 0), so measures of different units rank together.
    Most distant first."""
    found = []
    for m in MEASURES:
        org_rate = org.get(f"{m.key}_rate", math.nan)
        for _, row in rows.iterrows():
            word = direction(row[f"{m.key}_words"])
            if not word:
                continue
            sign = DIRECTIONS[word]
            low, high = row[f"{m.key}_low"], row[f"{m.key}_high"]
            gap = (low - org_rate) if sign > 0 else (org_rate - high)
            found.append(
                {
                    "group": row[label],
                    "measure": m.key,
                    "label": m.label,
                    "kind": m.kind,
                    "direction": word,
                    "rate": row[f"{m.key}_rate"],
                    "low": low,
                    "high": high,
                    "org_rate": org_rate,
                    "distance": gap / org_rate if org_rate else math.inf,
                }
            )
    frame = pd.DataFrame(found, columns=list(DIFFERENCE_COLUMNS))
    return frame.sort_values("distance", ascending=False, kind="stable").reset_index(drop=True)


def by_group(found: pd.DataFrame) -> pd.DataFrame:
    """`differences` gathered per group: group, figures (how many differ), farthest (the
    largest distance) and the rows' positions in `found`, most distant group first."""
    if found.empty:
        return pd.DataFrame(columns=["group", "figures", "farthest", "positions"])
    grouped = found.reset_index().groupby("group", sort=False)
    out = grouped.agg(
        figures=("measure", "size"),
        farthest=("distance", "max"),
        positions=("index", list),
    ).reset_index()
    return out.sort_values(["farthest", "figures"], ascending=False, kind="stable").reset_index(
        drop=True
    )
