"""The view state behind every control, and its round trip through the URL query."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qs, urlencode

from dashboard.config import DEFAULTS
from dashboard.view.stories import DEFAULT_STORY, Step, StoryError, bundled_stories, load_story
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.classify import DEFAULT_PALETTE, PALETTES
from geodata.indicators.schema import INDICATORS, VARIANT_VINTAGES
from geodata.layers import LAYER_IDS

LANGS = ("en", "zh")
FITS = ("provinces", "select")
UPLOAD_KEYS = ("upload", "upload_show", "measure", "measure_col", "upload_label", "upload_color")
UPLOAD_CLASS_KEYS = ("upload_classes", "breaks", "legend_title", "legend_unit", "tooltip_cols")  # upload choropleth
INDICATOR_KEYS = ("indicator", "year", "variant", "classes", "palette")
KEYS = (
    "layers", "provinces", "level", "lang", "labels", "select", "fit", "present", "story", "view",
    *UPLOAD_KEYS, *UPLOAD_CLASS_KEYS, *INDICATOR_KEYS,
)  # fmt: skip
UPLOAD_CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval", "user", "rank")  # geodata.classify.METHODS
MEASURES = ("count", "sum", "mean")
UPLOAD_COLORS = ("violet", "teal", "orange", "black")
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{16}")
#: Classification methods of the indicator map (geodata.classify; "rank" shows each of the six values).
CLASS_METHODS = ("rank", "quantiles", "fisher_jenks", "equal_interval")
VARIANTS = tuple(dict.fromkeys(variant for _, variant in VARIANT_VINTAGES))
YEAR = re.compile(r"(19[5-9]\d|20\d\d)")


@dataclass(frozen=True)
class ViewState:
    """Everything a shared URL restores; layers and provinces kept in canonical order."""

    layers: tuple[str, ...] = DEFAULTS.layers
    provinces: tuple[str, ...] = DEFAULTS.provinces
    level: str = DEFAULTS.level
    lang: str = DEFAULTS.lang
    labels: bool = DEFAULTS.labels
    select: str | None = None
    fit: str = "provinces"
    present: bool = False
    story: str = DEFAULT_STORY
    view: str | None = None  # a step of `story`; its layers, provinces and level are in force
    upload: str | None = None  # a planner's uploaded layer, kept by the server for a while
    measure: str = ""  # colour the admin units by the upload: count, sum or mean ("" for none)
    measure_col: str | None = None  # the numeric column summed or averaged
    upload_label: str | None = None  # the column labelling the upload's features
    upload_color: str = UPLOAD_COLORS[0]
    upload_show: bool = True  # the upload's own features drawn (the colouring of the units is separate)
    upload_classes: str = (
        ""  # class method of the upload's choropleth ("" = rank for a handful of values, else quantiles)
    )
    breaks: str = ""  # upper bounds of the classes for method "user", comma-separated ("10,20,50")
    legend_title: str = ""  # the planner's legend title (else the measure and column)
    legend_unit: str = ""  # the unit shown after the title, e.g. "100M yuan"
    tooltip_cols: str = ""  # the upload's columns shown on hover, comma-separated ("" = its numeric columns)
    indicator: str | None = None  # colour the provinces by a sourced indicator (geodata.indicators)
    year: int | None = None  # its year (None: the latest present)
    variant: str | None = None  # its variant (None: the one with most values)
    classes: str = CLASS_METHODS[0]
    palette: str = DEFAULT_PALETTE

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(x for x in LAYER_IDS if x in self.layers))
        object.__setattr__(self, "provinces", tuple(x for x in CENTRAL_PROVINCES if x in self.provinces))

    def to_dict(self) -> dict:
        """JSON-ready form for a dcc.Store."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ViewState:
        """Inverse of to_dict; None gives the default view."""
        if not data:
            return cls()
        return cls(**{**data, "layers": tuple(data["layers"]), "provinces": tuple(data["provinces"])})

    def with_(self, **changes: object) -> ViewState:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Notice:
    """Something in the URL that was ignored, and why."""

    key: str
    value: str
    reason: str  # "unknown-key", "unknown-value", "malformed"


def with_step(state: ViewState, step: Step) -> ViewState:
    """The view a story step shows (language, labels and presenter mode are kept)."""
    return state.with_(
        view=step.id,
        layers=step.layers,
        provinces=step.provinces,
        level=step.level,
        select=step.select,
        fit="select" if step.select else "provinces",
        indicator=step.indicator,
        year=step.year,
        variant=step.variant,
    )


