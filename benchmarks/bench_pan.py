"""Pan frame time at county level with every layer on, in headless Chromium, for the screen paths we could take.

Each path draws the same view (county level, all guideline layers, the physical context on) from the atlas's own
figure builder, then pans it in small steps two ways, waiting for each step to be painted (two animation frames):
`drag`, one mouse move on the geo subplot per animation frame as a user's drag sends them, timed as the gap
between frames (16.7 ms when a frame's work fits in a 60 Hz frame), and `relayout`, one `Plotly.relayout` of the
centre per step until it is painted (two animation frames: at least 33.3 ms; what a patch or a linked view does).
Paths, run interleaved in one browser:
- `geo light`: the SVG `geo` figure on the light files (before the screen LOD);
- `geo LOD (built)`: today's figure: the screen LOD boundaries of `python -m geodata.build` (0.025 deg);
- `geo LOD + gesture frames (the app)`: the same with the app's `assets/gesture.js` (the path the app takes): during
  a drag or a wheel turn the drawn layers move as one composited transform (a translation, a scaling about the
  cursor: exactly what the redraw at the gesture's end then draws);
- `... borders as lines`: unit fills without stroke, each shared border drawn once in one line trace;
- `... fewer traces`: outlines of a layer and rivers of one style merged into one trace each;
- `... no labels`: the labels trace left out (how much of a frame the text costs);
- `geo ad hoc 0.05`: every polygon and line of today's figure simplified again to 0.05 deg (not coverage-safe);
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
#: The app's own gesture frames (one transform of the drawn layers per frame, the real redraw at the end).
GESTURE_JS = REPO / "dashboard" / "assets" / "gesture.js"
FULL_BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TOPOJSON = REPO / "dashboard" / "assets" / "topojson"
BUDGET_MS = 33.0
#: A MapLibre style with no outside request (see PLATFORM-NOTES: keep the dummy source).
BLANK_STYLE = {
    "version": 8,
    "sources": {"none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "bg", "type": "background", "paint": {"background-color": "#f1f3f5"}}],
}
PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{bundle}"></script>{extra}</head>
<body style="margin:0"><div id="map" style="width:1600px;height:1000px"></div><script>
const figure = {figure};
window.drawn = Plotly.newPlot('map', figure.data, figure.layout, {{topojsonURL: "{topojson}"}}).then(() => true);
window.frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
window.drag = function (steps, key) {{
  // One mouse move per animation frame, as a drag sends them; a frame's time is the gap between two frames
  // (16.7 ms at 60 fps when the frame's work fits, longer when the projection or the paint does not).
  const gd = document.getElementById('map');
  const bg = gd.querySelector('.geo .layer.bg rect');
  if (!bg) return Promise.resolve('error: no geo drag surface');
  const box = bg.getBoundingClientRect();
  let x = box.left + box.width / 2, y = box.top + box.height / 2;
  const fire = (target, type) => target.dispatchEvent(new MouseEvent(type, {{
    clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0, buttons: 1}}));
  return new Promise((resolve) => {{
    const stamps = [];
    fire(bg, 'mousedown');
    const step = (now) => {{
      stamps.push(now);
      if (stamps.length > steps) {{
        fire(document, 'mouseup');
        resolve(stamps.slice(1).map((t, i) => t - stamps[i]));
        return;
      }}
      x += 8 * Math.sin(stamps.length / 3);
      y += 5 * Math.cos(stamps.length / 3);
      fire(document, 'mousemove');
      requestAnimationFrame(step);
    }};
    requestAnimationFrame(step);
  }});
}};
window.wheel = function (steps, key) {{
  // One wheel notch per animation frame over the map's centre, zooming in then out; timed as `drag` is.
  const gd = document.getElementById('map');
  const bg = gd.querySelector('.geo .layer.bg rect');
  if (!bg) return Promise.resolve('error: no geo drag surface');
  const box = bg.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  return new Promise((resolve) => {{
    const stamps = [];
    const step = (now) => {{
      stamps.push(now);
      if (stamps.length > steps) {{
        resolve(stamps.slice(1).map((t, i) => t - stamps[i]));
        return;
      }}
      bg.dispatchEvent(new WheelEvent('wheel', {{clientX: x, clientY: y, deltaY: stamps.length <= steps / 2 ? -40 : 40,
        deltaMode: 0, bubbles: true, cancelable: true, view: window}}));
      requestAnimationFrame(step);
    }};
    requestAnimationFrame(step);
  }});
}};
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


def county_figure(*, lod: bool = True) -> dict:
    """The atlas's own screen figure: county level, every guideline layer and the context, as plain JSON.

    `lod=False`: drawn from the light files, as before the screen LOD.
    """
    from unittest import mock

    from dashboard.figures.screen import map_figure_data
    from dashboard.view.scene import resolve
    from dashboard.view.state import ViewState
    from geodata import load_atlas, screen_lod
    from geodata.layers import LAYER_IDS

    view = ViewState(layers=LAYER_IDS, level="county", context=("relief", "lakes", "rivers"))
    with mock.patch.object(screen_lod, "LOD_MAX_SCALE", screen_lod.LOD_MAX_SCALE if lod else 0.0):
        figure = map_figure_data(load_atlas(), resolve(view))
    return json.loads(pio.to_json(figure, validate=False))


def _lines(geoms: list) -> tuple[list, list]:
    """Lon and lat of some lines, parts separated by None."""
    lon: list = []
    lat: list = []
    for part in shapely.get_parts(geoms):
        xy = shapely.get_coordinates(part)
        lon += [*xy[:, 0].tolist(), None]
        lat += [*xy[:, 1].tolist(), None]
    return lon, lat


def borders_as_lines(figure: dict) -> dict:
    """Unit fills without stroke and every shared border drawn once, as one line trace above the fills."""
    figure = json.loads(json.dumps(figure))
    data = figure["data"]
    index = next(i for i, t in enumerate(data) if t["meta"]["role"] == "units")
    units = data[index]
    shapes = [shape(f["geometry"]) for f in units["geojson"]["features"]]
    borders = shapely.line_merge(shapely.union_all(shapely.boundary(shapes)))  # shared edges once
    lon, lat = _lines(list(shapely.get_parts(borders)))
    line = units["marker"]["line"]
    units["marker"]["line"] = {"color": line["color"], "width": 0}
    border = {"type": "scattergeo", "mode": "lines", "lon": lon, "lat": lat, "line": dict(line),
              "hoverinfo": "skip", "showlegend": False, "meta": {"role": "borders"}}  # fmt: skip
    data.insert(index + 1, border)
    return figure


def fewer_traces(figure: dict) -> dict:
    """Line traces of one role, layer and style (outlines, rivers) merged into one trace each."""
    figure = json.loads(json.dumps(figure))
    merged: dict[tuple, dict] = {}
    out = []
    for trace in figure["data"]:
        role = trace["meta"]["role"]
        if role in ("outline", "rivers") and trace.get("visible", True) is not False:
            key = (role, trace["meta"].get("layer"), json.dumps(trace.get("line"), sort_keys=True))
            if key in merged:
                merged[key]["lon"] += trace["lon"]
                merged[key]["lat"] += trace["lat"]
                continue
            merged[key] = trace
        out.append(trace)
    figure["data"] = out
    return figure


def without_labels(figure: dict) -> dict:
    """The figure without its labels trace."""
    return {**figure, "data": [t for t in figure["data"] if t["meta"]["role"] != "labels"]}


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


def figure_vertices(figure: dict) -> int:
    """Vertices the browser projects for the visible traces: polygon rings and line points."""
    count = 0
    for trace in figure["data"]:
        if trace.get("visible", True) is False:
            continue
        if trace.get("geojson"):
            count += sum(len(shapely.get_coordinates(shape(f["geometry"]))) for f in trace["geojson"]["features"])
        count += sum(1 for x in trace.get("lon") or [] if x is not None)
    return count


MODES = ("drag", "wheel", "relayout")
#: After a gesture: its end's redraw (and a gesture frame's landing, 600 ms) is over before the next one starts.
SETTLE = "setTimeout(arguments[0], 800)"
MODE_TITLES = {
    "drag": "mouse drag on the geo subplot, one move a frame (ms between frames)",
    "wheel": "wheel zoom on the geo subplot, one notch a frame (ms between frames)",
    "relayout": "Plotly.relayout of the centre, until painted (two frames: at least 33.3 ms)",
}
#: Paths whose page loads the app's gesture.js after Plotly.
GESTURE_PATHS = ("geo LOD + gesture frames (the app)",)


def frame_times(driver: object, page: Path, *, key: str, steps: int) -> dict[str, list[float]] | str:
    """Frame times of one page per mode (after a short warm-up of each), or the page's error."""
    driver.get(page.as_uri())
    driver.execute_async_script("const done = arguments[0]; window.drawn.then(done, e => done(String(e)));")
    call = (
        "const done = arguments[arguments.length - 1];"
        " window[arguments[0]](arguments[1], arguments[2]).then(done, e => done('error: ' + e));"
    )
    out: dict[str, list[float]] = {}
    for mode in MODES:
        function = {"drag": "drag", "wheel": "wheel"}.get(mode, "pan")
        if key != "geo" and mode in ("drag", "wheel"):
            continue  # the drag events here are the geo subplot's; MapLibre has its own handlers
        driver.execute_async_script(call, function, 3, key)  # warm
        driver.execute_async_script(SETTLE)
        found = driver.execute_async_script(call, function, steps, key)
        driver.execute_async_script(SETTLE)
        if isinstance(found, str):
            return found
        out[mode] = found
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench_pan.py", description=__doc__)
    parser.add_argument("--steps", type=int, default=30, help="pan steps per path per round (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 round of 15 steps")
    args = parser.parse_args(argv)
    steps, rounds = (15, 1) if args.quick else (args.steps, args.rounds)
    light = county_figure(lod=False)
    base = county_figure()
    lines = borders_as_lines(base)
    paths = {
        "geo light": (light, GEO_BUNDLE, "geo"),
        "geo LOD (built)": (base, GEO_BUNDLE, "geo"),
        "geo LOD + gesture frames (the app)": (base, GEO_BUNDLE, "geo"),
        "geo LOD, borders as lines": (lines, GEO_BUNDLE, "geo"),
        "geo LOD, fewer traces": (fewer_traces(base), GEO_BUNDLE, "geo"),
        "geo LOD, lines + fewer traces": (fewer_traces(lines), GEO_BUNDLE, "geo"),
        "geo LOD, no labels": (without_labels(base), GEO_BUNDLE, "geo"),
        "geo ad hoc 0.05": (screen_lod(base, 0.05), GEO_BUNDLE, "geo"),
        "maplibre": (as_maplibre(light), FULL_BUNDLE, "map"),
    }
    vertices = {name: figure_vertices(figure) for name, (figure, _, _) in paths.items()}
    from selenium.common.exceptions import TimeoutException

    times: dict[tuple[str, str], list[float]] = {(name, mode): [] for name in paths for mode in MODES}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        pages = {}
        for index, (name, (figure, bundle, _)) in enumerate(paths.items()):
            page = Path(folder) / f"path{index}.html"
            extra = f'<script src="{GESTURE_JS.as_uri()}"></script>' if name in GESTURE_PATHS else ""
            html = PAGE.format(
                bundle=bundle.as_uri(), extra=extra, figure=json.dumps(figure), topojson=TOPOJSON.as_uri() + "/"
            )
            page.write_text(html, encoding="utf-8")
            pages[name] = page
        driver = chromium()
        try:
            for _ in range(rounds):
                for name, (_, _, key) in paths.items():
                    if name in failed:
                        continue
                    try:  # MapLibre draws seconds a frame on software GL: a few steps tell
                        found = frame_times(driver, pages[name], key=key, steps=steps if key == "geo" else 5)
                    except TimeoutException:
                        found = "no frame within the script timeout"
                    if isinstance(found, str):  # the page's own error (or the timeout): that path is left out
                        failed[name] = found
                        continue
                    for mode, values in found.items():
                        times[(name, mode)] += values
        finally:
            driver.quit()
    for name, reason in failed.items():
        print(f"{name}: {reason}")
    times = {key: values for key, values in times.items() if values and key[0] not in failed}
    print(f"pan at county level, all layers and the context, {rounds} round(s) x {steps} steps per mode")
    for mode in MODES:
        today = times.get(("geo light", mode))
        rows = []
        for (name, found_mode), values in times.items():
            if found_mode != mode:
                continue
            median = statistics.median(values)
            p90 = sorted(values)[int(0.9 * (len(values) - 1))]
            rows.append(
                {
                    "path": name,
                    "vertices": vertices[name],
                    "median ms": median,
                    "p90 ms": p90,
                    "x geo light": median / statistics.median(today) if today else float("nan"),
                    "fps": 1000 / median,
                    "within 33 ms": "yes" if median <= BUDGET_MS else "no",
                }
            )
        print(f"\n{mode}: " + MODE_TITLES[mode])
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
