"""Pan frame time at county level with every layer on, in headless Chromium, for the screen paths we could take.

Each path draws the same view (county level, all guideline layers) from the atlas's own figure builder, then
pans it in small steps with `Plotly.relayout` (what a drag does), waiting for each step to be painted (the relayout
promise and two animation frames). Paths, run interleaved in one browser:
- `geo`: today's SVG `geo` figure on the light geometry;
- `geo LOD t`: the same figure with every polygon and line simplified to tolerance t degrees on the screen;
- `maplibre`: the same traces as MapLibre `choroplethmap`/`scattermap` (WebGL; software GL here, no GPU).
The budget is 33 ms a frame (30 fps). Figures are medians over the steps of all rounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import plotly
import plotly.io as pio
import shapely
from _report import table
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
GEO_BUNDLE = REPO / "dashboard" / "assets" / "vendor" / "plotly-geo.min.js"
FULL_BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TOPOJSON = REPO / "dashboard" / "assets" / "topojson"
BUDGET_MS = 33.0
#: A MapLibre style with no outside request (see PLATFORM-NOTES: keep the dummy source).
BLANK_STYLE = {
    "version": 8,
    "sources": {"none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "bg", "type": "background", "paint": {"background-color": "#f1f3f5"}}],
}
PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{bundle}"></script></head>
<body style="margin:0"><div id="map" style="width:1600px;height:1000px"></div><script>
const figure = {figure};
window.drawn = Plotly.newPlot('map', figure.data, figure.layout, {{topojsonURL: "{topojson}"}}).then(() => true);
window.frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
window.pan = async function (steps, key) {{
  const gd = document.getElementById('map'), times = [];
  const lon0 = gd._fullLayout[key].center.lon, lat0 = gd._fullLayout[key].center.lat;
  for (let i = 1; i <= steps; i++) {{
    const t0 = performance.now(), change = {{}};
    change[key + '.center.lon'] = lon0 + 0.15 * Math.sin(i / 3);
    change[key + '.center.lat'] = lat0 + 0.1 * Math.cos(i / 3);
    await Plotly.relayout(gd, change);
    await window.frame();
    times.push(performance.now() - t0);
  }}
  return times;
}};
</script></body></html>"""


def county_figure() -> dict:
    """The atlas's own screen figure: county level, every guideline layer, as plain JSON."""
    from dashboard.figures.screen import map_figure
    from dashboard.view.state import ViewState
    from geodata import load_atlas
    from geodata.layers import LAYER_IDS

    figure = map_figure(load_atlas(), ViewState(layers=LAYER_IDS, level="county"))
    return json.loads(pio.to_json(figure, validate=False))


def simplify_line(lon: list, lat: list, tolerance: float) -> tuple[list, list]:
    """Each None-separated part of a line trace simplified (kept as it is where too short to simplify)."""
    out_lon: list = []
    out_lat: list = []
    part: list = []
    for x, y in [*zip(lon, lat, strict=True), (None, None)]:
        if x is None:
            if len(part) > 2:
                part = list(shapely.LineString(part).simplify(tolerance).coords)
            out_lon += [p[0] for p in part] + [None]
            out_lat += [p[1] for p in part] + [None]
            part = []
        else:
            part.append((x, y))
    return out_lon, out_lat


def screen_lod(figure: dict, tolerance: float) -> dict:
    """The figure with its polygons and lines simplified to `tolerance` degrees."""
    figure = json.loads(json.dumps(figure))
    for trace in figure["data"]:
        if trace.get("type") == "choropleth" and "geojson" in trace:
            for feature in trace["geojson"]["features"]:
                simple = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
                feature["geometry"] = mapping(simple)
        elif trace.get("type") == "scattergeo" and "lines" in trace.get("mode", "") and trace.get("lon"):
            trace["lon"], trace["lat"] = simplify_line(trace["lon"], trace["lat"], tolerance)
    return figure


