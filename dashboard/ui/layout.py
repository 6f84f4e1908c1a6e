"""The page: controls on the left, the map in the middle, details on the right."""

from __future__ import annotations

from dash import dcc, html

from dashboard.config import CONTEXT_LAYERS
from dashboard.ui import ids, table_upload
from dashboard.ui.indicators import indicator_panel, targets_section
from dashboard.view import i18n
from dashboard.view.scene import bundled_indicators as indicator_table
from dashboard.view.state import UPLOAD_COLORS, ViewState
from geodata import Atlas
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.layers import LAYERS, THEMES
from geodata.userdata import MAX_BYTES

#: Offline: only zoom in, zoom out and reset are offered (no cloud sharing, no image download: the export
#: panel makes better images); "Copy link" sits in the toolbar above the map.
GRAPH_CONFIG = {
    "topojsonURL": "/assets/topojson/",
    "displaylogo": False,
    "scrollZoom": True,
    "modeBarButtons": [["zoomInGeo", "zoomOutGeo", "resetGeo"]],
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "responsive": True,
}


def context_options(lang: str) -> list[dict]:
    """The physical context layers that can be switched on and off."""
    return [{"label": i18n.t(f"toggle_{key}", lang), "value": key} for key in CONTEXT_LAYERS]


def toolbar(lang: str) -> html.Div:
    """Above the map: drawer buttons (phones), the context layers and "Copy link"."""
    return html.Div(
        id=ids.TOOLBAR,
        className="atlas-toolbar",
        children=[
            html.Button("☰", id=ids.DRAWER_CONTROLS, className="atlas-button atlas-drawer-button", title="Controls"),
            dcc.Checklist(
                id=ids.CONTEXT,
                options=context_options(lang),
                value=list(CONTEXT_LAYERS),
                inline=True,
                className="atlas-context",
            ),
            html.Span(className="atlas-toolbar-gap"),
            html.Button(
                i18n.t("copy_link", lang), id=ids.COPY_LINK, n_clicks=0, className="atlas-button atlas-copy-link"
            ),
            html.Span(id=ids.COPY_STATUS, className="atlas-copy-status", role="status"),
            html.Button(
                i18n.t("toolbar_legend", lang),
                id=ids.DRAWER_LEGEND,
                className="atlas-button atlas-drawer-button",
                title="Legend",
            ),
            html.Button("ⓘ", id=ids.DRAWER_DETAILS, className="atlas-button atlas-drawer-button", title="Details"),
        ],
    )


def _text(key: str, lang: str, tag: type = html.Span, **kwargs: object) -> html.Component:
    return tag(i18n.t(key, lang), id={"type": ids.TEXT, "key": key}, **kwargs)


def layer_options(atlas: Atlas, theme: str, lang: str) -> list[dict]:
    """The toggles of one theme, each with its feature count."""
    return [
        {"label": f"{i18n.layer_name(layer.id, lang)} ({len(atlas.layers[layer.id])})", "value": layer.id}
        for layer in LAYERS
        if layer.theme == theme
    ]


def province_options(lang: str) -> list[dict]:
    """The six provinces."""
    return [{"label": i18n.province_name(code, lang), "value": code} for code in CENTRAL_PROVINCES]


def level_options(lang: str) -> list[dict]:
    """Province, prefecture, county."""
    return [{"label": i18n.t(level, lang), "value": level} for level in LEVELS]


def search_options(atlas: Atlas, lang: str) -> list[dict]:
    """Every feature and admin unit, searchable by English name, Chinese name or pinyin."""
    options = []
    for _, row in atlas.features.iterrows():
        kind = i18n.layer_name(row["layer"], lang)
        options.append(_search_option(row, value=row["feature_id"], kind=kind, lang=lang))
    for level in LEVELS:
        units = atlas.units(level)
        for _, row in units[units["is_central"]].iterrows():
            options.append(_search_option(row, value=row["adcode"], kind=i18n.t(level, lang), lang=lang))
    return options


def _search_option(row: object, *, value: str, kind: str, lang: str) -> dict:
    en, zh = row["name_en"], row["name_zh"]  # type: ignore[index]
    label = f"{zh} · {en} · {kind}" if lang == "zh" else f"{en} · {zh} · {kind}"
    compact = en.lower().replace(" ", "").replace("'", "").replace("-", "")
    return {"label": label, "value": value, "search": f"{en} {zh} {compact} {value}"}


