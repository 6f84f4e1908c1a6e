"""The Central Region Atlas dashboard: a Dash app drawing the guideline's layers on Plotly maps."""

from dashboard.app import create_app

__all__ = ["create_app"]
