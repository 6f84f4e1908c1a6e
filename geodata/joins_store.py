"""The stored joins of the guideline features: written by the build, read back by load_atlas() when still current."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata._paths import BOUNDARIES_DIR, GUIDELINE_DIR, JOINS_NAME, LEVELS, boundary_path
from geodata.join.features import COVER_SHARE

#: The columns join_features adds, in its order; bump VERSION when their meaning changes.
JOIN_COLUMNS = ("county_adcode", "prefecture_adcode", "prefecture_adcodes", "county_adcodes", "province_adcodes")
VERSION = 2
GUIDELINE_FILES = ("points.csv", "zones.csv", "province_roles.csv")


def inputs_digest(*, resolution: str, folder: Path = BOUNDARIES_DIR) -> str:
    """sha256 of everything a join depends on: the curated tables, the boundaries, the cover share, VERSION."""
    digest = hashlib.sha256(f"{VERSION} {COVER_SHARE!r}".encode())
    files = [GUIDELINE_DIR / name for name in GUIDELINE_FILES]
    files += [boundary_path(level=level, resolution=resolution, folder=folder) for level in LEVELS]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def encode(joined: dict[str, gpd.GeoDataFrame], *, digests: dict[str, str]) -> str:
    """The joins of each resolution as JSON text, one feature per line, in a stable order."""
    parts = []
    for resolution in sorted(joined):
        frame = joined[resolution].sort_values("feature_id")
        lines = [
            json.dumps(row["feature_id"]) + ":" + json.dumps([stored_value(row[c]) for c in JOIN_COLUMNS])
            for _, row in frame.iterrows()
        ]
        body = ",\n".join(lines)
        parts.append(f'"{resolution}":{{"inputs":"{digests[resolution]}","features":{{\n{body}\n}}}}')
    return f'{{"version":{VERSION},\n' + ",\n".join(parts) + "}\n"


def stored_value(value: object) -> object:
    """A join cell as JSON: a code, a list of codes, or null."""
    if isinstance(value, list):
        return [str(code) for code in value]
    return None if pd.isna(value) else str(value)


def read(*, resolution: str, folder: Path = BOUNDARIES_DIR) -> dict[str, list] | None:
    """The stored joins of one resolution by feature id, or None when missing or stale."""
    path = folder / JOINS_NAME
    if not path.exists():
        return None
    stored = json.loads(path.read_text(encoding="utf-8"))
    entry = stored.get(resolution)
    if stored.get("version") != VERSION or entry is None:
        return None
    if entry["inputs"] != inputs_digest(resolution=resolution, folder=folder):
        return None
    return entry["features"]


def apply(features: gpd.GeoDataFrame, *, resolution: str, folder: Path = BOUNDARIES_DIR) -> gpd.GeoDataFrame | None:
    """`features` with the stored join columns, as join_features would add them; None if none are stored."""
    stored = read(resolution=resolution, folder=folder)
    if stored is None or set(stored) != set(features["feature_id"]):
        return None
    rows = [stored[feature_id] for feature_id in features["feature_id"]]
    out = features.copy()
    for position, column in enumerate(JOIN_COLUMNS):
        out[column] = pd.Series([row[position] for row in rows], index=out.index, dtype=object)
        if not column.endswith("s"):
            out[column] = out[column].astype("str").where(out[column].notna())
    return out