def upload_params(state: ViewState) -> dict[str, str]:
    """The URL keys of the planner's own layer, when there is one."""
    if not state.upload:
        return {}
    params = {"upload": state.upload, "upload_color": state.upload_color}
    if not state.upload_show:
        params["upload_show"] = "0"
    for key in ("measure", "measure_col", "upload_label", *UPLOAD_CLASS_KEYS):
        if getattr(state, key):
            params[key] = getattr(state, key)
    return params


def indicator_params(state: ViewState) -> dict[str, str]:
    """The URL keys of the indicator map, when an indicator is shown."""
    if not state.indicator:
        return {}
    params = {"indicator": state.indicator}
    if state.year is not None:
        params["year"] = str(state.year)
    if state.variant:
        params["variant"] = state.variant
    return {**params, "classes": state.classes, "palette": state.palette}


def to_query(state: ViewState) -> str:
    """The URL query (with leading '?') that restores `state`."""
    if state.view:  # a story step is its own short URL
        params = {"story": state.story, "view": state.view, "lang": state.lang, "labels": "1" if state.labels else "0"}
        if state.present:
            params["present"] = "1"
        return "?" + urlencode({**params, **upload_params(state)}, safe=",")
    params = {
        "layers": ",".join(state.layers),
        "provinces": ",".join(state.provinces),
        "level": state.level,
        "lang": state.lang,
        "labels": "1" if state.labels else "0",
    }
    if state.select:
        params["select"] = state.select
        params["fit"] = state.fit
    if state.present:
        params["present"] = "1"
    return "?" + urlencode({**params, **upload_params(state), **indicator_params(state)}, safe=",")


def parse_query(query: str, *, selectable: Collection[str] = ()) -> tuple[ViewState, list[Notice]]:
    """Read a URL query into a view; every value it cannot use is ignored with a notice."""
    notices: list[Notice] = []
    try:
        raw = parse_qs(query.lstrip("?"), keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError:
        return ViewState(), [Notice("query", query[:80], "malformed")]
    fields: dict[str, object] = {}
    for key, values in raw.items():
        if key not in KEYS:
            notices.append(Notice(key, values[-1][:80], "unknown-key"))
            continue
        value = values[-1].strip()
        parsed = _parse_value(key, value, selectable=selectable, notices=notices)
        if parsed is not None:
            fields[key] = parsed
    view = fields.pop("view", None)
    state = ViewState(**fields)
    if view is not None:
        state = _apply_view(state, str(view), notices)
    return state, notices


def _apply_view(state: ViewState, view: str, notices: list[Notice]) -> ViewState:
    try:
        return with_step(state, load_story(state.story).step(view))
    except (KeyError, StoryError):
        notices.append(Notice("view", view[:80], "unknown-value"))
        return state


def _parse_value(key: str, value: str, *, selectable: Collection[str], notices: list[Notice]) -> object | None:
    if key in ("layers", "provinces"):
        known = LAYER_IDS if key == "layers" else tuple(CENTRAL_PROVINCES)
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item not in known:
                notices.append(Notice(key, item[:80], "unknown-value"))
        kept = tuple(item for item in items if item in known)
        return kept if kept or key == "layers" else None
    if key == "view":
        return value or None
    if key in ("measure_col", "upload_label"):  # column names: checked against the upload when it is drawn
        return value[:80] or None
    if key in ("legend_title", "legend_unit"):
        return value[:80]
    if key == "tooltip_cols":  # column names: checked against the upload when it is drawn
        return value[:400]
    if key == "breaks":
        if not re.fullmatch(r"-?\d+(\.\d+)?(,-?\d+(\.\d+)?){0,11}", value):
            notices.append(Notice(key, value[:80], "malformed"))
            return None
        return value
    if key == "year":
        if not YEAR.fullmatch(value):
            notices.append(Notice(key, value[:80], "malformed"))
            return None
        return int(value)
    if key == "upload":
        if not UPLOAD_ID.fullmatch(value):
            notices.append(Notice(key, value[:80], "malformed"))
            return None
        return value
    choices = {
        "level": LEVELS,
        "lang": LANGS,
        "labels": ("0", "1"),
        "present": ("0", "1"),
        "upload_show": ("0", "1"),
        "fit": FITS,
        "select": selectable,
        "story": bundled_stories(),
        "measure": ("", *MEASURES),
        "upload_color": UPLOAD_COLORS,
        "upload_classes": ("", *UPLOAD_CLASS_METHODS),
        "indicator": tuple(INDICATORS),
        "variant": VARIANTS,
        "classes": CLASS_METHODS,
        "palette": tuple(PALETTES),
    }[key]
    if value not in choices:
        notices.append(Notice(key, value[:80], "unknown-value" if value else "malformed"))
        return None
    return value == "1" if key in ("labels", "present", "upload_show") else value
