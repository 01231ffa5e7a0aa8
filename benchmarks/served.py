"""`python -m benchmarks.served LOG -- MODULE ARGS...`: a Streamlit server with its runs timed.

MODULE is rungs_ui.serve or streamlit; every script run is timed in the server, one JSON line
per run appended to LOG.

benchmarks.browser serves the dashboard and its trivial page through this, so a page's time in
the browser can be read beside its script's own time in the server.
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
import time


def _time_script_runs(log_path: str) -> None:
    from streamlit.runtime.scriptrunner import script_runner

    run_script = script_runner.ScriptRunner._run_script
    lock = threading.Lock()

    def timed(self, *args, **kwargs):
        started = time.time()
        try:
            return run_script(self, *args, **kwargs)
        finally:
            ended = time.time()
            with lock, open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps({"started": started, "ended": ended}) + "\n")

    script_runner.ScriptRunner._run_script = timed


def main() -> None:
    log_path, separator, module, *args = sys.argv[1:]
    if separator != "--":
        raise SystemExit(__doc__.splitlines()[0])
    _time_script_runs(log_path)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
