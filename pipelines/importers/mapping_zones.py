"""The two time zones a mapped build uses, checked against each other.

A mapping's `timezone` says how to read the export's times that carry no offset; the framework's
`timezone` decides which calendar month a moment belongs to (pipelines/load/build.py). Each is
right for its job, so neither overrides the other; but when they differ, tickets solved near
midnight at a month's turn count in a month the team would not expect. `check` and
`build --mapping` print the warning written here, with an example of that consequence.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.importers.contract import contract
from pipelines.importers.mapping_config import Mapping, locate

# Month turns tried, in order, for the example in a warning: fixed ones, so the message is the
# same every day; November first, past the summer-time changes of both hemispheres' main zones,
# then the rest of a year, for zones that differ only in summer (Europe/London and UTC).
EXAMPLE_TURNS = tuple(datetime(2024 + (m < 11), m, 1) for m in (11, 12, *range(1, 11)))


def zone_warnings(mapping: Mapping, framework_zone: str, framework_path: Path | str) -> list[str]:
    """One warning per mapping time zone that reads ticket (or other) times differently from
    the framework's zone, with where each is set, an example, and the fix."""
    timed = {name for name, cols in contract().items() if any(c.kind == "timestamp" for c in cols)}
    zones: dict[str, list[str]] = {}
    for table in mapping.tables.values():
        if table.table in timed and table.timezone != framework_zone:
            zones.setdefault(table.timezone, []).append(table.table)
    warnings = []
    for zone, tables in zones.items():
        example = month_turn_example(zone, framework_zone)
        if example is None:
            continue  # the zones keep the same clock: no moment changes month
        warnings.append(
            f"warning: {_where_set(mapping, tables[0])} timezone = {zone!r} reads the times in "
            f"[{'], ['.join(tables)}], but months follow the framework's timezone = "
            f"{framework_zone!r} ({framework_path}): {example}. Fix: if your team's months are "
            f"{zone} months, set timezone = {zone!r} under [framework] in {framework_path}; "
            f"keep the mapping's timezone as the zone the export writes its times in"
        )
    return warnings


def month_turn_example(export_zone: str, month_zone: str) -> str | None:
    """A ticket solved near midnight at a month's turn in `export_zone` that counts in another
    month because months follow `month_zone`; None when the two zones keep the same clock."""
    export_tz, month_tz = ZoneInfo(export_zone), ZoneInfo(month_zone)
    for naive in EXAMPLE_TURNS:
        turn = naive.replace(tzinfo=export_tz)
        ahead = turn.astimezone(month_tz).utcoffset() - turn.utcoffset()
        if ahead != timedelta(0):
            break
    else:
        return None
    # Half the difference from midnight, on the side where the month zone's clock is in the
    # other month: after midnight when it is behind, before midnight when it is ahead.
    moment = turn + abs(ahead) / 2 if ahead < timedelta(0) else turn - ahead / 2
    there = moment.astimezone(month_tz)
    return (
        f"a ticket solved at {_clock(moment)} {moment.year} in {export_zone} counts in "
        f"{there:%B}, because months follow the framework's {month_zone} "
        f"(where it is {_clock(there)})"
    )


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M} on {moment.day} {moment:%b}"


def _where_set(mapping: Mapping, table: str) -> str:
    """`FILE, line N:` of the timezone line that applies to `table` (its own, else the top's)."""
    own = locate(mapping.text, table, "timezone")
    line = (
        own if own and own != locate(mapping.text, table) else locate(mapping.text, "", "timezone")
    )
    return f"{mapping.path}, line {line}:" if line else f"{mapping.path} (no timezone set, so UTC):"


def warn_about_zones(mapping_path: Path | str, framework_path: Path | str) -> list[str]:
    """Print the warnings of zone_warnings on stderr (for `check`/`build --mapping`); return
    them. A mapping or framework that does not load is left to the command to report."""
    from pipelines.errors import FrameworkError, SourceError
    from pipelines.framework import load_framework
    from pipelines.importers.mapping_config import load_mapping

    try:
        mapping = load_mapping(mapping_path)
        zone = load_framework(framework_path).timezone
    except (SourceError, FrameworkError):
        return []
    warnings = zone_warnings(mapping, zone, framework_path)
    for warning in warnings:
        print(warning, file=sys.stderr, flush=True)
    return warnings
