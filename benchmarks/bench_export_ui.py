"""Export from the UI in headless Chromium: click on Export to progress shown, and to the file on disk.

Both this tree and the round's baseline (a checkout of 2f51c46: a temporary worktree by default) are served with
`python -m dashboard` on 127.0.0.1, the export cache off (ATLAS_CACHE_TYPE=NullCache: every click draws), and
clicked in turns. For each click of the panel's download link (default view, slide PNG):
- progress: from the click event to the first text in the export status line (measured in the page);
- file: from the click to the downloaded file complete in the download folder (measured here).
One click per side warms its server first (browser start, data load). Figures are medians.
Run: PYTHONPATH=. python benchmarks/bench_export_ui.py [--baseline CHECKOUT] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _baseline import add_baseline_option, baseline_tree
from _report import table
from bench_first_map import DRAWN_JS, chromium, served

REPO = Path(__file__).resolve().parents[1]
LINK = "atlas-export-link"
STATUS = "atlas-export-status"
TIMEOUT_S = 120.0
#: Records the click and the first text of the status line, on the page's own clock.
WATCH_JS = """
window.__atlasClick = null; window.__atlasProgress = null;
document.addEventListener("click", () => { window.__atlasClick = performance.now(); }, {capture: true, once: true});
const status = document.getElementById(arguments[0]);
if (status) {
    status.textContent = "";
    new MutationObserver((changes, observer) => {
        if (status.textContent.trim() && window.__atlasProgress === null) {
            window.__atlasProgress = performance.now(); observer.disconnect();
        }
    }).observe(status, {childList: true, characterData: true, subtree: true});
}
"""
READY_JS = "const a = document.getElementById(arguments[0]); return !!(a && a.getAttribute('href'));"


@contextlib.contextmanager
def uncached() -> Iterator[None]:
    """Serve with the export cache off, so each click is a warm render, not a cache hit."""
    saved = os.environ.get("ATLAS_CACHE_TYPE")
    os.environ["ATLAS_CACHE_TYPE"] = "NullCache"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("ATLAS_CACHE_TYPE", None)
        else:
            os.environ["ATLAS_CACHE_TYPE"] = saved


def open_page(url: str, *, downloads: Path) -> object:
    """A headless Chromium on the atlas, saving downloads to `downloads`, once the map and the link are ready."""
    driver = chromium("1600,1000")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.get(url + "/")
    deadline = time.monotonic() + TIMEOUT_S
    while not (driver.execute_script(DRAWN_JS) and driver.execute_script(READY_JS, LINK)):
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_export_ui: error: no map or export link at {url} within {TIMEOUT_S:g} s")
        time.sleep(0.05)
    return driver


def finished_file(folder: Path) -> Path | None:
    """The downloaded file, once Chromium has finished writing it."""
    files = [path for path in folder.iterdir() if not path.name.endswith((".crdownload", ".tmp"))]
    partial = [path for path in folder.iterdir() if path.name.endswith(".crdownload")]
    return files[0] if files and not partial and files[0].stat().st_size > 0 else None


def click_export(driver: object, *, downloads: Path) -> tuple[float | None, float, int]:
    """(seconds click to progress shown or None, seconds click to file on disk, file bytes) of one click."""
    for path in downloads.iterdir():
        path.unlink()
    driver.execute_script(WATCH_JS, STATUS)
    link = driver.find_element("id", LINK)
    started = time.perf_counter()
    driver.execute_script("arguments[0].click();", link)  # the panel may be folded: the link's own click
    deadline = started + TIMEOUT_S
    while (done := finished_file(downloads)) is None:
        if time.perf_counter() > deadline:
            raise SystemExit(f"bench_export_ui: error: no file within {TIMEOUT_S:g} s")
        time.sleep(0.01)
    file_s = time.perf_counter() - started
    clicked, shown = driver.execute_script("return [window.__atlasClick, window.__atlasProgress];")
    progress = (shown - clicked) / 1000 if clicked is not None and shown is not None else None
    return progress, file_s, done.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench_export_ui.py", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="measured clicks per side (default 5)")
    add_baseline_option(parser, skippable=False)
    args = parser.parse_args(argv)
    results: dict[str, dict[str, list]] = {side: {"progress": [], "file": [], "bytes": []} for side in ("base", "this")}
    folders = {side: Path(tempfile.mkdtemp(prefix=f"atlas-ui-{side}-")) for side in results}
    drivers: dict[str, object] = {}
    try:
        with uncached(), baseline_tree(args.baseline or None) as base, served(base) as old_url, served(REPO) as new_url:
            for side, url in (("base", old_url), ("this", new_url)):
                drivers[side] = open_page(url, downloads=folders[side])
                click_export(drivers[side], downloads=folders[side])  # warm: browser start, data, caches
            for _ in range(args.runs):
                for side in results:
                    progress, file_s, size = click_export(drivers[side], downloads=folders[side])
                    results[side]["progress"].append(progress)
                    results[side]["file"].append(file_s)
                    results[side]["bytes"].append(size)
    finally:
        for driver in drivers.values():
            driver.quit()
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
    print(report(results, runs=args.runs))
    return 0


def median_or_none(values: list) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if len(known) == len(values) and known else None


def report(results: dict, *, runs: int) -> str:
    """The table and the targets."""
    rows = []
    for measure, key in (("click -> progress shown (s)", "progress"), ("click -> file on disk (s)", "file")):
        base, this = median_or_none(results["base"][key]), median_or_none(results["this"][key])
        rows.append(
            {
                "measure": measure,
                "base": "none shown" if base is None else f"{base:.3f}",
                "this": "none shown" if this is None else f"{this:.3f}",
                "speed-up": f"{base / this:.1f}x" if base and this else "-",
            }
        )
    this_file, this_progress = median_or_none(results["this"]["file"]), median_or_none(results["this"]["progress"])
    progress_met = this_progress is not None and this_progress <= 0.1
    file_met = this_file is not None and this_file <= 1.5
    lines = [
        f"Export from the UI: default view, slide PNG, cache off, {runs} clicks per side in turns (medians);",
        "base = the round's baseline commit 2f51c46. Headless Chromium, 127.0.0.1.",
        "",
        table(rows),
        "",
        f"File bytes: base {results['base']['bytes'][-1]:,}, this {results['this']['bytes'][-1]:,}",
        f"Progress at once (target: shown within 0.1 s): {'met' if progress_met else 'NOT met'}",
        f"Warm slide PNG file within 1.5 s of the click (target): {'met' if file_met else 'NOT met'}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