def controls(atlas: Atlas, lang: str) -> html.Aside:
    """The control column."""
    groups = []
    for theme in THEMES:
        groups.append(html.H3(i18n.theme_name(theme, lang), id={"type": ids.LAYER_GROUP_TITLE, "theme": theme}))
        groups.append(
            dcc.Checklist(
                id={"type": ids.LAYER_GROUP, "theme": theme},
                options=layer_options(atlas, theme, lang),
                value=[],
                className="atlas-checklist",
            )
        )
    return html.Aside(
        className="atlas-controls",
        children=[
            _text("app_title", lang, html.H1),
            _text("app_subtitle", lang, html.P, className="atlas-subtitle"),
            dcc.Dropdown(
                id=ids.SEARCH,
                options=[],  # filled by the server as the user types (dashboard.ui.search)
                placeholder=i18n.t("search", lang),
                clearable=True,
                className="atlas-search",
            ),
            html.Div(
                className="atlas-row",
                children=[
                    _text("language", lang, html.Label),
                    dcc.RadioItems(
                        id=ids.LANG,
                        options=[{"label": "English", "value": "en"}, {"label": "中文", "value": "zh"}],
                        value=lang,
                        inline=True,
                    ),
                ],
            ),
            _text("level", lang, html.H3),
            dcc.RadioItems(id=ids.LEVEL, options=level_options(lang), value=None, inline=True),
            _text("provinces", lang, html.H3),
            dcc.Checklist(id=ids.PROVINCES, options=province_options(lang), value=[], className="atlas-provinces"),
            _text("layers", lang, html.H2),
            dcc.Checklist(
                id=ids.LABELS,
                options=[{"label": i18n.t("labels", lang), "value": "on"}],
                value=[],
                className="atlas-labels",
            ),
            *groups,
            indicator_panel(indicator_table(), lang),
            upload_panel(lang),
            export_panel(lang),
            html.Div(
                className="atlas-row atlas-buttons",
                children=[
                    html.Button(i18n.t("reset", lang), id=ids.RESET, n_clicks=0, className="atlas-button"),
                    html.Button(i18n.t("present", lang), id=ids.PRESENT, n_clicks=0, className="atlas-button"),
                ],
            ),
            story_panel(lang),
        ],
    )


EXPORT_FORMATS = [("PNG", "png"), ("SVG", "svg"), ("PDF", "pdf"), ("GeoJSON", "geojson"), ("CSV", "csv")]
EXPORT_FLAGS = ("title", "legend", "source", "scalebar", "north")


def size_options(lang: str) -> list[dict]:
    """Export size presets."""
    return [{"label": i18n.t(f"size_{size}", lang), "value": size} for size in ("slide", "a4", "a3", "custom")]


def flag_options(lang: str) -> list[dict]:
    """Map furniture an export can include."""
    return [{"label": i18n.t(f"opt_{flag}", lang), "value": flag} for flag in EXPORT_FLAGS]


def export_panel(lang: str) -> html.Div:
    """Format, size and furniture of an image (or the view's data), and the download link."""
    number = {"type": "number", "debounce": True, "className": "atlas-number"}
    return html.Div(
        className="atlas-export",
        children=[
            _text("export", lang, html.H2),
            dcc.RadioItems(
                id=ids.EXPORT_FORMAT,
                options=[{"label": label, "value": value} for label, value in EXPORT_FORMATS],
                value="png",
                inline=True,
            ),
            dcc.Dropdown(id=ids.EXPORT_SIZE, options=size_options(lang), value="slide", clearable=False),
            html.Div(
                className="atlas-row atlas-custom-size",
                children=[
                    dcc.Input(id=ids.EXPORT_WIDTH, value=1600, min=200, max=5000, placeholder="width", **number),
                    html.Span("×"),
                    dcc.Input(id=ids.EXPORT_HEIGHT, value=1000, min=200, max=5000, placeholder="height", **number),
                    html.Span("@"),
                    dcc.Input(id=ids.EXPORT_SCALE, value=2, min=0.5, max=5, step=0.5, placeholder="scale", **number),
                ],
            ),
            dcc.Checklist(id=ids.EXPORT_OPTIONS, options=flag_options(lang), value=list(EXPORT_FLAGS), inline=True),
            dcc.Input(
                id=ids.EXPORT_TITLE,
                type="text",
                maxLength=200,
                debounce=True,
                placeholder=print_text("title", lang),
                className="atlas-subtitle-input",
            ),
            dcc.Input(
                id=ids.EXPORT_SUBTITLE,
                type="text",
                maxLength=200,
                debounce=True,
                placeholder=i18n.t("export_subtitle", lang),
                className="atlas-subtitle-input",
            ),
            html.A(i18n.t("export_download", lang), id=ids.EXPORT_LINK, className="atlas-button atlas-download"),
            html.Div(id=ids.EXPORT_STATUS, className="atlas-export-status", role="status", **{"aria-live": "polite"}),
            html.Div(id=ids.EXPORT_ERROR, className="atlas-export-error", role="alert"),
            *series_controls(lang),
        ],
    )


