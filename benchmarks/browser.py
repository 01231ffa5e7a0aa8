"""Each dashboard page as a user waits for it: settled in a real browser, beside a trivial page.

`python -m benchmarks.browser --warehouse PATH [--warehouse PATH2]` serves the dashboard on each
warehouse with `python -m rungs_ui.serve` (as `make run` does, local mode: the admin's view,
everyone visible) and benchmarks/trivial_page.py (a title, a line, one Altair chart) with
`streamlit run`, from the same interpreter with the same server flags, and drives the system
Chromium at 1920x1080 through Playwright.

A load counts as settled when the script is idle (no running status widget, the app reports
`notRunning`), no skeleton is left, every `.vega-embed` holds a canvas or svg with a size, and
the DOM has then stayed unchanged for a quiet spell; its time is that of the last DOM change,
from the start of navigation (the page's own clock). Cold is a fresh browser context, warm a
reload of it; each figure is the median of a few rounds, each round measuring the trivial page
the same way right before the page, so figures are read as ratios to the trivial page. The
server's first page (imports, an empty cache) is reported apart.

Beside each load: the page script's own time in the server (its script runs during the load,
timed in the server by benchmarks.served), the websocket bytes received, and the Vega charts
with their data rows, decoded from Streamlit's messages.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from playwright.sync_api import Browser, Page, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from rungs_ui.navigation import PAGES
from rungs_ui.warehouse import REPO_ROOT, WAREHOUSE_ENV

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1920, "height": 1080}
TRIVIAL = REPO_ROOT / "benchmarks" / "trivial_page.py"
SERVER_FLAGS = [
    "--server.address",
    "127.0.0.1",
    "--server.headless",
    "true",
    "--browser.gatherUsageStats",
    "false",
    "--server.fileWatcherType",
    "none",
]
WARM_TARGET = 1.3  # x the trivial page, warm
COLD_TARGET = 1.5  # x the trivial page, cold
QUIET_S = 0.5  # no DOM change for this long after everything is drawn
TIMEOUT_S = 120.0

# Installed before any script of the page: the time of the last DOM change (the page's own
# clock, from the start of navigation).
_PROBE = """(() => {
  window.__lastChange = 0;
  new MutationObserver(() => { window.__lastChange = performance.now(); }).observe(document,
    {subtree: true, childList: true, attributes: true, characterData: true});
})()"""

# Everything drawn: the script idle, no skeleton, every chart holding a drawn canvas or svg.
_DRAWN = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return null;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]'))
    return null;
  if (!document.querySelector('[data-testid="stMain"] h1')) return null;
  const charts = [...document.querySelectorAll('.vega-embed')];
  // A chart on a hidden tab or in a closed expander has no size of its own to draw at.
  const sized = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const drawn = charts.every(c => [...c.querySelectorAll('canvas, svg')].some(
    g => sized(g) || !sized(c)));
  if (!drawn) return null;
  return {now: performance.now(), last: window.__lastChange, charts: charts.length,
          exceptions: document.querySelectorAll('[data-testid="stException"]').length};
})()"""


@dataclass
class Load:
    """One page load as the browser saw it."""

    settled_s: float
    script_s: float  # the page's script runs in the server during the load, summed
    script_runs: int
    bytes_received: int
    charts: int
    chart_rows: list[int] = field(default_factory=list)
    dataframes: int = 0
    dataframe_rows: int = 0
    exceptions: int = 0
    main_thread_s: dict[str, float] = field(default_factory=dict)


class NotSettled(Exception):
    """A load that never settled (an endless rerun, a chart that never draws)."""


def _free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port
    raise SystemExit(f"no free port from {preferred}")


class Server:
    """A Streamlit server on localhost, stopped on exit."""

    def __init__(self, command: list[str], port: int, env: dict[str, str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="rungs-bench-server-", suffix=".log")  # noqa: SIM115 - open while the server runs
        # One JSON line per script run (benchmarks.served), read after each load.
        self.runs = Path(tempfile.mkdtemp(prefix="rungs-bench-runs-")) / "runs.jsonl"
        self.runs.touch()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.served",
                str(self.runs),
                "--",
                *command,
                "--server.port",
                str(port),
                *SERVER_FLAGS,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise SystemExit(f"the server did not start:\n{self.log.read().decode()[-2000:]}")
            time.sleep(0.2)

    def runs_since(self, offset: int) -> tuple[list[dict], int]:
        """The script runs logged after `offset` bytes of the log, and the new offset."""
        with self.runs.open("rb") as log:
            log.seek(offset)
            text = log.read()
        done = text[: text.rfind(b"\n") + 1]
        return [json.loads(line) for line in done.splitlines()], offset + len(done)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _decode(frames: list[bytes]) -> tuple[list[int], int, int]:
    """(rows of each Vega chart, dataframes, their rows) from the messages the server sent."""
    chart_rows: list[int] = []
    dataframes = 0
    dataframe_rows = 0
    for frame in frames:
        msg = ForwardMsg()
        try:
            msg.ParseFromString(frame)
        except Exception:  # not every frame need be a ForwardMsg
            continue
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            continue
        element = msg.delta.new_element
        which = element.WhichOneof("type")
        if which == "vega_lite_chart":
            chart = element.vega_lite_chart
            rows = _rows(chart.data.data) if chart.HasField("data") else 0
            rows += sum(_rows(d.data.data) for d in chart.datasets)
            chart_rows.append(rows)
        elif which in ("dataframe", "table"):
            frame_element = getattr(element, which)
            dataframes += 1
            if frame_element.HasField("arrow_data"):
                dataframe_rows += _rows(frame_element.arrow_data.data)
    return chart_rows, dataframes, dataframe_rows


def _rows(arrow: bytes) -> int:
    if not arrow:
        return 0
    with pa.ipc.open_stream(io.BytesIO(arrow)) as reader:
        return reader.read_all().num_rows


# Chromium's counters of the renderer's main thread (seconds), read around each load.
MAIN_THREAD = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def _main_thread(cdp) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in MAIN_THREAD}


