"""First drawn map in headless Chromium: this checkout against a baseline commit, served side by side, runs interleaved.

For each page load it records the time from navigation start until the map's SVG holds its drawn boundaries,
and the bytes on the wire (encoded, as the browser received them) until then. Both apps run on 127.0.0.1 with
`python -m dashboard`; the baseline is a temporary `git worktree` of `--baseline` (default: the commit before
this round's work, the tag-like ref given below). Figures are medians; the ratio is this / baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from _baseline import BASELINE_REF, worktree
from _report import table

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT_S = 120.0
DRAWN_JS = (
    "const g = document.querySelector('#atlas-map .js-plotly-plot');"
    "return !!(g && g._fullLayout && g.querySelectorAll('.geo path').length > 50)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(root: Path) -> Iterator[str]:
    """`python -m dashboard` from `root` on a free port, until the block ends."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "dashboard", "--host", HOST, "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://{HOST}:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    urllib.request.urlopen(url + "/", timeout=5).read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        tail = log.read()[-2000:].decode("utf-8", "replace")
                        raise SystemExit(f"bench_first_map: error: the app in {root} did not start:\n{tail}") from None
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def chromium(window: str) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={window}",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disk-cache-size=1", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"default_search_provider_data.template_url_data.new_tab_url": "about:blank"}
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    driver.set_page_load_timeout(120)
    return driver


def wait_until_drawn(driver: object, url: str, *, prog: str, poll_s: float) -> None:
    """Poll the loaded page every `poll_s` until its map holds drawn boundaries; exit with an error after 120 s."""
    deadline = time.monotonic() + 120
    while not driver.execute_script(DRAWN_JS):
        if time.monotonic() > deadline:
            raise SystemExit(f"{prog}: error: no map drawn at {url} within 120 s")
        time.sleep(poll_s)


def first_map(driver: object, url: str) -> tuple[float, int]:
    """(seconds from navigation start to the drawn map, bytes received until then) for one cold page load."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.get_log("performance")
    driver.get(url + "/")
    wait_until_drawn(driver, url, prog="bench_first_map", poll_s=0.02)
    seconds = driver.execute_script("return performance.now()") / 1000.0
    received = 0
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.loadingFinished":
            received += int(message["params"].get("encodedDataLength", 0))
    return seconds, received


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench_first_map.py", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="page loads per side (default 7)")
    parser.add_argument("--baseline", default=BASELINE_REF, help=f"git ref of today's path (default {BASELINE_REF})")
    parser.add_argument("--window", default="1600,1000", help="browser window size (default 1600,1000)")
    parser.add_argument("--quick", action="store_true", help="3 runs per side")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    times: dict[str, list[float]] = {"baseline": [], "this": []}
    sizes: dict[str, list[int]] = {"baseline": [], "this": []}
    with worktree(args.baseline) as old, served(old) as old_url, served(REPO) as new_url:
        driver = chromium(args.window)
        try:
            first_map(driver, old_url), first_map(driver, new_url)  # warm both servers' caches once
            for _ in range(runs):
                for side, url in (("baseline", old_url), ("this", new_url)):
                    seconds, received = first_map(driver, url)
                    times[side].append(seconds)
                    sizes[side].append(received)
        finally:
            driver.quit()
    base_t, this_t = statistics.median(times["baseline"]), statistics.median(times["this"])
    base_b, this_b = statistics.median(sizes["baseline"]), statistics.median(sizes["this"])
    print(
        f"first drawn map, {runs} interleaved cold page loads per side, window {args.window}, baseline {args.baseline}"
    )
    print(
        table(
            [
                {
                    "measure": "first drawn map (s, median)",
                    "baseline": base_t,
                    "this": this_t,
                    "ratio": this_t / base_t,
                },
                {
                    "measure": "first drawn map (s, max)",
                    "baseline": max(times["baseline"]),
                    "this": max(times["this"]),
                    "ratio": max(times["this"]) / max(times["baseline"]),
                },
                {
                    "measure": "bytes on the wire (MB)",
                    "baseline": base_b / 1e6,
                    "this": this_b / 1e6,
                    "ratio": this_b / base_b,
                },
            ]
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
