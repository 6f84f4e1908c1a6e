"""The view state behind every control, and its round trip through the URL query."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qs, urlencode

from dashboard.config import CONTEXT_LAYERS, DEFAULTS
from dashboard.view.stories import DEFAULT_STORY, Step, StoryError, bundled_stories, load_story
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.layers import LAYER_IDS

LANGS = ("en", "zh")
FITS = ("provinces", "select")
UPLOAD_KEYS = ("upload", "upload_show", "measure", "measure_col", "upload_label", "upload_color")
#: URL keys of the viewport; the zoom factor is `mapscale` in the URL (an export's `scale` is its PNG pixel scale).
VIEWPORT_KEYS = ("center", "mapscale", "context")
KEYS = (
    "layers", "provinces", "level", "lang", "labels", "select", "fit", "present", "story", "view",
    *UPLOAD_KEYS, *VIEWPORT_KEYS,
)  # fmt: skip
#: Zoom factors the URL may ask for (plotly's geo projection.scale; 1 shows the chosen provinces).
SCALE_RANGE = (0.5, 40.0)
#: Where a `center` may lie (lon, lat): around the six provinces.
CENTER_BOX = (95.0, 15.0, 130.0, 50.0)
MEASURES = ("count", "sum", "mean")
UPLOAD_COLORS = ("violet", "teal", "orange", "black")
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{16}")


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
    center: tuple[float, float] | None = None  # lon, lat at the map's middle after a pan (None: the fitted view)
    scale: float | None = None  # zoom factor after a zoom (None: the fitted view)
    context: tuple[str, ...] = CONTEXT_LAYERS  # physical context layers shown

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(x for x in LAYER_IDS if x in self.layers))
        object.__setattr__(self, "provinces", tuple(x for x in CENTRAL_PROVINCES if x in self.provinces))
        object.__setattr__(self, "context", tuple(x for x in CONTEXT_LAYERS if x in self.context))
        if self.center is not None:
            object.__setattr__(self, "center", (round(float(self.center[0]), 4), round(float(self.center[1]), 4)))
        if self.scale is not None:
            object.__setattr__(self, "scale", round(float(self.scale), 3))

    def to_dict(self) -> dict:
        """JSON-ready form for a dcc.Store."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ViewState:
        """Inverse of to_dict; None gives the default view."""
        if not data:
            return cls()
        return cls(**{**data, "layers": tuple(data["layers"]), "provinces": tuple(data["provinces"])})

    @property
    def zoomed(self) -> bool:
        """Whether the view has its own centre and zoom (else it fits the provinces or the selection)."""
        return self.center is not None and self.scale is not None

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
        center=None,
        scale=None,
    )


def upload_params(state: ViewState) -> dict[str, str]:
    """The URL keys of the planner's own layer, when there is one."""
    if not state.upload:
        return {}
    params = {"upload": state.upload, "upload_color": state.upload_color}
    if not state.upload_show:
        params["upload_show"] = "0"
    for key in ("measure", "measure_col", "upload_label"):
        if getattr(state, key):
            params[key] = getattr(state, key)
    return params


def viewport_params(state: ViewState) -> dict[str, str]:
    """The URL keys of the zoom, the pan and the context layers, when they differ from the default."""
    params = {}
    if state.zoomed:
        params["center"] = f"{state.center[0]:.4f},{state.center[1]:.4f}"
        params["mapscale"] = f"{state.scale:g}"
    if state.context != CONTEXT_LAYERS:
        params["context"] = ",".join(state.context) or "none"
    return params


def to_query(state: ViewState) -> str:
    """The URL query (with leading '?') that restores `state`."""
    if state.view:  # a story step is its own short URL
        params = {"story": state.story, "view": state.view, "lang": state.lang, "labels": "1" if state.labels else "0"}
        if state.present:
            params["present"] = "1"
        return "?" + urlencode({**params, **upload_params(state), **viewport_params(state)}, safe=",")
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
    return "?" + urlencode({**params, **upload_params(state), **viewport_params(state)}, safe=",")


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
    if "mapscale" in fields:
        fields["scale"] = fields.pop("mapscale")
    if ("center" in fields) != ("scale" in fields):  # a zoom needs both
        fields.pop("center", None), fields.pop("scale", None)
    state = ViewState(**fields)
    if view is not None:
        zoom = {"center": state.center, "scale": state.scale}
        state = _apply_view(state, str(view), notices).with_(**zoom)
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
    if key in VIEWPORT_KEYS:
        return _parse_viewport(key, value, notices=notices)
    if key in ("measure_col", "upload_label"):  # column names: checked against the upload when it is drawn
        return value[:80] or None
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
    }[key]
    if value not in choices:
        notices.append(Notice(key, value[:80], "unknown-value" if value else "malformed"))
        return None
    return value == "1" if key in ("labels", "present", "upload_show") else value


def _parse_viewport(key: str, value: str, *, notices: list[Notice]) -> object | None:
    """`center` as lon,lat in the box around the region; `mapscale` within SCALE_RANGE; `context` as layer ids."""
    if key == "context":
        items = [item.strip() for item in value.split(",") if item.strip() and item.strip() != "none"]
        for item in items:
            if item not in CONTEXT_LAYERS:
                notices.append(Notice(key, item[:80], "unknown-value"))
        return tuple(item for item in items if item in CONTEXT_LAYERS)
    try:
        numbers = tuple(float(part) for part in value.split(","))
    except ValueError:
        notices.append(Notice(key, value[:80], "malformed"))
        return None
    west, south, east, north = CENTER_BOX
    if key == "center" and len(numbers) == 2 and west <= numbers[0] <= east and south <= numbers[1] <= north:
        return numbers
    if key == "mapscale" and len(numbers) == 1 and SCALE_RANGE[0] <= numbers[0] <= SCALE_RANGE[1]:
        return numbers[0]
    notices.append(Notice(key, value[:80], "unknown-value" if len(numbers) in (1, 2) else "malformed"))
    return None
