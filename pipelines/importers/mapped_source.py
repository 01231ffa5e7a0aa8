"""The folder a `build --mapping FILE [--source DIR]` reads, and where its files came from.

The mapping converts the exports it names into contract files in a temporary folder. With
`--source DIR` too, the contract files in DIR fill the tables the mapping does not produce
(typically a roster kept by hand next to a helpdesk mapping); a table the mapping produces is
taken from the mapping, and a file for it in DIR is ignored with a note. The Provenance
returned lets the build name the user's exports, lines and keys instead of the temporary files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines.errors import SourceError
from pipelines.importers.contract import contract_file
from pipelines.importers.mapping import apply_mapping
from pipelines.importers.mapping_config import load_mapping
from pipelines.load.origins import ExportOrigin, Provenance
from pipelines.load.sources import find_file
from pipelines.tables import TABLES_BY_NAME

# Where the docs show a roster mapping, for a mapping that has none.
ROSTER_EXAMPLE = "docs/mappings/hr-roster.toml"


def convert_for_build(
    mapping_path: Path | str, scratch: Path, source: Path | None = None
) -> tuple[Path, Provenance]:
    """Contract files under `scratch` for the build, and their origins. Raises SourceError,
    naming the mapping section to add, when a required table has no source."""
    mapping_path = Path(mapping_path)
    mapping = load_mapping(mapping_path)
    folder = Path(scratch) / "contract"
    # The mapping's own problems first: they are what the person is working on.
    report = apply_mapping(mapping_path, folder)
    _require_tables(mapping_path, set(mapping.tables), source)
    exports = {}
    for table, result in report.tables.items():
        exports[table] = ExportOrigin(
            table,
            contract_file(table),
            mapping.tables[table].shown_file,
            mapping.tables[table].file,
            result.line_map,
        )
    provenance = Provenance(source=_described(mapping_path, mapping, source), exports=exports)
    if source is not None:
        _fill_from(source, folder, provenance)
    return folder, provenance


def _require_tables(mapping_path: Path, mapped: set[str], source: Path | None) -> None:
    for name, spec in TABLES_BY_NAME.items():
        if not spec.required or name in mapped:
            continue
        file = spec.file_names[0]
        if source is not None and any((source / n).exists() for n in spec.file_names):
            continue  # the build checks that file like any other
        where = (
            f"and {source} has no {file}"
            if source is not None
            else "and no --source DIR with a contract file was given"
        )
        raise SourceError(
            f"mapping {mapping_path} has no [{name}] section {where}. Fix: add one (see "
            f"{ROSTER_EXAMPLE}), or put {file} in a folder and pass it with --source DIR, or "
            f"start one with `python -m pipelines roster draft --mapping {mapping_path} "
            "--out DIR`"
        )


def _fill_from(source: Path, folder: Path, provenance: Provenance) -> None:
    """Contract files in `source` for the tables the mapping does not produce, taken as
    they are (a hard link where possible: a ticket file may be large)."""
    for name, spec in TABLES_BY_NAME.items():
        found = find_file(source, spec)
        if found is None:
            continue
        if name in provenance.exports:
            provenance.notes.append(
                f"{found}: ignored, because the mapping produces {name} (--mapping wins)"
            )
            continue
        target = folder / found.name
        folder.mkdir(parents=True, exist_ok=True)
        try:
            os.link(found, target)
        except OSError:
            shutil.copyfile(found, target)
        provenance.exports[name] = ExportOrigin(name, found.name, str(found), found)


def _described(mapping_path: Path, mapping, source: Path | None) -> str:
    """builds.source_dir: the mapping and the exports it read (never the deleted folder)."""
    exports = sorted({t.shown_file for t in mapping.tables.values()})
    text = f"mapping {mapping_path} ({', '.join(exports)})"
    return f"{text} + {source}" if source is not None else text
