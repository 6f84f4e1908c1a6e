"""The view state behind every control, and its round trip through the URL query."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from dashboard.config import CONTEXT_LAYERS, DEFAULTS
from dashboard.view.stories import DEFAULT_STORY, Step, Story, StoryError, bundled_stories, load_story
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.classify import DEFAULT_PALETTE, PALETTES
from geodata.indicators.schema import INDICATORS, VARIANT_VINTAGES
from geodata.layers import LAYER_IDS

LANGS = ("en", "zh")
FITS = ("provinces", "select")
UPLOAD_KEYS = ("upload", "upload_show", "measure", "measure_col", "upload_label", "upload_color")
UPLOAD_CLASS_KEYS = ("upload_classes", "breaks", "legend_title", "legend_unit", "tooltip_cols")  # upload choropleth
INDICATOR_KEYS = ("indicator", "year", "variant", "classes", "palette")
#: URL keys of the viewport; the zoom factor is `mapscale` in the URL (an export's `scale` is its PNG pixel scale).
VIEWPORT_KEYS = ("center", "mapscale", "context")
KEYS = (
    "layers", "provinces", "level", "lang", "labels", "select", "fit", "present", "story", "view",
    *UPLOAD_KEYS, *UPLOAD_CLASS_KEYS, *INDICATOR_KEYS, *VIEWPORT_KEYS,
)  # fmt: skip
UPLOAD_CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval", "user", "rank")  # geodata.classify.METHODS
#: Zoom factors the URL may ask for (plotly's geo projection.scale; 1 shows the chosen provinces).
SCALE_RANGE = (0.5, 40.0)
#: Where a `center` may lie (lon, lat): around the six provinces.
CENTER_BOX = (95.0, 15.0, 130.0, 50.0)
MEASURES = ("count", "sum", "mean")
UPLOAD_COLORS = ("violet", "teal", "orange", "black")
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{16}")
SELECT_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
BOOL_KEYS = ("labels", "present", "upload_show")
COLUMN_MAX = 80
#: Classification methods of the indicator map (geodata.classify; "rank" shows each of the six values).
CLASS_METHODS = ("rank", "quantiles", "fisher_jenks", "equal_interval")
VARIANTS = tuple(dict.fromkeys(variant for _, variant in VARIANT_VINTAGES))
#: Upper class bounds of a planner's own breaks: up to 12 numbers, comma-separated.
BREAKS = re.compile(r"-?\d+(\.\d+)?(,-?\d+(\.\d+)?){0,11}")


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
    upload_classes: str = ""  # class method of the upload's choropleth ("" = rank for a few values, else quantiles)
    breaks: str = ""  # upper bounds of the classes for method "user", comma-separated ("10,20,50")
    legend_title: str = ""  # the planner's legend title (else the measure and column)
    legend_unit: str = ""  # the unit shown after the title, e.g. "100M yuan"
    tooltip_cols: str = ""  # the upload's columns shown on hover, comma-separated ("" = its numeric columns)
    indicator: str | None = None  # colour the provinces by a sourced indicator (geodata.indicators)
    year: int | None = None  # its year (None: the latest present)
    variant: str | None = None  # its variant (None: the one with most values)
    classes: str = CLASS_METHODS[0]
    palette: str = DEFAULT_PALETTE
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
    def from_dict(cls, data: Mapping[str, object] | None) -> ViewState:
        """Inverse of to_dict, validated (a forged store loses what is not valid); None gives the default view."""
        return parse_store(data)[0]

    @property
    def zoomed(self) -> bool:
        """Whether the view has its own centre and zoom (else it fits the provinces or the selection)."""
        return self.center is not None and self.scale is not None

    def with_(self, **changes: Any) -> ViewState:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Notice:
    """Something in the URL that was ignored, and why."""

    key: str
    value: str
    reason: str  # "unknown-key", "unknown-value", "malformed"


def _one_of(known: Collection[str] | Callable[[], Collection[str]]) -> AfterValidator:
    def check(value: str) -> str:
        choices = known() if callable(known) else known
        if value is not None and value not in choices:
            raise PydanticCustomError("malformed" if value == "" else "unknown-value", "not a known value")
        return value

    return AfterValidator(check)


def _matching(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str | None) -> str | None:
        if value is not None and not pattern.fullmatch(value):
            raise PydanticCustomError("malformed", "not a well-formed id")
        return value

    return AfterValidator(check)


def _selectable(value: str | None, info: ValidationInfo) -> str | None:
    known = (info.context or {}).get("selectable")
    if value is not None and known is not None and value not in known:
        raise PydanticCustomError("unknown-value", "not a feature id or an adcode")
    return value


def _breaks(value: str) -> str:
    if value and not BREAKS.fullmatch(value):
        raise PydanticCustomError("malformed", "not a list of numbers")
    return value


def _in_center_box(value: tuple[float, float] | None) -> tuple[float, float] | None:
    west, south, east, north = CENTER_BOX
    if value is not None and not (west <= value[0] <= east and south <= value[1] <= north):
        raise PydanticCustomError("unknown-value", "not a centre around the region")
    return value


def _in_scale_range(value: float | None) -> float | None:
    if value is not None and not SCALE_RANGE[0] <= value <= SCALE_RANGE[1]:
        raise PydanticCustomError("unknown-value", "not a zoom factor the map offers")
    return value


Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
Column = Annotated[str | None, Strict(), Field(max_length=COLUMN_MAX)]


class ViewSchema(BaseModel):
    """The one check of a view from outside (URL query, the browser's store, export requests): keys and values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layers: tuple[Annotated[Text, _one_of(LAYER_IDS)], ...] = DEFAULTS.layers
    provinces: Annotated[tuple[Annotated[Text, _one_of(tuple(CENTRAL_PROVINCES))], ...], Field(min_length=1)] = (
        DEFAULTS.provinces
    )
    level: Annotated[Text, _one_of(LEVELS)] = DEFAULTS.level
    lang: Annotated[Text, _one_of(LANGS)] = DEFAULTS.lang
    labels: Flag = DEFAULTS.labels
    select: Annotated[Text | None, _matching(SELECT_ID), AfterValidator(_selectable)] = None
    fit: Annotated[Text, _one_of(FITS)] = "provinces"
    present: Flag = False
    story: Annotated[Text, _one_of(bundled_stories)] = DEFAULT_STORY  # bundled stories by name, never a path
    view: Annotated[Text | None, _matching(SELECT_ID)] = None  # checked against the story by validate_view
    upload: Annotated[Text | None, _matching(UPLOAD_ID)] = None
    measure: Annotated[Text, _one_of(("", *MEASURES))] = ""
    measure_col: Column = None
    upload_label: Column = None
    upload_color: Annotated[Text, _one_of(UPLOAD_COLORS)] = UPLOAD_COLORS[0]
    upload_show: Flag = True
    upload_classes: Annotated[Text, _one_of(("", *UPLOAD_CLASS_METHODS))] = ""
    breaks: Annotated[Text, AfterValidator(_breaks)] = ""
    legend_title: Annotated[Text, Field(max_length=COLUMN_MAX)] = ""
    legend_unit: Annotated[Text, Field(max_length=COLUMN_MAX)] = ""
    tooltip_cols: Annotated[Text, Field(max_length=400)] = ""  # column names: checked against the upload when drawn
    indicator: Annotated[Text | None, _one_of(tuple(INDICATORS))] = None
    year: Annotated[int | None, Field(ge=1950, le=2099)] = None
    variant: Annotated[Text | None, _one_of(VARIANTS)] = None
    classes: Annotated[Text, _one_of(CLASS_METHODS)] = CLASS_METHODS[0]
    palette: Annotated[Text, _one_of(lambda: tuple(PALETTES))] = DEFAULT_PALETTE
    center: Annotated[tuple[float, float] | None, AfterValidator(_in_center_box)] = None
    scale: Annotated[float | None, AfterValidator(_in_scale_range)] = None
    context: tuple[Annotated[Text, _one_of(CONTEXT_LAYERS)], ...] = CONTEXT_LAYERS


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)[:80]
    return str(value)[:80]


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown-key"
    return error["type"] if error["type"] in ("unknown-value", "malformed") else "malformed"


