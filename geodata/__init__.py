"""Boundaries and guideline layers of the Central Region Atlas."""

from geodata._validate import GeodataError
from geodata.load import Atlas, feature_counts, features_in_unit, load_atlas

__all__ = ["Atlas", "GeodataError", "feature_counts", "features_in_unit", "load_atlas"]
