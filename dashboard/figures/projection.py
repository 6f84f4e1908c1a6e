"""The map's conic projection in Python, as plotly.js (d3-geo) draws it, for placing labels in screen pixels."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from dashboard.config import PROJECTION

EARTH_RADIUS_KM = 6371.0
#: Points per edge when the lon/lat range box is projected (its edges are curves in a conic projection).
EDGE_POINTS = 48


def _conformal_constants(parallels: tuple[float, float]) -> tuple[float, float]:
    """n and F of d3's spherical conic conformal projection for two standard parallels."""
    phi0, phi1 = (math.radians(p) for p in parallels)
    t0, t1 = math.tan(math.pi / 4 + phi0 / 2), math.tan(math.pi / 4 + phi1 / 2)
    n = math.sin(phi0) if phi0 == phi1 else math.log(math.cos(phi0) / math.cos(phi1)) / math.log(t1 / t0)
    return n, math.cos(phi0) * t0**n / n


def project_raw(lon: np.ndarray, lat: np.ndarray, *, projection: dict = PROJECTION) -> tuple[np.ndarray, np.ndarray]:
    """Unit-sphere conic conformal x (east) and y (north) of lon/lat degrees, rotated about the central meridian."""
    n, big_f = _conformal_constants(tuple(projection["parallels"]))
    lam = np.radians(np.asarray(lon, dtype=float) - projection["rotation"]["lon"])
    phi = np.radians(np.asarray(lat, dtype=float))
    rho = big_f / np.tan(np.pi / 4 + phi / 2) ** n
    return rho * np.sin(n * lam), big_f - rho * np.cos(n * lam)


def unproject_raw(x: float, y: float, *, projection: dict = PROJECTION) -> tuple[float, float]:
    """Inverse of project_raw (degrees)."""
    n, big_f = _conformal_constants(tuple(projection["parallels"]))
    fy = big_f - y
    rho = math.copysign(math.hypot(x, fy), n)
    lam = math.atan2(x, fy) / n
    phi = 2 * math.atan((big_f / rho) ** (1 / n)) - math.pi / 2
    return math.degrees(lam) + projection["rotation"]["lon"], math.degrees(phi)


def box_outline(lon_range: tuple[float, float], lat_range: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Lon and lat along the four edges of a lon/lat range box."""
    (west, east), (south, north) = lon_range, lat_range
    t = np.linspace(0.0, 1.0, EDGE_POINTS)
    lon = np.concatenate(
        [west + (east - west) * t, np.full_like(t, east), east - (east - west) * t, np.full_like(t, west)]
    )
    lat = np.concatenate(
        [np.full_like(t, south), south + (north - south) * t, np.full_like(t, north), north - (north - south) * t]
    )
    return lon, lat


def raw_bounds(lon_range: tuple[float, float], lat_range: tuple[float, float]) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a range box in the raw projection."""
    x, y = project_raw(*box_outline(lon_range, lat_range))
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def fit_ranges(bounds: tuple[float, float, float, float], aspect: float) -> tuple[tuple, tuple]:
    """Lon and lat ranges holding `bounds` whose projected box has the frame's width / height."""
    west, south, east, north = bounds
    for _ in range(8):  # each pass widens one side; the box converges on the aspect in a few passes
        xmin, ymin, xmax, ymax = raw_bounds((west, east), (south, north))
        shape = (xmax - xmin) / (ymax - ymin)
        if abs(shape / aspect - 1) < 1e-3:
            break
        if shape < aspect:
            grow = (east - west) * (aspect / shape - 1) / 2
            west, east = west - grow, east + grow
        else:
            grow = (north - south) * (shape / aspect - 1) / 2
            south, north = south - grow, north + grow
    return (west, east), (south, north)


@dataclass(frozen=True)
class ScreenMap:
    """Where lon/lat land in a map frame of `width` x `height` px, as plotly's geo subplot places them."""

    width: float
    height: float
    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    center: tuple[float, float] | None = None  # lon, lat at the frame's middle; None: the range box's middle
    scale: float = 1.0  # plotly's projection.scale (1: the range box fills the frame)

    @functools.cached_property
    def fit_k(self) -> float:
        """Pixels per raw unit at scale 1 (d3's fitExtent of the range box to the frame)."""
        xmin, ymin, xmax, ymax = raw_bounds(self.lon_range, self.lat_range)
        return min(self.width / (xmax - xmin), self.height / (ymax - ymin))

    @functools.cached_property
    def middle(self) -> tuple[float, float]:
        """The lon/lat at the middle of the range box's projected bounds."""
        xmin, ymin, xmax, ymax = raw_bounds(self.lon_range, self.lat_range)
        return unproject_raw((xmin + xmax) / 2, (ymin + ymax) / 2)

    @functools.cached_property
    def raw_center(self) -> tuple[float, float]:
        """The frame's middle in raw projected units."""
        lon, lat = self.center or self.middle
        x, y = project_raw(np.asarray(lon), np.asarray(lat))
        return float(x), float(y)

    def to_px(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel x (right) and y (down) from the frame's top left corner."""
        k = self.fit_k * self.scale
        cx, cy = self.raw_center
        x, y = project_raw(lon, lat)
        return self.width / 2 + k * (x - cx), self.height / 2 - k * (y - cy)

    def to_lonlat(self, px: float, py: float) -> tuple[float, float]:
        """Inverse of to_px for one pixel."""
        k = self.fit_k * self.scale
        cx, cy = self.raw_center
        return unproject_raw(float(cx + (px - self.width / 2) / k), float(cy - (py - self.height / 2) / k))

    def px_per_km(self, lat: float) -> float:
        """Screen px per km at a latitude: the conformal projection's scale factor there (earth radius 6371 km)."""
        south, north = PROJECTION["parallels"]  # config: two standard parallels
        n, big_f = _conformal_constants((float(south), float(north)))  # type: ignore[arg-type]
        phi = math.radians(lat)
        rho = big_f / math.tan(math.pi / 4 + phi / 2) ** n
        return self.fit_k * self.scale * n * rho / math.cos(phi) / EARTH_RADIUS_KM

    def visible_lonlat(self) -> tuple[float, float, float, float]:
        """A lon/lat box (west, south, east, north) around what the frame shows."""
        corners = [
            self.to_lonlat(x, y) for x in (0, self.width / 2, self.width) for y in (0, self.height / 2, self.height)
        ]
        lons, lats = [c[0] for c in corners], [c[1] for c in corners]
        return min(lons), min(lats), max(lons), max(lats)
