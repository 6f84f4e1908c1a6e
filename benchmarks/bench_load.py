"""Load test on 127.0.0.1: locust users load the page, toggle layers and export; 1 against 4 gunicorn workers."""

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
from pathlib import Path
from types import ModuleType

from _report import table

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never anything else: this drives real load
START_TIMEOUT_S = 90.0
#: The browser window the simulated users report to the map callback (the panel the clientside callback measures).
WINDOW = {"width": 960, "height": 823}
#: What the renderer posts for `render_map` (recorded from Chromium: Output atlas-map.figure and atlas-drawn.data,
#: Input atlas-sized-view.data, State atlas-drawn.data; the state's "value" is left out while nothing is drawn).
MAP_OUTPUT = "..atlas-map.figure...atlas-drawn.data.."
EXPORT_SIZE = "800x600"
#: Exports vary over a few layers and both languages: 8 different files, so some are drawn and most come from the cache.
EXPORT_LAYERS = ("logistics_hubs", "innovation_centres", "transfer_zones", "metro_circles")
LANGS = ("en", "zh")
ORDER = ("GET /", "GET /_dash-layout", "GET /_dash-dependencies", "POST map draw", "POST map toggle", "GET export png")
TOTAL = "all requests"


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


@contextmanager
def serve(*, workers: int, scratch: Path) -> Iterator[str]:
    """gunicorn on 127.0.0.1 with a fresh file cache under `scratch`; stopped (and its browsers with it) on exit."""
    port = free_port()
    env = {**os.environ, "ATLAS_CACHE_TYPE": "FileSystemCache", "ATLAS_CACHE_DIR": str(scratch / "cache")}
    env |= {"ATLAS_UPLOAD_DIR": str(scratch / "uploads"), "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "gunicorn", "-c", "dashboard/server/gunicorn_conf.py", "--workers", str(workers)]
    command += ["--bind", f"{HOST}:{port}", "--no-control-socket", "dashboard.wsgi:server"]
    log = scratch / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://{HOST}:{port}"
        if len(worker_pids(base, want=workers)) < workers:
            raise RuntimeError(f"gunicorn did not bring up {workers} workers; see {log}")
        yield base
    finally:
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


def toggled(view: dict, layer: str, *, layer_ids: tuple[str, ...]) -> dict:
    """The view with one layer switched on or off (layers kept in the atlas's canonical order)."""
    layers = set(view["layers"]) ^ {layer}
    return {**view, "layers": [x for x in layer_ids if x in layers]}


def user_class(locust: ModuleType, *, default_view: dict, layer_ids: tuple[str, ...], exports: Counter) -> type:
    """The simulated planner: load the page, draw the map, toggle three layers, export a PNG; then think a while."""

    class Planner(locust.HttpUser):
        wait_time = locust.between(1.0, 3.0)

        @locust.task
        def visit(self) -> None:
            for path in ("/", "/_dash-layout", "/_dash-dependencies"):
                self.client.get(path, name=f"GET {path}")
            drawn = sized_view(default_view)
            self.update_map(map_payload(drawn, None), name="POST map draw")
            for layer in random.sample(layer_ids, 3):
                time.sleep(random.uniform(0.2, 0.8))
                sized = sized_view(toggled(drawn["view"], layer, layer_ids=layer_ids))
                self.update_map(map_payload(sized, drawn), name="POST map toggle")
                drawn = sized
            self.export()

        def update_map(self, payload: dict, *, name: str) -> None:
            with self.client.post("/_dash-update-component", json=payload, name=name, catch_response=True) as response:
                if response.status_code != 200 or "atlas-map" not in response.json().get("response", {}):
                    response.failure(f"status {response.status_code}: {response.text[:200]}")

        def export(self) -> None:
            layer, lang = random.choice(EXPORT_LAYERS), random.choice(LANGS)
            url = f"/export/load.png?layers={layer}&lang={lang}&size={EXPORT_SIZE}"
            with self.client.get(url, name="GET export png", catch_response=True) as response:
                if response.status_code != 200 or not response.content.startswith(b"\x89PNG"):
                    response.failure(f"status {response.status_code}: {response.text[:200]}")
                exports[response.headers.get("X-Atlas-Cache", "none")] += 1

    return Planner


def run_load(
    user: type, *, base: str, users: int, spawn_rate: float, warmup: float, seconds: float, exports: Counter
) -> dict:
    """Run the users headless: `warmup` s unmeasured, then `seconds` measured; stats per request name and in all."""
    import gevent
    from locust.env import Environment

    env = Environment(user_classes=[user], host=base)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.sleep(warmup)
    env.stats.reset_all()
    exports.clear()
    gevent.sleep(seconds)
    runner.quit()
    entries = {entry.name: entry for entry in env.stats.entries.values()}
    return {name: summary(entry, seconds=seconds) for name, entry in {**entries, TOTAL: env.stats.total}.items()}


def summary(entry: object, *, seconds: float) -> dict:
    """One locust stats entry as requests, req/s, p50 and p95 ms and failures."""
    return {
        "requests": entry.num_requests,
        "rps": entry.num_requests / seconds,
        "p50": entry.get_response_time_percentile(0.5) or 0,
        "p95": entry.get_response_time_percentile(0.95) or 0,
        "errors": entry.num_failures,
    }


def side_by_side(results: dict[int, dict]) -> list[dict]:
    """One row per request type, a block of columns per worker count."""
    names = [name for name in (*ORDER, TOTAL) if any(name in stats for stats in results.values())]
    rows = []
    for name in names:
        row: dict = {"request": name}
        for workers, stats in results.items():
            s = stats.get(name, {"requests": 0, "rps": 0.0, "p50": 0, "p95": 0, "errors": 0})
            row |= {
                f"{workers}w req/s": float(s["rps"]),
                f"{workers}w p50 ms": int(s["p50"]),
                f"{workers}w p95 ms": int(s["p95"]),
                f"{workers}w errors": int(s["errors"]),
            }
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Serve with each worker count in turn, run the same users against it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second (default 5)")
    parser.add_argument("--seconds", type=float, default=40.0, help="seconds of load per worker count (default 40)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before measuring (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 s warm-up and 10 s measured per worker count")
    parser.add_argument("--workers", default="1,4", help="worker counts to compare (default 1,4)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 200 or not 0 < args.seconds <= 600:
        parser.error("keep the load bounded: 1 to 200 users, at most 600 s")
    warmup, seconds = (3.0, 10.0) if args.quick else (args.warmup, args.seconds)
    locust = import_locust()
    from dashboard.view.state import ViewState
    from geodata.layers import LAYER_IDS

    default_view = ViewState().to_dict()
    results, exports = {}, {}
    for workers in (int(n) for n in args.workers.split(",")):
        outcomes: Counter = Counter()
        user = user_class(locust, default_view=default_view, layer_ids=tuple(LAYER_IDS), exports=outcomes)
        with (
            tempfile.TemporaryDirectory(prefix="atlas-load-") as scratch,
            serve(workers=workers, scratch=Path(scratch)) as base,
        ):
            load = {"users": args.users, "spawn_rate": args.spawn_rate, "warmup": warmup, "seconds": seconds}
            results[workers] = run_load(user, base=base, exports=outcomes, **load)
        exports[workers] = outcomes

    print(
        f"{args.users} users (spawn {args.spawn_rate:g}/s), {warmup:g} s warm-up then {seconds:g} s measured per run,"
    )
    print(f"gunicorn sync workers on {HOST}, a fresh export cache per run;")
    print(f"each visit: page, layout, dependencies, map draw, 3 layer toggles, one {EXPORT_SIZE} PNG export.")
    print(f"CPUs: {os.cpu_count()}. Latencies in ms (locust's rounded percentiles).\n")
    print(table(side_by_side(results)))
    print()
    for workers, outcomes in exports.items():
        other = outcomes["bypass"] + outcomes["none"]
        print(f"{workers} worker(s): exports from the cache {outcomes['hit']}, drawn {outcomes['miss']}, other {other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
