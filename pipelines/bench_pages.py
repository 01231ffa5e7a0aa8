"""`python -m pipelines.bench_pages --warehouse PATH`: each dashboard page's run time, cold and
warm. The measuring lives in rungs_ui.bench because it drives Streamlit; it runs in its own
process so the pipeline package itself never imports Streamlit."""

from __future__ import annotations

import subprocess
import sys


def main() -> int:
    return subprocess.run(
        [sys.executable, "-m", "rungs_ui.bench", *sys.argv[1:]], check=False
    ).returncode


if __name__ == "__main__":
    raise SystemExit(main())