def _without_invalid(fields: dict[str, object], errors: list, notices: list[Notice]) -> dict[str, object]:
    """`fields` less every invalid key (or list item), each with a notice."""
    fields = dict(fields)
    bad_items: dict[str, set[int]] = {}
    for error in errors:
        loc = error["loc"]
        key = str(loc[0]) if loc else "view"
        value = fields.get(key)
        if (
            key in ("layers", "provinces", "context")
            and len(loc) > 1
            and isinstance(loc[1], int)
            and isinstance(value, tuple)
        ):
            bad_items.setdefault(key, set()).add(loc[1])
            notices.append(Notice(key, _shown(value[loc[1]]), _reason(error)))
    for error in errors:
        loc = error["loc"]
        key = str(loc[0]) if loc else "view"
        value = fields.get(key)
        if key in fields and key not in bad_items:
            notices.append(Notice(key, _shown(value), _reason(error)))
            del fields[key]
    for key, bad in bad_items.items():
        items: tuple = fields[key]  # type: ignore[assignment]  # a tuple: its items were checked one by one
        kept = tuple(item for index, item in enumerate(items) if index not in bad)
        if kept or key != "provinces":
            fields[key] = kept
        else:
            del fields[key]  # no valid province left: all of them
    return fields


def validate_view(
    data: Mapping[str, object], *, selectable: Collection[str] | None = None, from_url: bool = False
) -> tuple[ViewState, list[Notice]]:
    """The view in `data` with every unusable key or value left out (at its default), and a notice for each.

    `selectable`: the ids a `select` may name (None: any well-formed id). A `view` must be a step of the story;
    from a URL it brings the step's layers, provinces and level.
    """
    notices: list[Notice] = []
    fields = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    for _ in range(3):  # a pass drops what was invalid; the fields left then validate
        try:
            schema = ViewSchema.model_validate(fields, context={"selectable": selectable})
            break
        except ValidationError as exc:
            fields = _without_invalid(fields, exc.errors(), notices)
    else:
        return ViewState(), notices
    values = schema.model_dump(exclude_unset=True)
    if (values.get("center") is None) != (values.get("scale") is None):  # a zoom needs both
        values.pop("center", None), values.pop("scale", None)
    view = values.pop("view", None)
    state = ViewState(**values)
    if view is None:
        return state, notices
    try:
        step = load_story(state.story).step(view)
    except (KeyError, StoryError):
        notices.append(Notice("view", view, "unknown-value"))
        return state, notices
    zoom = {"center": state.center, "scale": state.scale}  # a step's URL may carry the zoom
    return (with_step(state, step).with_(**zoom) if from_url else state.with_(view=step.id)), notices


