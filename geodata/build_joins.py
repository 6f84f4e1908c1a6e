"""Build step: join the guideline features to the boundaries of each resolution and store them for load_atlas()."""

from __future__ import annotations

from pathlib import Path

from geodata._paths import JOINS_NAME, LEVELS, RESOLUTIONS
from geodata.joins_store import encode, inputs_digest
from geodata.load import joined_features, read_boundaries


def write_joins(*, out_dir: Path) -> Path:
    """Join afresh at every resolution against the boundaries in `out_dir`; write the joins file there."""
    joined, digests = {}, {}
    for resolution in RESOLUTIONS:
        boundaries = {level: read_boundaries(level=level, resolution=resolution, folder=out_dir) for level in LEVELS}
        joined[resolution] = joined_features(boundaries, resolution=resolution, folder=out_dir, stored=False)
        digests[resolution] = inputs_digest(resolution=resolution, folder=out_dir)
    path = out_dir / JOINS_NAME
    path.write_text(encode(joined, digests=digests), encoding="utf-8")
    return path