#: Texts of the print additions (title, map series), English and Chinese.
PRINT_TEXTS = {
    "title": ("Title (optional)", "标题（可选）"),
    "series": ("Map series (one page per unit)", "地图集（每单元一页）"),
    "series_button": ("Make series", "生成地图集"),
    "provinces": ("Each of the six provinces", "六省各一页"),
    "prefectures": ("Prefectures of {name}", "{name}各地级市"),
    "layer": ("Each feature of: {name}", "逐个要素：{name}"),
    "story": ("Steps of the story", "故事的各步"),
}


def print_text(key: str, lang: str, **values: str) -> str:
    """One text of the print additions."""
    en, zh = PRINT_TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)


def series_options(lang: str) -> list[dict]:
    """The sets a series can be made of."""
    options = [{"label": print_text("provinces", lang), "value": "provinces"}]
    for code in CENTRAL_PROVINCES:
        name = i18n.province_name(code, lang)
        options.append({"label": print_text("prefectures", lang, name=name), "value": f"prefectures:{code}"})
    options.append({"label": print_text("story", lang), "value": "story"})
    for layer in LAYERS:
        name = i18n.layer_name(layer.id, lang)
        options.append({"label": print_text("layer", lang, name=name), "value": f"layer:{layer.id}"})
    return options


def series_controls(lang: str) -> list:
    """The series chooser, its button and its progress line (shown at once on click)."""
    return [
        html.Label(print_text("series", lang), htmlFor=ids.SERIES_SET, className="atlas-series-label"),
        dcc.Dropdown(id=ids.SERIES_SET, options=series_options(lang), value="provinces", clearable=False),
        dcc.Store(id=ids.SERIES_URL),
        html.Button(print_text("series_button", lang), id=ids.SERIES_BUTTON, className="atlas-button", n_clicks=0),
        html.Div(id=ids.SERIES_STATUS, className="atlas-export-status", role="status", **{"aria-live": "polite"}),
    ]


def upload_show_options(lang: str) -> list[dict]:
    """The toggle of the planner's layer."""
    return [{"label": i18n.t("upload_show", lang), "value": "on"}]


def measure_options(lang: str) -> list[dict]:
    """How the admin units can be coloured by the planner's layer."""
    return [{"label": i18n.t(f"measure_{m or 'none'}", lang), "value": m} for m in ("", "count", "sum", "mean")]


def upload_panel(lang: str) -> html.Div:
    """A planner's own file: drop zone, coordinate choices, messages, and how it is drawn and counted."""
    return html.Div(
        className="atlas-upload",
        children=[
            _text("own_layer", lang, html.H2),
            dcc.Upload(
                id=ids.UPLOAD,
                children=_text("upload_hint", lang, html.Div),
                className="atlas-dropzone",
                max_size=MAX_BYTES,
                multiple=False,
            ),
            dcc.Store(id=ids.UPLOAD_RESULT),
            html.Div(id=ids.UPLOAD_STATUS, className="atlas-upload-status", role="status"),
            html.Div(
                className="atlas-row",
                children=[
                    dcc.Dropdown(id=ids.UPLOAD_LON, placeholder=i18n.t("upload_lon", lang), className="atlas-col"),
                    dcc.Dropdown(id=ids.UPLOAD_LAT, placeholder=i18n.t("upload_lat", lang), className="atlas-col"),
                ],
            ),
            dcc.Input(
                id=ids.UPLOAD_CRS,
                type="text",
                debounce=True,
                placeholder=i18n.t("upload_crs", lang),
                className="atlas-subtitle-input",
            ),
            html.Div(id=ids.UPLOAD_INFO, className="atlas-upload-info"),
            dcc.Checklist(id=ids.UPLOAD_SHOW, options=upload_show_options(lang), value=[]),
            dcc.RadioItems(
                id=ids.UPLOAD_COLOR, options=[{"label": c, "value": c} for c in UPLOAD_COLORS], value=None, inline=True
            ),
            dcc.Dropdown(id=ids.UPLOAD_LABEL, placeholder=i18n.t("label_column", lang)),
            dcc.RadioItems(id=ids.UPLOAD_MEASURE, options=measure_options(lang), value=None),
            dcc.Dropdown(id=ids.UPLOAD_COLUMN, placeholder=i18n.t("measure_column", lang)),
            table_upload.panel(),
        ],
    )


