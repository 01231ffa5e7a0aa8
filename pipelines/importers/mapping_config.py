"""Read a mapping file (TOML) into plain objects, rejecting anything malformed with the mapping
file's line and the fix. docs/mappings/README.md describes the format for users.

Nothing here opens the source exports; checking their columns and values is mapping.py's job.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipelines.errors import SourceError
from pipelines.importers.contract import FALSE_WORDS, TRUE_WORDS, Column, contract

SHAPES = ("plain", "snapshot_log", "activity_log")
# Blanks a value map ignores at either end of a value, and treats as one space inside it.
BLANKS = "[ \t\r\n\f\v]+"
# Settings a table inherits from the top of the file unless it sets its own.
SHARED_SETTINGS = (
    "timezone",
    "timestamp_formats",
    "date_formats",
    "null_tokens",
    "delimiter",
    "encoding",
)
TABLE_KEYS = {"file", "shape", "updated_column", "columns", "values", "activity", *SHARED_SETTINGS}
ACTIVITY_KEYS = ("case_column", "activity_column", "resource_column", "timestamp_column")
# Contract columns the activity-log shape computes itself; mapping them too would be ambiguous.
ACTIVITY_DERIVED = (
    "ticket_id",
    "assignee_id",
    "created_at",
    "solved_at",
    "status",
    "reopens",
    "updated_at",
)


@dataclass(frozen=True)
class Source:
    """Where one contract column comes from: source columns tried in order (the first with a
    value wins), then a constant; a constant alone puts the same value on every row."""

    columns: tuple[str, ...] = ()
    const: str | None = None

    @property
    def column(self) -> str | None:
        """The first (usually the only) source column."""
        return self.columns[0] if self.columns else None

    @property
    def label(self) -> str:
        """How problem reports name where a value came from."""
        return " or ".join(self.columns)


@dataclass(frozen=True)
class Activity:
    case_column: str
    activity_column: str
    resource_column: str
    timestamp_column: str
    solved_activities: tuple[str, ...]


@dataclass
class TableMapping:
    table: str
    file: Path
    shape: str = "plain"
    # The export as the user gave it (the mapping's folder as passed, joined with its
    # `file = ...`): what every message and build record names, never a resolved path.
    shown_file: str = ""
    columns: dict[str, Source] = field(default_factory=dict)
    # Value maps with their keys folded (see fold); "*" covers every value not listed.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    updated_column: str | None = None
    activity: Activity | None = None
    timezone: str = "UTC"
    timestamp_formats: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    null_tokens: tuple[str, ...] = ("",)
    delimiter: str | None = None
    encoding: str = "utf-8"


@dataclass
class Mapping:
    path: Path
    text: str
    tables: dict[str, TableMapping]

    def line_of(self, section: str, key: str | None = None) -> int:
        return locate(self.text, section, key)


def locate(text: str, section: str, key: str | None = None) -> int:
    """1-based line of `key` inside `[section]` (or of the section header); 0 when not found.

    tomllib keeps no positions, and users fix mappings by line, so the line is found again in
    the text. Dotted and inline forms are matched on a best-effort basis.
    """
    current = ""
    header_line = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and not line.startswith("[["):
            current = _plain_key(line.strip("[]"))
            if current == section:
                header_line = number
            continue
        if current == section and key is not None and "=" in line and _key_of(line) == key:
            return number
        if current == section.split(".")[0] and key is not None and "=" in line:
            # `columns.ticket_id = ...` or `columns = { ticket_id = ... }` under [tickets]
            rest = section.split(".", 1)[1] if "." in section else ""
            if rest and _key_of(line) in (f"{rest}.{key}", rest) and key in line:
                return number
    return header_line


def _plain_key(dotted: str) -> str:
    return ".".join(part.strip().strip('"').strip("'") for part in dotted.split("."))


def _key_of(line: str) -> str:
    if line[0] in "\"'":
        end = line.find(line[0], 1)
        return line[1:end] if end > 0 else line
    return _plain_key(line.split("=", 1)[0])


def _text(value: object) -> str:
    """TOML values as the contract spells them: booleans lowercase, dates ISO."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text

    def fail(self, section: str, key: str | None, what: str, fix: str) -> SourceError:
        line = locate(self.text, section, key)
        where = f"{self.path}, line {line}" if line else str(self.path)
        return SourceError(f"{where} [{section}]: {what}. Fix: {fix}")

    def strings(self, section: str, key: str, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(
                section, key, f"{key} must be a list of strings", f'write e.g. {key} = ["a", "b"]'
            )
        return tuple(value)


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"{path}: cannot read the mapping file ({exc}). "
            "Fix: pass the path of a UTF-8 TOML mapping file"
        ) from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(
            f"{path}: not valid TOML ({exc}). Fix: correct the syntax at that line"
        ) from exc
    reader = _Reader(path, text)
    shared = {k: doc[k] for k in SHARED_SETTINGS if k in doc}
    tables = {}
    for name, body in doc.items():
        if name in SHARED_SETTINGS:
            continue
        if name not in contract() or not isinstance(body, dict):
            raise reader.fail(
                name,
                None,
                f"[{name}] is not a contract table",
                f"name a table from {sorted(contract())} or a setting from {list(SHARED_SETTINGS)}",
            )
        tables[name] = _table(reader, name, {**shared, **body})
    if not tables:
        raise SourceError(
            f"{path}: the mapping names no contract table. "
            f"Fix: add a section such as [tickets] with file = ..."
        )
    return Mapping(path=path, text=text, tables=tables)


