"""Every HTTP route of the atlas beside Dash's own, as one Flask Blueprint: export, upload API, health."""

from __future__ import annotations

import flask

from dashboard.export.request import ENDPOINT as EXPORT_ENDPOINT
from dashboard.server.health import ENDPOINT as HEALTH_ENDPOINT
from dashboard.server.health import healthz
from dashboard.server.limits import install_limits
from dashboard.server.routes import export_view
from dashboard.server.series_routes import register_series_routes
from dashboard.server.upload_routes import describe, upload_file


def atlas_blueprint() -> flask.Blueprint:
    """A fresh Blueprint holding the routes (a new one per app, so apps never share state)."""
    blueprint = flask.Blueprint("atlas", __name__)
    register_series_routes(blueprint)
    blueprint.add_url_rule(f"{EXPORT_ENDPOINT}/<path:filename>", "export_view", export_view, methods=["GET"])
    blueprint.add_url_rule("/api/uploads", "upload", upload_file, methods=["POST"])
    blueprint.add_url_rule("/api/uploads/<upload_id>", "upload_describe", describe, methods=["GET"])
    blueprint.add_url_rule(HEALTH_ENDPOINT, "healthz", healthz, methods=["GET"])
    return blueprint


def register_routes(server: flask.Flask) -> None:
    """Add the atlas's routes and request limits to a Flask server (the export browser starts on the first image)."""
    install_limits(server)
    server.register_blueprint(atlas_blueprint())