def stepper(lang: str) -> html.Div:
    """Presenter mode's on-screen story buttons (arrow keys and Page Up/Down press them too).

    Two sets: the bundled story's, and the planner's own story's (shown instead while it is presented).
    """
    bundled = "atlas-button atlas-step-bundled"
    own = "atlas-button atlas-step-own"
    return html.Div(
        id=ids.STEPPER,
        className="atlas-stepper",
        children=[
            html.Button(i18n.t("previous", lang), id=ids.STEP_PREV, n_clicks=0, className=bundled),
            html.Span(id=ids.STEP_COUNTER, className="atlas-step-counter atlas-step-bundled"),
            html.Button(i18n.t("next", lang), id=ids.STEP_NEXT, n_clicks=0, className=bundled),
            html.Button(i18n.t("previous", lang), id=ids.STORY_PREV, n_clicks=0, className=own),
            html.Div(
                className="atlas-step-own atlas-story-text",
                children=[
                    html.Div(id=ids.STORY_COUNTER, className="atlas-step-counter"),
                    html.Div(id=ids.STORY_CAPTION, className="atlas-story-caption"),
                ],
            ),
            html.Button(i18n.t("next", lang), id=ids.STORY_NEXT, n_clicks=0, className=own),
            html.Button(i18n.t("controls", lang), id=ids.CONTROLS_TOGGLE, className="atlas-button"),
        ],
    )


#: The largest story file the browser may send (a story is a few KB of text).
STORY_MAX_BYTES = 64 * 1024


def story_panel(lang: str) -> html.Div:
    """A planner's own story: drop its YAML, read what was loaded (or what is wrong), and present it."""
    return html.Div(
        className="atlas-story",
        children=[
            _text("story_own", lang, html.H3),
            dcc.Upload(
                id=ids.STORY_UPLOAD,
                children=_text("story_hint", lang, html.Div),
                className="atlas-dropzone",
                accept=".yaml,.yml,text/yaml,application/x-yaml",
                max_size=16 * STORY_MAX_BYTES,  # larger files are refused by the server with a message
                multiple=False,
            ),
            dcc.Store(id=ids.STORY_STORE, storage_type="session"),
            dcc.Store(id=ids.STORY_STEP),
            dcc.Store(id=ids.STORY_TITLE),
            html.Div(id=ids.STORY_STATUS, className="atlas-upload-status", role="status"),
            html.Button(
                i18n.t("story_present", lang),
                id=ids.STORY_PRESENT,
                n_clicks=0,
                disabled=True,
                className="atlas-button",
            ),
        ],
    )


def callout(lang: str) -> html.Div:
    """Presenter mode: the clicked feature's name, quote and section in large type (closable, off the centre)."""
    return html.Div(
        id=ids.CALLOUT,
        className="atlas-callout atlas-callout-hidden",
        role="dialog",
        children=[
            html.Button(
                "×",
                id=ids.CALLOUT_CLOSE,
                n_clicks=0,
                className="atlas-callout-close",
                title=i18n.t("callout_close", lang),
            ),
            html.Div(id=ids.CALLOUT_BODY),
            dcc.Store(id=ids.CALLOUT_AT),
            dcc.Store(id=ids.UNHOVERED),
            dcc.Store(id=ids.TITLED),
        ],
    )


def page(atlas: Atlas) -> html.Div:
    """The whole page; its controls are filled from the URL by the first callback."""
    lang = ViewState().lang
    return html.Div(
        id=ids.ROOT,
        className="atlas",
        children=[
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.VIEW),
            dcc.Store(id=ids.DRAWN),
            dcc.Store(id=ids.LATE_VIEW),
            dcc.Store(id=ids.SIZED_VIEW),
            dcc.Store(id=ids.CLIENT_TEXTS, data=i18n.client_texts()),
            controls(atlas, lang),
            html.Main(
                className="atlas-main",
                children=[
                    html.Div(id=ids.NOTICE, className="atlas-notice", role="status"),
                    toolbar(lang),
                    dcc.Loading(
                        id=ids.MAP_LOADING,
                        children=dcc.Graph(id=ids.MAP, config=GRAPH_CONFIG, className="atlas-map"),
                        type="circle",
                        delay_show=250,
                        parent_className="atlas-map-wrap",
                        overlay_style={"visibility": "visible", "opacity": 0.55},
                        target_components={ids.MAP: "figure"},
                    ),
                    callout(lang),
                    stepper(lang),
                    html.P(
                        className="atlas-source",
                        children=[
                            _text("source_line", lang),
                            # no seat coordinates in the data: say where the names of units stand
                            _text("labels_placement", lang, className="atlas-label-note"),
                        ],
                    ),
                    targets_section(lang),
                ],
            ),
            html.Aside(id=ids.DETAILS, className="atlas-details", children=[]),
        ],
    )