def _measure(page: Page, server: Server, navigate) -> Load:
    """Navigate (goto or reload) and wait until the page has settled."""
    received: list[bytes] = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = _main_thread(cdp)

    def on_socket(ws) -> None:
        ws.on("framereceived", lambda payload: received.append(_as_bytes(payload)))

    _, offset = server.runs_since(0)
    page.on("websocket", on_socket)
    try:
        navigate()
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            state = page.evaluate(_DRAWN)
            if state and state["now"] - state["last"] >= QUIET_S * 1000:
                break
            if time.monotonic() > deadline:
                raise NotSettled(f"{page.url} did not settle within {TIMEOUT_S:.0f} s: {state}")
            page.wait_for_timeout(100)
    finally:
        page.remove_listener("websocket", on_socket)
    after = _main_thread(cdp)
    cdp.detach()
    # A reload starts the counters again; a counter that went down was reset.
    busy = {k: after[k] - before[k] if after[k] >= before[k] else after[k] for k in MAIN_THREAD}
    runs, _ = server.runs_since(offset)
    chart_rows, dataframes, dataframe_rows = _decode(received)
    return Load(
        settled_s=state["last"] / 1000,
        script_s=sum(r["ended"] - r["started"] for r in runs),
        script_runs=len(runs),
        bytes_received=sum(len(f) for f in received),
        charts=state["charts"],
        chart_rows=chart_rows,
        dataframes=dataframes,
        dataframe_rows=dataframe_rows,
        exceptions=state["exceptions"],
        main_thread_s={k: round(v, 3) for k, v in busy.items()},
    )


