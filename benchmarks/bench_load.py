"""Load test on 127.0.0.1: locust planners draw, toggle, switch level, pan, search and read details on 1 worker.

The same users run against this checkout and the baseline checkout (--baseline; default: a temporary worktree), each
without and with PNG exports in the mix, so the table shows what exports cost the interactive requests.

The mix, per visit of one simulated planner (think times 0.3-1.5 s between actions, 1-3 s between visits):
the page (/, layout, dependencies; scripts and styles are cached by a real browser), the map drawn for the default
view with its details, then 6 actions drawn with these weights: toggle a layer 3 (map patch and details), switch
the level 1 (a new figure), pan and zoom to a place of the atlas 2, search 2 (2-4 keystrokes of a place name,
one callback each), select the place found 1 (details and map). One user is a health probe (GET /healthz each
second, as a load balancer does). With exports, each visit ends in one 800x600 PNG of 8 possible files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from _baseline import add_baseline_option, baseline_tree
from _report import table

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never anything else: this drives real load
START_TIMEOUT_S = 90.0
#: Seconds to wait for the worker's boot-time export warm-up to finish before measuring (it competes for the CPU).
PREFILL_TIMEOUT_S = 180.0
PREFILLED = "export cache prefilled"
#: The browser window the simulated users report to the map callback (the panel the clientside callback measures).
WINDOW = {"width": 960, "height": 823}
#: What the renderer posts for `render_map` (recorded from Chromium: Output atlas-map.figure and atlas-drawn.data,
#: Input atlas-sized-view.data, State atlas-drawn.data; the state's "value" is left out while nothing is drawn).
MAP_OUTPUT = "..atlas-map.figure...atlas-drawn.data.."
DETAILS_OUTPUT = "atlas-details.children"
SEARCH_OUTPUT = "atlas-search.options"
EXPORT_SIZE = "800x600"
#: Exports vary over a few layers and both languages: 8 different files, so some are drawn and most come from the cache.
EXPORT_LAYERS = ("logistics_hubs", "innovation_centres", "transfer_zones", "metro_circles")
LANGS = ("en", "zh")
LEVELS = ("province", "prefecture", "county")
#: Zoom factors a planner pans to (the view's scale; 1 is the fitted region).
SCALES = (1.5, 2.0, 3.0)
#: Actions after the first draw, with their weights.
ACTIONS = {"toggle": 3, "level": 1, "pan": 2, "search": 2, "select": 1}
ACTIONS_PER_VISIT = 6
#: Seconds a planner thinks between actions, between keystrokes, and between visits (uniform in each range).
THINK_S, TYPE_S, VISIT_WAIT_S = (0.3, 1.5), (0.1, 0.3), (1.0, 3.0)
#: Keystrokes of one search (uniform whole numbers in this range), each one callback.
SEARCH_KEYS = (1, 3)
PAGE = ("GET /", "GET /_dash-layout", "GET /_dash-dependencies")
INTERACTIVE = (
    *PAGE,
    "POST map draw",
    "POST map patch",
    "POST map level",
    "POST details",
    "POST search",
    "GET /healthz",
)
EXPORT = "GET export png"
ORDER = (*INTERACTIVE, EXPORT)
TOTAL = "all requests"
INTERACTIVE_ALL = "interactive (all but exports)"
ERRORS = "errors"
#: The goals of issue 14 for 1 worker.
GOAL_RPS, GOAL_P95_MS, GOAL_EXPORT_RATIO = 50.0, 600, 2.0


@dataclass(frozen=True)
class Tree:
    """A checkout to serve: its folder, its gunicorn settings file, and whether it has server-side search."""

    label: str
    root: Path
    conf: str
    search: bool


def tree_at(label: str, root: Path) -> Tree:
    """The checkout at `root` (the baseline keeps gunicorn_conf.py at dashboard/, today's under dashboard/server/)."""
    conf = "dashboard/server/gunicorn_conf.py"
    if not (root / conf).is_file():
        conf = "dashboard/gunicorn_conf.py"
    search = (root / "dashboard/ui/search.py").is_file()
    return Tree(label=label, root=root, conf=conf, search=search)


#: Prints the checkout's default view as JSON (today's ViewState lives in dashboard.view.state, the baseline's in
#: dashboard.state): each tree is sent views it knows.
DEFAULT_VIEW = """
import json
try:
    from dashboard.view.state import ViewState
except ImportError:
    from dashboard.state import ViewState
print(json.dumps(ViewState().to_dict()))
"""


def default_view_of(tree: Tree) -> dict:
    """The default view of the checkout, from a fresh interpreter in it."""
    env = {**os.environ, "PYTHONPATH": str(tree.root)}
    done = subprocess.run(
        [sys.executable, "-c", DEFAULT_VIEW], cwd=tree.root, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_locust() -> ModuleType:
    """locust, gevent-patched first; locust 2.47 imports urllib3 2's `urllib3.util.create_urllib3_context`.

    selenium 4.2 (the browser tests) holds urllib3 at 1.26, where the same function lives in `urllib3.util.ssl_`.
    """
    from gevent import monkey

    monkey.patch_all()
    with warnings.catch_warnings():  # urllib3 1.26 warns that selenium's urllib3[secure] extra is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        import urllib3.util
        import urllib3.util.ssl_

    if not hasattr(urllib3.util, "create_urllib3_context"):
        urllib3.util.create_urllib3_context = urllib3.util.ssl_.create_urllib3_context
    import locust

    return locust


def free_port() -> int:
    """A local TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def worker_pids(base: str, *, want: int) -> set[int]:
    """Poll /healthz until `want` different workers answered (each loads the app itself)."""
    pids: set[int] = set()
    deadline = time.monotonic() + START_TIMEOUT_S
    while len(pids) < want and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                pids.add(json.load(response)["pid"])
        except OSError:
            time.sleep(0.3)
    return pids


def wait_for_prefill(log: Path, *, timeout: float) -> bool:
    """Whether the worker logged that its boot-time export warm-up is done (False for a tree without one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if PREFILLED in log.read_text(errors="replace"):
            return True
        time.sleep(0.5)
    return False


@contextmanager
def serve(tree: Tree, *, workers: int, scratch: Path) -> Iterator[str]:
    """gunicorn for `tree` on 127.0.0.1 with a fresh file cache under `scratch`; stopped (and its browsers) on exit."""
    port = free_port()
    env = {**os.environ, "ATLAS_CACHE_TYPE": "FileSystemCache", "ATLAS_CACHE_DIR": str(scratch / "cache")}
    env |= {"ATLAS_UPLOAD_DIR": str(scratch / "uploads"), "TMPDIR": str(scratch), "PYTHONPATH": str(tree.root)}
    command = [sys.executable, "-m", "gunicorn", "-c", tree.conf, "--workers", str(workers)]
    command += ["--bind", f"{HOST}:{port}", "--no-control-socket", "dashboard.wsgi:server"]
    log = scratch / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tree.root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://{HOST}:{port}"
        if len(worker_pids(base, want=workers)) < workers:
            raise RuntimeError(f"gunicorn did not bring up {workers} workers; see {log}")
        if (tree.root / tree.conf).read_text().count(PREFILLED):
            wait_for_prefill(log, timeout=PREFILL_TIMEOUT_S)
        yield base
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End a started server: SIGTERM, then SIGKILL after a minute."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def sized_view(view: dict) -> dict:
    """atlas-sized-view.data as the clientside callback builds it: the view and the panel size."""
    return {"view": view, **WINDOW}


def map_payload(sized: dict, drawn: dict | None) -> dict:
    """The JSON body Dash's renderer posts to /_dash-update-component for `render_map`."""
    state = {"id": "atlas-drawn", "property": "data"}
    if drawn is not None:
        state["value"] = drawn
    return {
        "output": MAP_OUTPUT,
        "outputs": [{"id": "atlas-map", "property": "figure"}, {"id": "atlas-drawn", "property": "data"}],
        "inputs": [{"id": "atlas-sized-view", "property": "data", "value": sized}],
        "changedPropIds": ["atlas-sized-view.data"],
        "parsedChangedPropsIds": ["atlas-sized-view.data"],
        "state": [state],
    }


def details_payload(view: dict) -> dict:
    """The body for `render_details` (Output atlas-details.children, Input atlas-view.data)."""
    return {
        "output": DETAILS_OUTPUT,
        "outputs": {"id": "atlas-details", "property": "children"},
        "inputs": [{"id": "atlas-view", "property": "data", "value": view}],
        "changedPropIds": ["atlas-view.data"],
        "parsedChangedPropsIds": ["atlas-view.data"],
        "state": [],
    }


def search_payload(text: str, *, lang: str) -> dict:
    """The body for `search_places` (Inputs atlas-search.search_value and atlas-lang.value, State the options)."""
    return {
        "output": SEARCH_OUTPUT,
        "outputs": {"id": "atlas-search", "property": "options"},
        "inputs": [
            {"id": "atlas-search", "property": "search_value", "value": text},
            {"id": "atlas-lang", "property": "value", "value": lang},
        ],
        "changedPropIds": ["atlas-search.search_value"],
        "parsedChangedPropsIds": ["atlas-search.search_value"],
        "state": [{"id": "atlas-search", "property": "options", "value": []}],
    }


def toggled(view: dict, layer: str, *, layer_ids: tuple[str, ...]) -> dict:
    """The view with one layer switched on or off (layers kept in the atlas's canonical order)."""
    layers = set(view["layers"]) ^ {layer}
    return {**view, "layers": [x for x in layer_ids if x in layers]}


@dataclass(frozen=True)
class Atlas:
    """What the users pick from: the default view, the layers, and places (id, English name, lon, lat) of the atlas."""

    default_view: dict
    layer_ids: tuple[str, ...]
    places: tuple[tuple[str, str, float, float], ...]


def atlas_choices(*, default_view: dict) -> Atlas:
    """The default view, the layer ids and every point feature of the bundled atlas (its own coordinates)."""
    from geodata import load_atlas
    from geodata.layers import LAYER_IDS

    features = load_atlas().features
    points = features[features.geometry.geom_type == "Point"]
    places = tuple(
        (str(row.feature_id), str(row.name_en), round(row.geometry.x, 4), round(row.geometry.y, 4))
        for row in points.itertuples()
        if isinstance(row.name_en, str) and len(row.name_en) >= 4
    )
    return Atlas(default_view=default_view, layer_ids=tuple(LAYER_IDS), places=places)


def paced(bounds: tuple[float, float], pace: float) -> tuple[float, float]:
    """A think time's range with every wait multiplied by `pace` (1 = the planners above)."""
    return bounds[0] * pace, bounds[1] * pace


def user_classes(
    locust: ModuleType, *, atlas: Atlas, tree: Tree, exports: Counter | None, pace: float = 1.0
) -> list[type]:
    """The planners (see the module's docstring) and one health probe; `exports` None leaves exports out.
    `pace` multiplies every think time (below 1: busier planners, to load the worker past what 20 people send)."""
    think, typing, between_visits = (paced(bounds, pace) for bounds in (THINK_S, TYPE_S, VISIT_WAIT_S))

    class Planner(locust.HttpUser):
        wait_time = locust.between(*between_visits)
        weight = 1

        @locust.task
        def visit(self) -> None:
            for path in ("/", "/_dash-layout", "/_dash-dependencies"):
                self.client.get(path, name=f"GET {path}")
            self.drawn = sized_view(atlas.default_view)
            self.update(map_payload(self.drawn, None), name="POST map draw", expect="atlas-map")
            self.update(details_payload(self.drawn["view"]), name="POST details", expect="atlas-details")
            names, weights = zip(*ACTIONS.items(), strict=True)
            for action in random.choices(names, weights=weights, k=ACTIONS_PER_VISIT):
                time.sleep(random.uniform(*think))
                getattr(self, action)()
            if exports is not None:
                self.export()

        def show(self, view: dict, *, name: str) -> None:
            """The map and the details follow a new view (as the page does: two callbacks)."""
            sized = sized_view(view)
            self.update(map_payload(sized, self.drawn), name=name, expect="atlas-drawn")
            self.update(details_payload(view), name="POST details", expect="atlas-details")
            self.drawn = sized

        def toggle(self) -> None:
            view = toggled(self.drawn["view"], random.choice(atlas.layer_ids), layer_ids=atlas.layer_ids)
            self.show(view, name="POST map patch")

        def level(self) -> None:
            others = [level for level in LEVELS if level != self.drawn["view"]["level"]]
            self.show({**self.drawn["view"], "level": random.choice(others)}, name="POST map level")

        def pan(self) -> None:
            _, _, lon, lat = random.choice(atlas.places)
            self.show(
                {**self.drawn["view"], "center": [lon, lat], "scale": random.choice(SCALES)}, name="POST map patch"
            )

        def search(self) -> str:
            feature_id, name, _, _ = random.choice(atlas.places)
            if tree.search:  # the baseline filters all options in the browser: no request
                for typed in range(2, 2 + random.randint(*SEARCH_KEYS)):
                    self.update(search_payload(name[:typed], lang="en"), name="POST search", expect="atlas-search")
                    time.sleep(random.uniform(*typing))
            return feature_id

        def select(self) -> None:
            self.show({**self.drawn["view"], "select": self.search()}, name="POST map patch")

        def update(self, payload: dict, *, name: str, expect: str) -> None:
            """POST one callback; `expect` is an output every answer holds (a patch that changes nothing omits the
            map but still echoes atlas-drawn)."""
            with self.client.post("/_dash-update-component", json=payload, name=name, catch_response=True) as response:
                if response.status_code == 204:
                    return  # nothing changed (Dash's PreventUpdate)
                if response.status_code != 200 or expect not in response.json().get("response", {}):
                    response.failure(f"status {response.status_code}: {response.text[:200]}")

        def export(self) -> None:
            layer, lang = random.choice(EXPORT_LAYERS), random.choice(LANGS)
            url = f"/export/load.png?layers={layer}&lang={lang}&size={EXPORT_SIZE}"
            with self.client.get(url, name=EXPORT, catch_response=True) as response:
                if response.status_code != 200 or not response.content.startswith(b"\x89PNG"):
                    response.failure(f"status {response.status_code}: {response.text[:200]}")
                exports[response.headers.get("X-Atlas-Cache", "none")] += 1

    class Probe(locust.HttpUser):
        wait_time = locust.constant(1.0)
        fixed_count = 1

        @locust.task
        def healthz(self) -> None:
            self.client.get("/healthz", name="GET /healthz")

    return [Planner, Probe]


def run_load(users: list[type], *, base: str, count: int, spawn_rate: float, warmup: float, seconds: float) -> dict:
    """Run the users headless: `warmup` s unmeasured, then `seconds` measured; stats per request name and in all."""
    import gevent
    from locust.env import Environment

    env = Environment(user_classes=users, host=base)
    runner = env.create_local_runner()
    runner.start(count + 1, spawn_rate=spawn_rate)
    gevent.sleep(warmup)
    env.stats.reset_all()
    gevent.sleep(seconds)
    runner.quit()
    entries = {entry.name: entry for entry in env.stats.entries.values()}
    stats = {name: summary(entry, seconds=seconds) for name, entry in {**entries, TOTAL: env.stats.total}.items()}
    stats[INTERACTIVE_ALL] = merged([entry for name, entry in entries.items() if name != EXPORT], seconds=seconds)
    failures = sorted(env.stats.errors.values(), key=lambda error: -error.occurrences)
    stats[ERRORS] = [f"{error.occurrences} x {error.name}: {str(error.error)[:160]}" for error in failures]
    return stats


def summary(entry: object, *, seconds: float) -> dict:
    """One locust stats entry as requests, req/s, p50 and p95 ms and failures."""
    return {
        "requests": entry.num_requests,
        "rps": entry.num_requests / seconds,
        "p50": entry.get_response_time_percentile(0.5) or 0,
        "p95": entry.get_response_time_percentile(0.95) or 0,
        "errors": entry.num_failures,
    }


def merged(entries: list, *, seconds: float) -> dict:
    """Several locust stats entries as one (their response-time histograms added)."""
    from locust.stats import StatsEntry

    total = StatsEntry(None, INTERACTIVE_ALL, "", use_response_times_cache=False)
    for entry in entries:
        total.extend(entry)
    return summary(total, seconds=seconds)


def side_by_side(results: dict[str, dict]) -> list[dict]:
    """One row per request type, a block of columns per run."""
    names = [name for name in (*ORDER, INTERACTIVE_ALL, TOTAL) if any(name in stats for stats in results.values())]
    names += sorted({name for stats in results.values() for name in stats} - {*names, ERRORS})
    rows = []
    for name in names:
        row: dict = {"request": name}
        for run, stats in results.items():
            s = stats.get(name, {"requests": 0, "rps": 0.0, "p50": 0, "p95": 0, "errors": 0})
            row |= {
                f"{run} req/s": float(s["rps"]),
                f"{run} p95": int(s["p95"]),
                f"{run} err": int(s["errors"]),
            }
        rows.append(row)
    return rows


def mean(bounds: tuple[float, float]) -> float:
    return (bounds[0] + bounds[1]) / 2


def zero_latency_rps(users: int, *, search: bool, exports: bool, pace: float = 1.0) -> float:
    """The most requests a second these planners (and the probe) send if every answer took no time: their think
    times alone bound the rate (the expected requests of a visit over its expected sleeping)."""
    keys = mean(SEARCH_KEYS) if search else 0.0
    per_action = {"toggle": 2, "level": 2, "pan": 2, "search": keys, "select": keys + 2}
    typing = {"search": keys, "select": keys}
    weights = sum(ACTIONS.values())
    requests = (
        len(PAGE) + 2 + exports + ACTIONS_PER_VISIT * sum(w * per_action[a] for a, w in ACTIONS.items()) / weights
    )
    typed = ACTIONS_PER_VISIT * sum(w * typing.get(a, 0.0) for a, w in ACTIONS.items()) / weights
    sleeping = (mean(VISIT_WAIT_S) + ACTIONS_PER_VISIT * mean(THINK_S) + typed * mean(TYPE_S)) * pace
    return users * requests / sleeping + 1.0


def verdicts(results: dict[str, dict], *, label: str) -> list[str]:
    """The goals of issue 14 for the runs of one tree, each with its figure."""
    calm, busy = results[f"{label}"], results.get(f"{label}+exp")
    lines = [
        f"{label}: {calm[TOTAL]['rps']:.1f} req/s (goal >= {GOAL_RPS:g}), p95 {calm[TOTAL]['p95']} ms "
        f"(goal <= {GOAL_P95_MS}), errors {calm[TOTAL]['errors']} (goal 0)"
    ]
    if busy is not None:
        ratio = busy[INTERACTIVE_ALL]["p95"] / max(calm[INTERACTIVE_ALL]["p95"], 1)
        lines.append(
            f"{label}: interactive p95 with exports {busy[INTERACTIVE_ALL]['p95']} ms = {ratio:.2f}x the "
            f"{calm[INTERACTIVE_ALL]['p95']} ms without (goal <= {GOAL_EXPORT_RATIO:g}x); "
            f"errors {busy[TOTAL]['errors']}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Serve each tree in turn, without and with exports, run the same users against it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="simulated planners (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second (default 5)")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds measured per run (default 30)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before measuring (default 10)")
    parser.add_argument("--quick", action="store_true", help="5 s warm-up and 15 s measured per run")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    add_baseline_option(parser)
    parser.add_argument("--no-exports", action="store_true", help="only the runs without exports")
    parser.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="multiply every think time (default 1; at 1 the planners send at most ~46 req/s however fast the "
        "server is, so the 50 req/s goal needs a pace below 1 to be shown at all)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 200 or not 0 < args.seconds <= 600 or not 0.05 <= args.pace <= 10:
        parser.error("keep the load bounded: 1 to 200 users, at most 600 s, a pace from 0.05 to 10")
    with baseline_tree(args.baseline) as base:
        return measure(args, base)


def measure(args: argparse.Namespace, base: Path | None) -> int:
    """The runs of both trees (or this one alone when `base` is None), then the table and the verdicts."""
    warmup, seconds = (5.0, 15.0) if args.quick else (args.warmup, args.seconds)
    locust = import_locust()
    trees = [tree_at("now", REPO)]
    if base is not None:
        trees.insert(0, tree_at("base", base))
    results, exports = {}, {}
    for tree in trees:
        for with_exports in (False,) if args.no_exports else (False, True):
            run = tree.label + ("+exp" if with_exports else "")
            outcomes: Counter | None = Counter() if with_exports else None
            atlas = atlas_choices(default_view=default_view_of(tree))
            users = user_classes(locust, atlas=atlas, tree=tree, exports=outcomes, pace=args.pace)
            with (
                tempfile.TemporaryDirectory(prefix="atlas-load-") as scratch,
                serve(tree, workers=args.workers, scratch=Path(scratch)) as base,
            ):
                load = {"count": args.users, "spawn_rate": args.spawn_rate, "warmup": warmup, "seconds": seconds}
                results[run] = run_load(users, base=base, **load)
                if outcomes is not None:
                    outcomes.clear()  # counted over the whole run, warm-up included
            exports[run] = outcomes
            print(f"{run}: {results[run][TOTAL]['rps']:.1f} req/s", file=sys.stderr, flush=True)

    print(
        f"{args.users} planners and 1 health probe (spawn {args.spawn_rate:g}/s) on {args.workers} gunicorn worker(s),"
    )
    print(f"{warmup:g} s warm-up then {seconds:g} s measured per run, a fresh export cache per run, on {HOST}.")
    print(f"Think times x{args.pace:g} (--pace).")
    print("base = the baseline checkout, now = this checkout; +exp = each visit ends in a PNG export.")
    print("base has no server-side search (its browser filters the options): its searches send nothing;")
    print("each tree is sent views of its own kind (its default view, with the same changes).")
    print(f"CPUs: {os.cpu_count()}. Latencies in ms (locust's rounded percentiles).\n")
    print(table(side_by_side(results)))
    print()
    for run, stats in results.items():
        for line in stats[ERRORS][:5]:
            print(f"{run} failed: {line}")
    for tree in trees:
        cap = zero_latency_rps(args.users, search=tree.search, exports=False, pace=args.pace)
        print(f"{tree.label}: at zero latency these planners would send {cap:.1f} req/s (their think times)")
        for line in verdicts(results, label=tree.label):
            print(line)
    if "base" in results:
        ratio = results["now"][TOTAL]["rps"] / max(results["base"][TOTAL]["rps"], 1e-9)
        p95 = results["now"][TOTAL]["p95"] / max(results["base"][TOTAL]["p95"], 1)
        print(f"now / base: req/s {ratio:.2f}x, p95 {p95:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
