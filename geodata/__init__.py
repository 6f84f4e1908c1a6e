"""Boundaries and guideline layers of the Central Region Atlas."""

from geodata._validate import GeodataError

__all__ = ["Atlas", "GeodataError", "feature_counts", "features_in_unit", "load_atlas", "load_physical", "relief_shade"]
_FROM_LOAD = {"Atlas", "feature_counts", "features_in_unit", "load_atlas"}
_FROM_PHYSICAL = {"load_physical", "relief_shade"}


def __getattr__(name: str) -> object:
    """geodata.load's names, imported on first use (so `python -m geodata.join` runs join.py only once)."""
    if name in _FROM_LOAD:
        from geodata import load

        return getattr(load, name)
    if name in _FROM_PHYSICAL:
        from geodata import physical

        return getattr(physical, name)
    raise AttributeError(f"module 'geodata' has no attribute {name!r}")