def _table(reader: _Reader, name: str, body: dict) -> TableMapping:
    unknown = sorted(set(body) - TABLE_KEYS)
    if unknown:
        raise reader.fail(
            name, unknown[0], f"unknown setting {unknown[0]!r}", f"use only {sorted(TABLE_KEYS)}"
        )
    if not isinstance(body.get("file"), str):
        raise reader.fail(
            name,
            "file",
            "no source file given",
            'add file = "export.csv" (relative to this mapping file)',
        )
    shape = body.get("shape", "plain")
    if shape not in SHAPES:
        raise reader.fail(name, "shape", f"unknown shape {shape!r}", f"use one of {SHAPES}")
    if shape != "plain" and name != "tickets":
        raise reader.fail(
            name,
            "shape",
            f"shape {shape!r} only applies to [tickets]",
            'remove the shape line or set shape = "plain"',
        )
    mapping = TableMapping(
        table=name,
        file=(reader.path.parent / body["file"]).resolve(),
        shape=shape,
        shown_file=str(reader.path.parent / body["file"]),
    )
    mapping.timezone = _timezone(reader, name, body.get("timezone", "UTC"))
    for key in ("timestamp_formats", "date_formats", "null_tokens"):
        if key in body:
            setattr(mapping, key, reader.strings(name, key, body[key]))
    if "delimiter" in body:
        mapping.delimiter = str(body["delimiter"])
    mapping.encoding = str(body.get("encoding", "utf-8"))
    mapping.columns = _columns(reader, name, body.get("columns", {}))
    mapping.values = _values(reader, name, body.get("values", {}))
    if shape == "snapshot_log":
        if not isinstance(body.get("updated_column"), str):
            raise reader.fail(
                name,
                "shape",
                "a snapshot log needs the column that orders the updates of one ticket",
                'add updated_column = "<source column with the update time>"',
            )
        mapping.updated_column = body["updated_column"]
    if shape == "activity_log":
        mapping.activity = _activity(reader, name, body.get("activity"))
        clash = [c for c in ACTIVITY_DERIVED if c in mapping.columns]
        if clash:
            raise reader.fail(
                f"{name}.columns",
                clash[0],
                f"{clash[0]} is computed from the activity log",
                f"remove {clash} from [{name}.columns]; the activity log "
                "derives them from the case, activity, resource and timestamp",
            )
    return mapping


def _timezone(reader: _Reader, section: str, tz: object) -> str:
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise reader.fail(
            section,
            "timezone",
            f"unknown time zone {tz!r}",
            'use an IANA name such as "Europe/Berlin" or "UTC"',
        ) from exc
    return str(tz)


def _columns(reader: _Reader, table: str, raw: object) -> dict[str, Source]:
    section = f"{table}.columns"
    if not isinstance(raw, dict):
        raise reader.fail(
            table,
            "columns",
            "columns must be a table",
            f'write [{section}] with contract_column = "source column" lines',
        )
    names = [c.name for c in contract()[table]]
    columns = {}
    for contract_col, spec in raw.items():
        if contract_col not in names:
            raise reader.fail(
                section,
                contract_col,
                f"{contract_col!r} is not a column of the {table} contract",
                f"use one of {names}",
            )
        if isinstance(spec, list):
            columns[contract_col] = _fallbacks(reader, section, contract_col, spec)
        elif _source_form(spec) is None:
            raise reader.fail(
                section,
                contract_col,
                f"cannot read the source of {contract_col}",
                f'write {contract_col} = "Source column", {contract_col} = {{ const = "value" }} '
                f'or {contract_col} = ["First column", "Fallback column"]',
            )
        else:
            columns[contract_col] = _source_form(spec)
    return columns


def _source_form(spec: object) -> Source | None:
    """One source as a mapping writes it: a column name or { const = value }."""
    if isinstance(spec, str):
        return Source(columns=(spec,))
    if isinstance(spec, dict) and set(spec) == {"const"}:
        return Source(const=_text(spec["const"]))
    return None


