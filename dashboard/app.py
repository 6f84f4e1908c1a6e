"""The Dash application factory."""

from __future__ import annotations

import re

from dash import Dash

from dashboard.config import ASSETS_DIR
from dashboard.server import warm
from dashboard.server.blueprint import register_routes
from dashboard.server.cache import init_cache
from dashboard.ui import callbacks, export_callbacks, map_callbacks, presenter_callbacks, search, upload_callbacks
from dashboard.ui.indicator_callbacks import register as register_indicator_callbacks
from dashboard.ui.layout import page
from dashboard.view import i18n
from geodata import load_atlas

#: Dash's first script: the whole @babel/polyfill, of which the page needs only `regeneratorRuntime`
#: (served from assets/vendor; see its SOURCE.md).
POLYFILL_TAG = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>\s*')


class AtlasDash(Dash):
    """Dash with the page's scripts less the core-js polyfill (it replaces native methods with slower ones)."""

    def interpolate_index(self, **kwargs: str) -> str:
        kwargs["scripts"] = POLYFILL_TAG.sub("", kwargs.get("scripts", ""), count=1)
        return super().interpolate_index(**kwargs)


def create_app(*, warm_up: bool | None = None) -> Dash:
    """A configured app serving the bundled atlas, with every script and style served locally.

    `warm_up` (default: unless ATLAS_WARM=0 or inside a test) builds the screen's LOD geometry and every level's
    static traces in a background thread, so the first level switch or zoom does not pay for them.
    """
    atlas = load_atlas()
    app = AtlasDash(
        __name__,
        assets_folder=str(ASSETS_DIR),
        title=i18n.t("app_title", "en"),
        serve_locally=True,
        compress=True,
        update_title=None,
    )
    app.layout = page(atlas)
    callbacks.register(app)
    search.register(app)
    export_callbacks.register(app)
    map_callbacks.register(app)
    init_cache(app.server)
    register_routes(app.server)
    upload_callbacks.register(app)
    register_indicator_callbacks(app)
    presenter_callbacks.register(app)
    warm.track_requests(app.server)
    if warm.wanted() if warm_up is None else warm_up:
        warm.start()  # once the app is made, so its making (and /healthz) does not wait for the warm-up
    return app
