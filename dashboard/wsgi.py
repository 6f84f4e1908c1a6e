"""WSGI entry point for production servers: `gunicorn dashboard.wsgi:server`."""

from dashboard import create_app
from dashboard.server import responses, slots
from dashboard.server.gunicorn_conf import threads_from_env
from dashboard.ui import ids

#: Callbacks whose answer depends on their views alone (and the code and data): served from the shared cache.
#: Dash names a multi-output callback "..a.x...b.y..", a single one "a.x".
CACHED_OUTPUTS = (f"..{ids.MAP}.figure...{ids.DRAWN}.data..", f"{ids.DETAILS}.children")
#: Exports may hold at most half a worker's threads: the other half is always free for the interactive page.
EXPORT_SLOTS = max(1, threads_from_env() // 2)

app = create_app()
server = app.server
responses.install(server, outputs=CACHED_OUTPUTS)
slots.install(server, endpoint="atlas.export_view", slots=EXPORT_SLOTS)