def as_maplibre(figure: dict) -> dict:
    """The same traces as MapLibre traces on a blank offline style, centred where the geo view is."""
    figure = json.loads(json.dumps(figure))
    for trace in figure["data"]:
        trace["type"] = {"choropleth": "choroplethmap", "scattergeo": "scattermap"}.get(trace.get("type"), "scattermap")
        for key in ("unselected", "textfont", "textposition") if trace["type"] == "choroplethmap" else ():
            trace.pop(key, None)
        if trace["type"] == "scattermap":
            marker = trace.get("marker", {})
            marker.pop("line", None)
            marker.pop("symbol", None)
            trace.pop("unselected", None)
            line = trace.get("line", {})
            line.pop("dash", None)
    geo = figure["layout"].pop("geo", {})
    lon = geo.get("lonaxis", {}).get("range", [108, 120])
    lat = geo.get("lataxis", {}).get("range", [24, 37])
    figure["layout"]["map"] = {
        "style": BLANK_STYLE,
        "center": {"lon": sum(lon) / 2, "lat": sum(lat) / 2},
        "zoom": 4.6,
    }
    return figure


def chromium() -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000",
        "--no-first-run", "--disable-background-networking", "--allow-file-access-from-files",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-unsafe-swiftshader",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    driver.set_script_timeout(180)
    return driver


def frame_times(driver: object, page: Path, *, key: str, steps: int) -> list[float]:
    driver.get(page.as_uri())
    driver.execute_async_script("const done = arguments[0]; window.drawn.then(done, e => done(String(e)));")
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        " window.pan(3, arguments[0]).then(done, e => done('error: ' + e));",
        key,
    )  # warm
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        " window.pan(arguments[0], arguments[1]).then(done, e => done('error: ' + e));",
        steps,
        key,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench_pan.py", description=__doc__)
    parser.add_argument("--steps", type=int, default=30, help="pan steps per path per round (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 round of 15 steps")
    args = parser.parse_args(argv)
    steps, rounds = (15, 1) if args.quick else (args.steps, args.rounds)
    base = county_figure()
    vertices = sum(len(t.get("lon") or []) for t in base["data"])
    paths = {
        "geo": (base, GEO_BUNDLE, "geo"),
        "geo LOD 0.02": (screen_lod(base, 0.02), GEO_BUNDLE, "geo"),
        "geo LOD 0.05": (screen_lod(base, 0.05), GEO_BUNDLE, "geo"),
        "maplibre": (as_maplibre(base), FULL_BUNDLE, "map"),
    }
    from selenium.common.exceptions import TimeoutException

    times: dict[str, list[float]] = {name: [] for name in paths}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        pages = {}
        for index, (name, (figure, bundle, _)) in enumerate(paths.items()):
            page = Path(folder) / f"path{index}.html"
            html = PAGE.format(bundle=bundle.as_uri(), figure=json.dumps(figure), topojson=TOPOJSON.as_uri() + "/")
            page.write_text(html, encoding="utf-8")
            pages[name] = page
        driver = chromium()
        try:
            for _ in range(rounds):
                for name, (_, _, key) in paths.items():
                    try:
                        found = frame_times(driver, pages[name], key=key, steps=steps)
                    except TimeoutException:
                        found = "no frame within the script timeout"
                    if isinstance(found, str):  # the page's own error (or the timeout): that path is left out
                        failed[name] = found
                    else:
                        times[name] += found
        finally:
            driver.quit()
    for name, reason in failed.items():
        print(f"{name}: {reason}")
        times.pop(name, None)
    today = statistics.median(times["geo"])
    print(f"pan at county level, all layers, {rounds} round(s) x {steps} steps, {vertices:,} line vertices today")
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        rows.append(
            {
                "path": name,
                "median ms": median,
                "p90 ms": p90,
                "ratio": median / today,
                "fps": 1000 / median,
                "within 33 ms": "yes" if median <= BUDGET_MS else "no",
            }
        )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
