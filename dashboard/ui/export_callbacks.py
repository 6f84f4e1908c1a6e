"""Export panel callbacks: the map series job (started, polled, downloaded) and progress shown at once on click."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, State

from dashboard.export.request import DEFAULT_SIZE
from dashboard.ui import ids
from dashboard.view.state import ViewState

SERIES_START = "/export/series/start"
#: Image formats a series is drawn in; a data format chosen in the panel gives a PDF series.
SERIES_FORMATS = ("pdf", "png", "svg")
POLL_MS = 400

#: The texts of the view's language from the page's store (i18n.client_texts), {fields} filled in by `words`.
WORDS_JS = """\
    const texts = (clientTexts || {})[!!view && view.lang === "zh" ? "zh" : "en"] || {};
    const words = (key, values) =>
        (texts[key] || key).replace(/\\{(\\w+)\\}/g, (m, name) => String((values || {})[name]));\
"""

#: Starts the job, shows "Preparing…" at once, polls "page k of n", then downloads the file.
SERIES_JS = (
    """
function(clicks, url, view, clientTexts) {
    if (!clicks || !url) { return window.dash_clientside.no_update; }
%(words)s
    const statusId = "%(status)s";
    const say = (text) => { const el = document.getElementById(statusId); if (el) { el.textContent = text; } };
    const fail = (text) => say(words("export_failed", {error: text}));
    say(words("export_preparing"));  // at once, also after an earlier series' "Done"
    fetch(url, {method: "GET"}).then((r) => r.ok ? r.json() : r.text().then((t) => { throw new Error(t); }))
        .then((job) => {
            const poll = () => fetch(job.status, {cache: "no-store"}).then((r) => r.json()).then((s) => {
                if (s.state === "failed") { fail(s.message); return; }
                if (s.state === "done") {
                    const a = document.createElement("a");
                    a.href = job.result; a.download = s.filename; document.body.appendChild(a); a.click(); a.remove();
                    say(words("export_done", {filename: s.filename}));
                    return;
                }
                if (s.total) { say(words("export_page", {page: s.page, total: s.total})); }
                setTimeout(poll, %(poll)d);
            }).catch((e) => fail(String(e)));
            poll();
        }).catch((e) => fail(String(e.message || e)));
    return words("export_preparing");
}
""".replace("%(status)s", ids.SERIES_STATUS)
    .replace("%(poll)d", str(POLL_MS))
    .replace("%(words)s", WORDS_JS)
)

#: The single export: "Preparing…" at once, the file fetched, then saved with its name and the time it took.
DOWNLOAD_JS = """
function(clicks, href, name, view, clientTexts) {
    if (!clicks || !href) { return window.dash_clientside.no_update; }
%(words)s
    const statusId = "%(status)s";
    const say = (text) => { const el = document.getElementById(statusId); if (el) { el.textContent = text; } };
    const started = performance.now();
    say(words("export_preparing"));  // at once, also when the previous click left "Downloaded" in the line
    fetch(href).then((r) => r.ok ? r.blob() : r.text().then((t) => { throw new Error(t); })).then((blob) => {
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob); a.download = name || "";
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        const s = ((performance.now() - started) / 1000).toFixed(1);
        say(words("export_downloaded", {seconds: s}));
    }).catch((e) => say(words("export_failed", {error: String(e.message || e)})));
    return words("export_preparing");
}
""".replace("%(status)s", ids.EXPORT_STATUS).replace("%(words)s", WORDS_JS)

#: Clicking the download link runs DOWNLOAD_JS instead of the browser's own navigation.
INTERCEPT_JS = """
function(id) {
    const link = document.getElementById(id);
    if (link && !link.dataset.atlasIntercept) {
        link.dataset.atlasIntercept = "1";
        link.addEventListener("click", (event) => { event.preventDefault(); });
    }
    return window.dash_clientside.no_update;
}
"""


def series_url(state: ViewState, *, chosen: str, fmt: str, size: str, title: str | None = None) -> str:
    """The URL starting a series job: the set (a story set takes the view's story), format, size and language."""
    fmt = fmt if fmt in SERIES_FORMATS else "pdf"
    set_text = f"story:{state.story}" if chosen == "story" else chosen
    params = [("layers", ",".join(state.layers)), ("lang", state.lang)]
    if not state.labels:
        params.append(("labels", "0"))
    if size and size not in (DEFAULT_SIZE, "custom"):
        params.append(("size", size))
    if title and title.strip():
        params.append(("title", title.strip()))
    return f"{SERIES_START}/{set_text}.{fmt}?{urlencode(params, safe=',')}"


def register(app: Dash) -> None:
    """Add the export panel's series and progress callbacks to `app`."""

    @app.callback(
        Output(ids.SERIES_URL, "data"),
        Input(ids.VIEW, "data"),
        Input(ids.SERIES_SET, "value"),
        Input(ids.EXPORT_FORMAT, "value"),
        Input(ids.EXPORT_SIZE, "value"),
    )
    def choose_series(view: dict | None, chosen: str, fmt: str, size: str) -> str:
        """The series job's URL follows the view and the panel's choices."""
        return series_url(ViewState.from_dict(view), chosen=chosen or "provinces", fmt=fmt, size=size)

    app.clientside_callback(
        SERIES_JS,
        Output(ids.SERIES_STATUS, "children"),
        Input(ids.SERIES_BUTTON, "n_clicks"),
        State(ids.SERIES_URL, "data"),
        State(ids.VIEW, "data"),
        State(ids.CLIENT_TEXTS, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        DOWNLOAD_JS,
        Output(ids.EXPORT_STATUS, "children"),
        Input(ids.EXPORT_LINK, "n_clicks"),
        State(ids.EXPORT_LINK, "href"),
        State(ids.EXPORT_LINK, "download"),
        State(ids.VIEW, "data"),
        State(ids.CLIENT_TEXTS, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        INTERCEPT_JS,
        Output(ids.EXPORT_LINK, "title"),
        Input(ids.EXPORT_LINK, "id"),
    )
