"""Reading saved Zendesk objects: `pull zendesk --from-files DIR` and a live pull's own folder.

Every <name>.jsonl / <name>.json file in the folder is read; each entry may be
- a bare API object, the file named after what it is (tickets.jsonl, ticket_metrics.json, ...);
- a whole API response ({"tickets": [...], "metric_sets": [...]}), whatever the file is called;
- Airbyte output: a record {"stream": "tickets", "data": {...}}, a protocol message
  {"type": "RECORD", "record": {...}} (STATE, LOG and the other message types are counted and
  skipped), or a Local JSON destination row {"_airbyte_data": {...}} in _airbyte_raw_<stream>.jsonl.

Nothing is dropped without a count: the inventory says what each file gave, and which files,
entries and streams were not used, so a folder in a shape the connector misses is never read as
an empty account.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipelines.errors import SourceError
from pipelines.importers.zendesk_transform import Objects

KINDS = tuple(f.name for f in fields(Objects))
# The API's own names for objects Rungs keeps under another: GET /api/v2/ticket_metrics (and the
# Airbyte stream of that name) returns the objects the tickets export sideloads as metric_sets.
ALIASES = {"ticket_metrics": "metric_sets"}
AIRBYTE_MESSAGE_TYPES = (
    "RECORD",
    "STATE",
    "LOG",
    "TRACE",
    "CATALOG",
    "SPEC",
    "CONNECTION_STATUS",
    "CONTROL",
)
AIRBYTE_RAW_PREFIX = "_airbyte_raw_"  # the Local JSON destination's file names
EXPECTED = (
    "tickets as tickets.jsonl or tickets.json (one ticket object per line, or a JSON list), "
    'API responses holding a "tickets" list, or Airbyte records of the "tickets" stream '
    '({"stream": "tickets", "data": {...}} or {"type": "RECORD", "record": {...}})'
)


def kind_of(name: str) -> str | None:
    """The Objects field a file, page key or stream name feeds, or None if Rungs does not use it."""
    kind = ALIASES.get(name, name)
    return kind if kind in KINDS else None


@dataclass
class FileReport:
    path: Path
    taken: Counter = field(default_factory=Counter)  # name as written -> objects kept
    messages: Counter = field(default_factory=Counter)  # Airbyte message type -> skipped
    streams: Counter = field(default_factory=Counter)  # unused stream -> records skipped
    entries: int = 0
    unrecognised: int = 0
    first_unrecognised: str = ""

    @property
    def unknown(self) -> bool:
        """Nothing in it is something the connector reads, skips on purpose, or could be empty."""
        if self.path.suffix not in (".json", ".jsonl"):
            return True
        if self.entries == 0:
            return kind_of(self.path.stem) is None
        return self.unrecognised == self.entries

    def summary(self) -> str:
        if self.unknown:
            return f"{self.path.name} (nothing the connector reads)"
        parts = [f"{n} {name}" for name, n in self.taken.items()]
        parts += [f"{n} {kind} message(s) skipped" for kind, n in self.messages.items()]
        parts += [f"{n} '{s}' record(s) skipped" for s, n in self.streams.items()]
        return f"{self.path.name} ({', '.join(parts) or 'empty'})"


@dataclass
class Inventory:
    """The objects read from a folder, and what each file gave."""

    folder: Path
    objects: Objects = field(default_factory=Objects)
    files: list[FileReport] = field(default_factory=list)

    def describe(self) -> str:
        return "; ".join(f.summary() for f in self.files) or "no files"

    def warnings(self) -> list[str]:
        unknown = [str(f.path) for f in self.files if f.unknown]
        if not unknown:
            return []
        return [
            f"the connector does not know these file(s) and did not read them: "
            f"{', '.join(unknown)}. It reads "
            f"<name>.jsonl or <name>.json with <name> one of {', '.join(_known_names())}, API "
            "responses holding those lists, and Airbyte records of those streams. Fix: rename a "
            "file that holds one of these; move anything else out of the folder"
        ]

    def notes(self) -> list[str]:
        notes = []
        messages = sum((f.messages for f in self.files), Counter())
        if messages:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(messages.items()))
            notes.append(
                f"skipped {messages.total()} Airbyte message(s) that are not records: {kinds}"
            )
        streams = sum((f.streams for f in self.files), Counter())
        if streams:
            kinds = ", ".join(f"{s} ({n})" for s, n in sorted(streams.items()))
            notes.append(f"skipped records of Airbyte streams Rungs does not use: {kinds}")
        for f in self.files:
            if f.unrecognised and not f.unknown:
                notes.append(
                    f"{f.path}: skipped {f.unrecognised} entr(ies) that are neither a Zendesk "
                    f"object nor an Airbyte message, the first at {f.first_unrecognised}"
                )
        return notes


def _known_names() -> list[str]:
    return sorted({*KINDS, *ALIASES})


def read_saved(folder: Path) -> Inventory:
    """Every file in `folder` (hidden ones aside), read into one Objects with its inventory."""
    if not folder.is_dir():
        raise SourceError(
            f"{folder} is not a folder. Fix: pass --from-files the folder that "
            "holds tickets.jsonl (or .json) and the other saved objects"
        )
    inventory = Inventory(folder)
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        report = FileReport(path)
        inventory.files.append(report)
        if path.suffix not in (".json", ".jsonl"):
            continue
        for where, item in _json_items(path):
            report.entries += 1
            if not (isinstance(item, dict) and _read_entry(item, path, inventory.objects, report)):
                report.unrecognised += 1
                report.first_unrecognised = report.first_unrecognised or where
    return inventory


def _read_entry(item: dict, path: Path, objects: Objects, report: FileReport) -> bool:
    """Keep what `item` holds; False if it is no shape the connector knows."""
    if item.get("type") == "RECORD" and isinstance(item.get("record"), dict):
        item = item["record"]
    elif _is_airbyte_message(item):
        report.messages[item["type"]] += 1
        return True
    if isinstance(item.get("stream"), str) and isinstance(item.get("data"), dict):
        return _keep(item["stream"], [item["data"]], objects, report)
    if isinstance(item.get("_airbyte_data"), dict):
        stream = path.stem.removeprefix(AIRBYTE_RAW_PREFIX)
        return _keep(stream, [item["_airbyte_data"]], objects, report)
    pages = {k: v for k, v in item.items() if kind_of(k) and isinstance(v, list)}
    if pages:
        for key, listed in pages.items():
            _keep(key, [o for o in listed if isinstance(o, dict)], objects, report)
        return True
    if kind_of(path.stem):
        return _keep(path.stem, [item], objects, report)
    return False


def _is_airbyte_message(item: dict) -> bool:
    # Zendesk tickets have a "type" too (incident, problem, ...), lower case and never beside a
    # key named after it, so only Airbyte's upper-case envelope matches.
    kind = item.get("type")
    return kind in AIRBYTE_MESSAGE_TYPES and kind.lower() in item


def _keep(name: str, found: list[dict], objects: Objects, report: FileReport) -> bool:
    kind = kind_of(name)
    if kind is None:
        report.streams[name] += len(found)
        return True
    getattr(objects, kind).extend(found)
    report.taken[name] += len(found)
    return True


def _json_items(path: Path):
    """(where, entry) pairs: a .json file's document or list items, a .jsonl file's lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        doc = _parse(path, text, 0)
        for number, item in enumerate(doc if isinstance(doc, list) else [doc], start=1):
            yield (f"item {number}" if isinstance(doc, list) else "its top level"), item
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield f"line {number}", _parse(path, line, number - 1)


def _parse(path: Path, text: str, lines_before: int) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{path}, line {lines_before + exc.lineno}: not valid JSON "
            f"({exc.msg}). Fix: re-save the file; JSONL holds one JSON object "
            "per line"
        ) from exc