def _fallbacks(reader: _Reader, section: str, key: str, spec: list) -> Source:
    """`solved_at = ["resolved_at", "closed_at"]`: the first column with a value wins; a
    { const = ... } may end the list as the value when none has one."""
    if not spec:
        raise reader.fail(
            section,
            key,
            f"{key} names an empty list of source columns",
            f'list at least one column, e.g. {key} = ["First column", "Fallback column"]',
        )
    forms = [_source_form(item) for item in spec]
    if any(form is None for form in forms):
        raise reader.fail(
            section,
            key,
            f"every item of the list for {key} must be a column name or {{ const = ... }}",
            f'write {key} = ["First column", "Fallback column"]',
        )
    consts = [i for i, form in enumerate(forms) if form.const is not None]
    if consts and consts != [len(forms) - 1]:
        raise reader.fail(
            section,
            key,
            f"a {{ const = ... }} in the list for {key} hides every item after it",
            "keep one constant, as the last item (the value used when no column has one)",
        )
    return Source(
        columns=tuple(c for form in forms for c in form.columns),
        const=forms[consts[0]].const if consts else None,
    )


def _values(reader: _Reader, table: str, raw: object) -> dict[str, dict[str, str]]:
    names = [c.name for c in contract()[table]]
    if not isinstance(raw, dict):
        raise reader.fail(
            table,
            "values",
            "values must be a table of value maps",
            f'write [{table}.values.<column>] with "source value" = "contract value"',
        )
    maps = {}
    for contract_col, table_map in raw.items():
        section = f"{table}.values.{contract_col}"
        if contract_col not in names:
            raise reader.fail(
                section,
                None,
                f"{contract_col!r} is not a column of the {table} contract",
                f"use one of {names}",
            )
        if not isinstance(table_map, dict):
            raise reader.fail(
                section,
                None,
                "a value map must be a table",
                f'write [{section}] then "source value" = "contract value" lines',
            )
        column = next(c for c in contract()[table] if c.name == contract_col)
        maps[contract_col] = _value_map(reader, section, column, table_map)
    return maps


def _value_map(reader: _Reader, section: str, column: Column, raw: dict) -> dict[str, str]:
    """Keys folded as export values are (so "TRUE" and " true " both hit "true"); two keys that
    fold alike must agree, and a boolean or fixed-vocabulary target must be a contract word."""
    folded: dict[str, tuple[str, str]] = {}
    for key, value in raw.items():
        target = _text(value)
        _check_target(reader, section, column, key, target)
        same = folded.get(fold(key))
        if same is not None and same[1] != target:
            raise reader.fail(
                section,
                key,
                f'"{key}" and "{same[0]}" are the same value once case and spaces are '
                f'ignored, but map to "{target}" and "{same[1]}"',
                f"keep one of the two lines in [{section}]: matching ignores case and spaces",
            )
        folded[fold(key)] = (key, target)
    return {key: target for key, (_, target) in folded.items()}


def _check_target(reader: _Reader, section: str, column: Column, key: str, target: str) -> None:
    if column.kind == "bool":
        allowed = ("true", "false")
        ok = target.strip().lower() in (*TRUE_WORDS, *FALSE_WORDS)
    elif column.kind == "choice":
        allowed = column.choices
        ok = target.strip().lower() in column.choices
    else:
        return
    if target and not ok:
        raise reader.fail(
            section,
            key,
            f'"{key}" maps to "{target}", which is not a value of {column.name}',
            f'map it to one of {list(allowed)}, or to "" for no value',
        )


def fold(value: str) -> str:
    """A value as value maps compare it: case, surrounding blanks and repeated blanks inside
    do not count. mapping.py folds the export's values with the same BLANKS in SQL."""
    return re.sub(BLANKS, " ", value).strip(" ").lower()


def _activity(reader: _Reader, table: str, raw: object) -> Activity:
    section = f"{table}.activity"
    if not isinstance(raw, dict):
        raise reader.fail(
            table,
            "shape",
            "an activity log needs an [tickets.activity] section",
            f"add [{section}] with {', '.join(ACTIVITY_KEYS)} and solved_activities",
        )
    for key in ACTIVITY_KEYS:
        if not isinstance(raw.get(key), str):
            raise reader.fail(section, key, f"{key} is missing", f'add {key} = "<source column>"')
    solved = reader.strings(section, "solved_activities", raw.get("solved_activities"))
    if not solved:
        raise reader.fail(
            section,
            "solved_activities",
            "solved_activities is empty",
            'list the activity names that mean "solved", e.g. ["Resolve"]',
        )
    return Activity(*(raw[k] for k in ACTIVITY_KEYS), solved_activities=solved)