def _as_bytes(payload: str | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else payload.encode("utf-8")


def cold_and_warm(browser: Browser, server: Server, path: str = "") -> tuple[Load, Load]:
    """A fresh context's first load of `url`, then a reload of it."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_PROBE)
    try:
        page = context.new_page()
        url = f"{server.url}/{path}"
        cold = _measure(page, server, lambda: page.goto(url, wait_until="commit"))
        warm = _measure(page, server, lambda: page.reload(wait_until="commit"))
    finally:
        context.close()
    return cold, warm


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _summary(loads: list[Load]) -> dict:
    last = loads[-1]
    return {
        "settled_s": round(_median([x.settled_s for x in loads]), 3),
        "settled_runs_s": [round(x.settled_s, 3) for x in loads],
        "script_s": round(_median([x.script_s for x in loads]), 3),
        "script_runs": last.script_runs,
        "ws_bytes": int(_median([x.bytes_received for x in loads])),
        "charts": last.charts,
        "chart_rows": last.chart_rows,
        "dataframes": last.dataframes,
        "dataframe_rows": last.dataframe_rows,
        "exceptions": max(x.exceptions for x in loads),
        # The browser's main thread during the load: busy, running script, layout, style.
        "main_thread_s": {
            k: round(_median([x.main_thread_s[k] for x in loads]), 3) for k in MAIN_THREAD
        },
    }


def bench(warehouse: Path, rounds: int, port: int, pages: list[str] | None) -> dict:
    env = {**os.environ, WAREHOUSE_ENV: str(warehouse.resolve())}
    scratch = Path(tempfile.mkdtemp(prefix="rungs-bench-"))
    # The audit log of these loads goes to a scratch journal, not the app's.
    env["RUNGS_JOURNAL_URL"] = str(scratch / "journal.sqlite")
    env.pop("STREAMLIT_SERVER_PORT", None)
    trivial_port = _free_port(port)
    trivial = Server(["streamlit", "run", str(TRIVIAL)], trivial_port, env)
    app = Server(["rungs_ui.serve"], _free_port(trivial_port + 1), env)
    specs = [p for p in PAGES if pages is None or p.url_path in pages]
    results: dict = {"warehouse": str(warehouse), "pages": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                # Each server's first page, apart: imports and empty caches.
                first_trivial, _ = cold_and_warm(browser, trivial)
                first_app, _ = cold_and_warm(browser, app, specs[0].url_path)
                results["first_page"] = {
                    "page": specs[0].title,
                    "trivial": _summary([first_trivial]),
                    "app": _summary([first_app]),
                }
                print(
                    f"  first page of a new server: {specs[0].title} "
                    f"{first_app.settled_s:.2f} s, trivial {first_trivial.settled_s:.2f} s",
                    flush=True,
                )
                for spec in specs:
                    loads: dict[str, list[Load]] = {k: [] for k in ("tc", "tw", "pc", "pw")}
                    try:
                        for _ in range(rounds):
                            tc, tw = cold_and_warm(browser, trivial)
                            pc, pw = cold_and_warm(browser, app, spec.url_path)
                            for key, load in (("tc", tc), ("tw", tw), ("pc", pc), ("pw", pw)):
                                loads[key].append(load)
                    except NotSettled as exc:
                        results["pages"].append({"page": spec.title, "error": str(exc)})
                        print(f"  {spec.title}: {exc}", flush=True)
                        continue
                    row = {
                        "page": spec.title,
                        "url_path": spec.url_path,
                        "cold": _summary(loads["pc"]),
                        "warm": _summary(loads["pw"]),
                        "trivial_cold": _summary(loads["tc"]),
                        "trivial_warm": _summary(loads["tw"]),
                    }
                    row["cold_ratio"] = round(
                        row["cold"]["settled_s"] / row["trivial_cold"]["settled_s"], 2
                    )
                    row["warm_ratio"] = round(
                        row["warm"]["settled_s"] / row["trivial_warm"]["settled_s"], 2
                    )
                    row["ok"] = row["cold_ratio"] <= COLD_TARGET and row["warm_ratio"] <= (
                        WARM_TARGET
                    )
                    results["pages"].append(row)
                    print(f"  {_line(row)}", flush=True)
            finally:
                browser.close()
    finally:
        app.close()
        trivial.close()
    return results


HEADER = (
    f"{'page':<22}{'cold s':>7}{'x':>6}{'warm s':>8}{'x':>6}{'script':>9}{'(warm)':>7}"
    f"{'ws KiB':>8}{'charts':>7}{'chart rows':>11}{'df rows':>8}  target"
)


def _line(row: dict) -> str:
    cold, warm = row["cold"], row["warm"]
    return (
        f"{row['page']:<22}{cold['settled_s']:>7.2f}{row['cold_ratio']:>6.2f}"
        f"{warm['settled_s']:>8.2f}{row['warm_ratio']:>6.2f}"
        f"{cold['script_s']:>9.2f}{warm['script_s']:>7.2f}"
        f"{warm['ws_bytes'] / 1024:>8.0f}{warm['charts']:>7}{sum(warm['chart_rows']):>11}"
        f"{warm['dataframe_rows']:>8}  {'ok' if row['ok'] else 'SLOW'}"
        + (f"  ({cold['exceptions']} exception(s)!)" if cold["exceptions"] else "")
    )


def report(results: dict) -> None:
    first = results["first_page"]
    print(f"\n{results['warehouse']}  (local mode: the admin's view, everyone visible)")
    print(
        f"First page of a new server ({first['page']}): {first['app']['settled_s']:.2f} s, "
        f"trivial page's first {first['trivial']['settled_s']:.2f} s "
        f"({first['app']['settled_s'] / first['trivial']['settled_s']:.2f}x), reported apart."
    )
    measured = [r for r in results["pages"] if "error" not in r]
    if measured:
        print(
            f"Trivial page, median over the pages' rounds: cold "
            f"{_median([r['trivial_cold']['settled_s'] for r in measured]):.2f} s, warm "
            f"{_median([r['trivial_warm']['settled_s'] for r in measured]):.2f} s "
            f"(ws {measured[0]['trivial_warm']['ws_bytes'] / 1024:.0f} KiB)."
        )
    print(
        f"Targets: settled warm within {WARM_TARGET}x the trivial page, cold within "
        f"{COLD_TARGET}x. x = ratio to the trivial page measured beside it; script s = the "
        "page script's runs in the server during the load (cold, warm), timed in the server."
    )
    print(HEADER)
    for row in results["pages"]:
        print(f"{row['page']:<22}{row['error']}" if "error" in row else _line(row))
    met = [r["page"] for r in results["pages"] if r.get("ok")]
    print(f"Meet both targets: {', '.join(met) if met else 'none'}.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=3, help="medians of this many loads")
    parser.add_argument("--port", type=int, default=8631, help="first port to try")
    parser.add_argument(
        "--page", action="append", help="only this url path (repeatable), e.g. engineer"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/browser.json"))
    args = parser.parse_args(argv)
    # Stopped from outside, still stop the servers and the browser (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    missing = [str(w) for w in args.warehouse if not w.exists()]
    if missing:
        raise SystemExit(f"no warehouse at {', '.join(missing)}; `make bench` builds them.")
    runs = []
    for warehouse in args.warehouse:
        print(f"{warehouse}: {args.rounds} rounds per page", flush=True)
        runs.append(bench(warehouse, args.rounds, args.port, args.page))
    for results in runs:
        report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "viewport": VIEWPORT,
                "rounds": args.rounds,
                "warm_target": WARM_TARGET,
                "cold_target": COLD_TARGET,
                "runs": runs,
            },
            indent=2,
        )
    )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
