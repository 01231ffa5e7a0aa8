"""Where the build's input files really came from, when they are not the user's own files.

A mapping (pipelines/importers/mapping.py) converts a person's exports into contract files in
a temporary folder that is gone once the build ends. The build reads those files like any
other, so its rejected rows, notes and records would name `tickets.csv` line 28 of a deleted
folder. `Provenance` lets it name what the person has instead: their export (as they gave the
path), the line in it, and the row's key (the ticket or incident number), and record the
export's own fingerprint in `build_files`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.load import lines


@dataclass(frozen=True)
class ExportOrigin:
    """One contract file the build reads, and the export it was made from.

    `line_map` gives, by line of the contract file, the export's line and the row's key for
    every converted row; empty when the contract file is the user's own file, copied as it
    was (same lines)."""

    table: str
    contract_file: str
    shown: str
    path: Path
    line_map: dict[int, tuple[int, str | None]] = field(default_factory=dict)

    def export_line(self, contract_line: int) -> int:
        """The export's line for a contract file line (the line itself for a copied file)."""
        return self.line_map.get(contract_line, (contract_line, None))[0]


@dataclass
class Provenance:
    """What the build records as its source, and each contract file's export by table."""

    source: str
    exports: dict[str, ExportOrigin] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def relabel(self, con: duckdb.DuckDBPyConnection, report) -> None:
        """Rename every contract file in rejected_rows, the report's files and its notes to
        the export it came from, with that export's lines, keys and fingerprint."""
        digests: dict[Path, tuple[str, int]] = {}
        for origin in self.exports.values():
            _relabel_rejected(con, origin)
        for stats in report.files:
            origin = self.exports.get(stats.table)
            if origin is None or stats.file != origin.contract_file:
                continue
            if origin.path not in digests:
                digests[origin.path] = (
                    lines.fingerprint(origin.path)[0],
                    origin.path.stat().st_size,
                )
            stats.file = origin.shown
            stats.sha256, stats.bytes = digests[origin.path]
        _rewrite_texts(con, self.text)
        report.notes[:] = [self.text(note) for note in self.notes + report.notes]

    def error_text(self, message: str, folder: Path) -> str:
        """An error the build raised about a file of the converted `folder`, said of the
        export: the folder is deleted once the command ends."""
        for origin in self.exports.values():
            message = message.replace(str(folder / origin.contract_file), origin.shown)
        return self.text(message)

    def text(self, message: str) -> str:
        """A message of the build with each contract file (and its lines) named as the export."""
        for origin in self.exports.values():
            message = _renamed(message, origin)
        return message


def _relabel_rejected(con: duckdb.DuckDBPyConnection, origin: ExportOrigin) -> None:
    where = {"t": origin.table, "f": origin.contract_file, "shown": origin.shown}
    if origin.line_map:
        pairs = origin.line_map.items()
        con.register(
            "_origin_lines",
            pa.table(
                {
                    "at": [at for at, _ in pairs],
                    "export_line": [line for _, (line, _key) in pairs],
                    "key": [key for _, (_line, key) in pairs],
                },
                schema=pa.schema(
                    [("at", pa.int64()), ("export_line", pa.int64()), ("key", pa.string())]
                ),
            ),
        )
        con.execute(
            'update rejected_rows r set file = $shown, line = o.export_line, "key" = o.key '
            "from _origin_lines o where r.table_name = $t and r.file = $f and r.line = o.at",
            where,
        )
        con.unregister("_origin_lines")
    con.execute("update rejected_rows set file = $shown where table_name = $t and file = $f", where)


def _rewrite_texts(con: duckdb.DuckDBPyConnection, rename) -> None:
    """caused_by and reasons that point at another rejected row ('engineers.csv line 5')."""
    for column in ("caused_by", "reason"):
        texts = [
            t
            for (t,) in con.execute(
                f"select distinct {column} from rejected_rows where {column} is not null"
            ).fetchall()
        ]
        changed = [(old, rename(old)) for old in texts if rename(old) != old]
        if not changed:
            continue
        con.register(
            "_renamed", pa.table({"old": [o for o, _ in changed], "new": [n for _, n in changed]})
        )
        con.execute(
            f"update rejected_rows r set {column} = m.new from _renamed m where r.{column} = m.old"
        )
        con.unregister("_renamed")


def _renamed(message: str, origin: ExportOrigin) -> str:
    """`tickets.csv line 28` / `lines 3, 5` / `tickets.csv:` said of the export instead."""
    name = re.escape(origin.contract_file)

    def lines_of(match: re.Match) -> str:
        numbers = [origin.export_line(int(n)) for n in re.findall(r"\d+", match[2])]
        word = "line" if len(numbers) == 1 else "lines"
        return f"{origin.shown} {word} {', '.join(map(str, numbers))}"

    message = re.sub(rf"(?<![\w/.-]){name} (lines?) (\d+(?:, \d+)*)", lines_of, message)
    return re.sub(rf"(?<![\w/.-]){name}(?=[:\s,;)]|$)", lambda _m: origin.shown, message)