def parse_store(data: Mapping[str, object] | None) -> tuple[ViewState, list[Notice]]:
    """The view the browser's store sent back, validated like a URL (it may have been forged)."""
    if not isinstance(data, Mapping):
        return ViewState(), ([] if data is None else [Notice("store", _shown(data), "malformed")])
    return validate_view(data)


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


def viewport_params(state: ViewState) -> dict[str, str]:
    """The URL keys of the zoom, the pan and the context layers, when they differ from the default."""
    params = {}
    if state.center is not None and state.scale is not None:
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
    return "?" + urlencode(
        {**params, **upload_params(state), **indicator_params(state), **viewport_params(state)}, safe=","
    )


def parse_query(query: str, *, selectable: Collection[str] = ()) -> tuple[ViewState, list[Notice]]:
    """Read a URL query into a view; every value it cannot use is ignored with a notice.

    The query is only split here (last value of a key wins, lists at commas, 0/1 as booleans); every value is then
    checked by the one schema, `validate_view`, as the browser's store and export requests are.
    """
    try:
        raw = parse_qs(query.lstrip("?"), keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError:
        return ViewState(), [Notice("query", query[:80], "malformed")]
    fields: dict[str, object] = {}
    for key, values in raw.items():
        value = values[-1].strip()
        if key in ("layers", "provinces"):
            items = tuple(item.strip() for item in value.split(",") if item.strip())
            if items or key == "layers":  # no provinces at all means all of them
                fields[key] = items
        elif key == "context":
            fields[key] = tuple(item.strip() for item in value.split(",") if item.strip() and item.strip() != "none")
        elif key in ("center", "mapscale"):
            fields["scale" if key == "mapscale" else key] = _numbers(value, count=2 if key == "center" else 1)
        elif key in BOOL_KEYS:
            fields[key] = {"0": False, "1": True}.get(value, value)
        elif key in ("view", "measure_col", "upload_label", "indicator", "variant"):
            fields[key] = value or None
        elif key == "year":
            fields[key] = int(value) if value.isascii() and value.isdigit() and len(value) == 4 else value
        else:
            fields[key] = value
    state, notices = validate_view(fields, selectable=selectable, from_url=True)
    return state, [replace(n, key="mapscale") if n.key == "scale" else n for n in notices]


def _numbers(value: str, *, count: int) -> object:
    """`count` comma-separated numbers (one: a float, two: a tuple); the text itself when it is not that."""
    try:
        numbers = tuple(float(part) for part in value.split(","))
    except ValueError:
        return value
    if len(numbers) != count:
        return value
    return numbers[0] if count == 1 else numbers


#: A story sent to the browser (a planner's own YAML, parsed on the server) and back: its size limits.
STORY_MAX_STEPS = 60
StoryText = Annotated[str, Strict(), Field(min_length=1, max_length=2000)]
StoryId = Annotated[Text, _matching(SELECT_ID)]


class StoryTextsSchema(BaseModel):
    """A text of a story in both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: StoryText
    zh: StoryText


class StoryStepSchema(BaseModel):
    """One step of a story held by the browser: the same vocabulary as a story file, and no path or file name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StoryId
    title: StoryTextsSchema
    caption: StoryTextsSchema
    section: Annotated[str, Strict(), Field(min_length=1, max_length=40)]
    layers: Annotated[tuple[Annotated[Text, _one_of(LAYER_IDS)], ...], Field(min_length=1)]
    provinces: Annotated[tuple[Annotated[Text, _one_of(tuple(CENTRAL_PROVINCES))], ...], Field(min_length=1)]
    level: Annotated[Text, _one_of(LEVELS)]
    select: StoryId | None = None
    indicator: Annotated[Text | None, _one_of(tuple(INDICATORS))] = None
    year: Annotated[int | None, Strict(), Field(ge=1950, le=2099)] = None
    variant: Annotated[Text | None, _one_of(VARIANTS)] = None


class StorySchema(BaseModel):
    """A whole story held by the browser's store, checked again on every way back (it may have been forged)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StoryId
    title: StoryTextsSchema
    steps: Annotated[tuple[StoryStepSchema, ...], Field(min_length=1, max_length=STORY_MAX_STEPS)]


def story_to_store(story: Story) -> dict:
    """A parsed story as JSON-ready data for a dcc.Store (its contents only: no file name travels)."""
    return asdict(story)


def parse_story_store(data: object) -> Story | None:
    """The story a browser store sent back, or None when it is not a valid story (forged, damaged, absent)."""
    if not isinstance(data, Mapping):
        return None
    try:
        schema = StorySchema.model_validate(data)
    except ValidationError:
        return None
    steps = tuple(
        Step(**{**step.model_dump(), "title": step.title.model_dump(), "caption": step.caption.model_dump()})
        for step in schema.steps
    )
    if len({step.id for step in steps}) != len(steps):
        return None
    return Story(id=schema.id, title=schema.title.model_dump(), steps=steps)


def toggled_present(state: ViewState) -> ViewState:
    """Presenter mode off, or on at the story's first step (unless the view already shows a step)."""
    if state.present:
        return state.with_(present=False)
    if state.view:
        return state.with_(present=True)
    return with_step(state, load_story(state.story).steps[0]).with_(present=True)
