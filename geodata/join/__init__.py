"""Spatial joins: locate points with the border rule, overlap shares of zones and units, join the guideline features.

The command line for big files is `python -m geodata.join` (geodata/join/__main__.py), built on
the file-join modules inputs, chunk, engines, output and run.
"""

from geodata.join.features import COVER_SHARE, join_features, overlap_shares
from geodata.join.locate import locate_points

__all__ = ["COVER_SHARE", "join_features", "locate_points", "overlap_shares"]
