"""Boundaries and guideline layers of the Central Region Atlas."""

from geodata._validate import GeodataError
from geodata.load import Atlas, feature_counts, features_in_unit, load_atlas
from geodata.physical import load_physical, relief_shade

__all__ = ["Atlas", "GeodataError", "feature_counts", "features_in_unit", "load_atlas", "load_physical", "relief_shade"]
