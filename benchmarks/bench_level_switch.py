"""Level switch in headless Chromium: click on "county" to the map drawn with the counties, this checkout vs baseline.

Both apps are served side by side (`python -m dashboard` on 127.0.0.1, see bench_first_map.py); runs alternate.
Each run loads the page, waits for the first map, then clicks the county level control and times, in the page,
from the click to the `plotly_afterplot` event after which the map holds the county polygons (more than 700
choropleth paths: the 703 counties of the six provinces). The budget is 0.5 s; the ratio is this / baseline.
The first switch of each server (FIRST_AFTER_S after it answered: what the app's warm-up has had time to build)
is reported on its own row; the interleaved runs follow it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _baseline import BASELINE_REF, worktree
from _report import table
from bench_first_map import REPO, chromium, served, wait_until_drawn

BUDGET_S = 0.5
#: Seconds between a server's first answer and its first page load (a planner arrives after the server is up).
FIRST_AFTER_S = 8.0
#: The baseline worktree kept for this round's side-by-side figures (made once; used, never changed, if present).
#: Counties drawn: the county level's choropleth paths (the prefecture level draws under 400 paths in all).
COUNTY_PATHS = 700
VERBOSE = False
CLICK_JS = """
const done = arguments[arguments.length - 1];
const gd = document.querySelector('#atlas-map .js-plotly-plot');
const input = document.querySelector('#atlas-level input[value="county"]');
if (!gd || !input) { done('error: no map or no county control'); return; }
const counties = () => gd.querySelectorAll('path.choroplethlocation').length > arguments[0];
let t0 = 0;
const finish = () => {
  if (!counties()) return;
  gd.removeListener('plotly_afterplot', finish);
  const calls = performance.getEntriesByType('resource')
    .filter(e => e.startTime >= t0 && e.name.includes('_dash-update'))
    .map(e => [e.startTime - t0, e.responseStart - t0, e.responseEnd - t0, e.encodedBodySize]);
  done([performance.now() - t0, calls]);
};
gd.on('plotly_afterplot', finish);
setTimeout(() => done('error: no county map within 60 s'), 60000);
t0 = performance.now();
input.click();
"""


def level_switch(driver: object, url: str) -> float:
    """Seconds from the click on the county control to the county map drawn, for one fresh page."""
    driver.get(url + "/")
    wait_until_drawn(driver, url, prog="bench_level_switch", poll_s=0.05)
    time.sleep(1.0)  # let the first map's follow-up callbacks (labels, legend, translate) settle
    driver.set_script_timeout(90)
    found = driver.execute_async_script(CLICK_JS, COUNTY_PATHS)
    if isinstance(found, str):
        raise SystemExit(f"bench_level_switch: {url}: {found}")
    if VERBOSE:
        print(url, round(found[0]), [[round(x) for x in call] for call in found[1]])
    return float(found[0]) / 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench_level_switch.py", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="switches per side (default 7)")
    parser.add_argument("--baseline", default=BASELINE_REF, help=f"git ref of today's path (default {BASELINE_REF})")
    parser.add_argument("--window", default="1600,1000", help="browser window size (default 1600,1000)")
    parser.add_argument("--quick", action="store_true", help="3 runs per side")
    parser.add_argument("--verbose", action="store_true", help="print each run's callback requests (start, end, bytes)")
    args = parser.parse_args(argv)
    global VERBOSE
    VERBOSE = args.verbose
    runs = 3 if args.quick else args.runs
    times: dict[str, list[float]] = {"baseline": [], "this": []}
    with worktree(args.baseline) as old, served(old) as old_url, served(REPO) as new_url:
        driver = chromium(args.window)
        try:
            time.sleep(FIRST_AFTER_S)
            first = {"baseline": level_switch(driver, old_url), "this": level_switch(driver, new_url)}
            for _ in range(runs):
                for side, url in (("baseline", old_url), ("this", new_url)):
                    times[side].append(level_switch(driver, url))
        finally:
            driver.quit()
    base, this = statistics.median(times["baseline"]), statistics.median(times["this"])
    print(f"level switch to county, click to drawn, {runs} interleaved runs per side, baseline {args.baseline}")
    rows = [
        {
            "measure": "first switch of a fresh server (s)",
            "baseline": first["baseline"],
            "this": first["this"],
            "ratio": first["this"] / first["baseline"],
        },
        {"measure": "click to county map (s, median)", "baseline": base, "this": this, "ratio": this / base},
        {
            "measure": "click to county map (s, max)",
            "baseline": max(times["baseline"]),
            "this": max(times["this"]),
            "ratio": max(times["this"]) / max(times["baseline"]),
        },
    ]
    print(table(rows))
    verdict = {True: "yes", False: "no"}
    print(f"within {BUDGET_S} s: {verdict[this <= BUDGET_S]} (first switch: {verdict[first['this'] <= BUDGET_S]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
