"""Pandera stays out of the start-up paths: it takes seconds to import, and only validation (the
build) needs it. The dashboard, the data dictionary and `python -m pipelines demo` must start
without it, so the check runs in a fresh interpreter where nothing has imported it yet."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OURS = ("pipelines", "rungs_ui")

# Imports each module, then runs the demo command, and records every step after which pandera
# is loaded.
PROBE = """
import importlib, json, sys

def pandera_loaded():
    return any(m == "pandera" or m.startswith("pandera.") for m in sys.modules)

offenders = []
for name in sys.argv[2:]:
    importlib.import_module(name)
    if pandera_loaded() and not offenders:
        offenders.append(f"import {name}")

from pipelines.dictionary import data_dictionary
data_dictionary()
if pandera_loaded() and not offenders:
    offenders.append("data_dictionary()")

from pipelines.cli import app
app(["demo", "--out", sys.argv[1] + "/demo", "--engineers", "3", "--months", "12",
     "--seed", "1", "--end-month", "2025-06"], standalone_mode=False)
if pandera_loaded() and not offenders:
    offenders.append("python -m pipelines demo")

with open(sys.argv[1] + "/offenders.json", "w") as fh:
    json.dump(offenders, fh)
"""


def _app_modules() -> list[str]:
    """Every rungs_ui module, and every module of ours that the dashboard or a page imports."""
    names = {f"rungs_ui.{p.stem}" for p in (REPO / "rungs_ui").glob("*.py") if p.stem != "__init__"}
    for script in [REPO / "dashboard.py", *(REPO / "pages").rglob("*.py")]:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return sorted(n for n in names if n.split(".")[0] in OURS)


def test_dashboard_dictionary_and_demo_do_not_import_pandera(tmp_path):
    modules = [*_app_modules(), "pipelines.cli", "pipelines.demo.generate"]
    assert "pipelines.dictionary" in modules, "the Data health page should render the dictionary"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), *modules],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    offenders = json.loads((tmp_path / "offenders.json").read_text())
    assert offenders == [], f"pandera is imported by {offenders[0]}; import it lazily"
