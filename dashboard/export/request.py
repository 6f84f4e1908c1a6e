"""One strict reader of export requests (URL query or command line): the view, format, size and print options."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

from dashboard.figures.printing import PrintOptions
from dashboard.view import i18n
from dashboard.view.state import FITS, LANGS, ViewState, parse_query, to_query
from dashboard.view.state import KEYS as VIEW_KEYS
from dashboard.view.stories import Story, StoryError, bundled_stories, load_story
from geodata import Atlas, load_atlas
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.layers import LAYER_IDS

IMAGE_FORMATS = ("png", "svg", "pdf")
DATA_FORMATS = ("geojson", "csv")
FORMATS = (*IMAGE_FORMATS, *DATA_FORMATS)
MEDIA_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
}
PRINT_DPI = 300
#: Size presets: CSS px (96 per inch) and the PNG pixel scale; A4 and A3 landscape give 300 dpi PNGs.
#: A PDF page is the CSS size at 0.75 pt per px, which Chromium rounds to steps of about 0.96 pt:
#: A4 comes out 841.92 x 595.92 pt (ISO: 841.89 x 595.28), A3 1189.92 x 841.92 pt (ISO: 1190.55 x 841.89).
PRESETS = {
    "slide": (1920, 1080, 1.0),
    "a4": (1123, 794, PRINT_DPI / 96),
    "a3": (1587, 1123, PRINT_DPI / 96),
}
DEFAULT_SIZE = "slide"
SIDE_PX = (200, 5000)
SCALE = (0.5, 5.0)
MAX_PIXELS = 40_000_000
SUBTITLE_MAX = 200
FLAG_KEYS = ("title", "legend", "source", "scalebar", "north")
OPTION_KEYS = (*FLAG_KEYS, "subtitle")
SIZE_KEYS = ("size", "width", "height", "scale")
EXPORT_KEYS = (*SIZE_KEYS, *OPTION_KEYS)
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,100}")
APP_NAME = "central-region-atlas"
SLUG_MAX = 45  # keeps a download name (with its size, up to 5000x5000) within NAME_PATTERN's 100 characters
ENDPOINT = "/export"


class ExportError(ValueError):
    """A request an export cannot serve; the message names the parameter and the allowed values."""


@dataclass(frozen=True)
class ExportRequest:
    """A validated export: what to draw, in which format, at which size, with which furniture."""

    state: ViewState
    fmt: str
    size: str  # a preset name, or "WIDTHxHEIGHT"
    options: PrintOptions
    story: Story | None = None  # a story read from a file (command line only); else the bundled one the view names

    @property
    def is_image(self) -> bool:
        """PNG, SVG or PDF (else GeoJSON or CSV data)."""
        return self.fmt in IMAGE_FORMATS

    @property
    def pixels(self) -> tuple[int, int]:
        """The output size in device pixels (a PDF page: in CSS px, 0.75 pt each)."""
        o = self.options
        return round(o.width * o.scale), round(o.height * o.scale)


def selectable(atlas: Atlas) -> set[str]:
    """Every id a view may select: guideline features and admin units of every level."""
    codes = set(atlas.features["feature_id"])
    for level in ("province", "prefecture", "county"):
        codes |= set(atlas.units(level)["adcode"])
    return codes


def check_format(fmt: str) -> str:
    """The format, lower-cased, if it is one we export."""
    if fmt.lower() not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt.lower()


def parse_view(query: str, *, atlas: Atlas | None = None) -> ViewState:
    """A view from an app URL query (leading '?' optional); anything the app would ignore is an error here.

    The atlas (loaded if None) is only needed to check a `select`.
    """
    query = query.strip().lstrip("?")
    keys = {key for key, _ in _pairs(query)}
    unknown = sorted(keys - set(VIEW_KEYS))
    if unknown:
        raise ExportError(f"unknown view parameter(s): {', '.join(unknown)}; known: {', '.join(VIEW_KEYS)}")
    ids = selectable(atlas or load_atlas()) if "select" in keys else ()
    state, notices = parse_query(query, selectable=ids)
    if notices:
        problems = "; ".join(f"{n.key}={n.value!r}: {_reason(n.key, n.reason)}" for n in notices)
        raise ExportError(f"bad view: {problems}")
    return state


def _reason(key: str, reason: str) -> str:
    hints = {
        "layers": f"known: {', '.join(LAYER_IDS)}",
        "provinces": f"known: {', '.join(CENTRAL_PROVINCES)}",
        "level": f"known: {', '.join(LEVELS)}",
        "lang": f"known: {', '.join(LANGS)}",
        "fit": f"known: {', '.join(FITS)}",
        "labels": "0 or 1",
        "present": "0 or 1",
        "select": "a feature id or an adcode",
        "story": f"bundled: {', '.join(bundled_stories())}",
        "view": "not a step of the story",
    }
    hint = hints.get(key)
    return f"{i18n.t(reason, 'en')} ({hint})" if hint else i18n.t(reason, "en")


def parse_export(params: str | Iterable[tuple[str, str]], *, fmt: str, atlas: Atlas | None = None) -> ExportRequest:
    """An export from query parameters (a query string or key/value pairs): view keys plus size and options."""
    pairs = _pairs(params.lstrip("?")) if isinstance(params, str) else list(params)
    keys = [key for key, _ in pairs]
    unknown = sorted(set(keys) - set(VIEW_KEYS) - set(EXPORT_KEYS))
    if unknown:
        known = ", ".join((*VIEW_KEYS, *EXPORT_KEYS))
        raise ExportError(f"unknown parameter(s): {', '.join(unknown)}; known: {known}")
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ExportError(f"parameter(s) given more than once: {', '.join(repeated)}")
    fmt = check_format(fmt)
    values = dict(pairs)
    state = parse_view(urlencode([(k, v) for k, v in pairs if k in VIEW_KEYS]), atlas=atlas)
    if fmt in DATA_FORMATS:
        extra = [key for key in keys if key in EXPORT_KEYS]
        if extra:
            raise ExportError(f"{', '.join(extra)} only apply to images (png, svg, pdf), not {fmt}")
        return ExportRequest(state=state, fmt=fmt, size=DEFAULT_SIZE, options=PrintOptions())
    size, (width, height, scale) = parse_size(values, fmt=fmt)
    options = PrintOptions(width=width, height=height, scale=scale, **parse_options(values))
    return ExportRequest(state=state, fmt=fmt, size=size, options=options)


def _pairs(query: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=60)
    except ValueError as exc:
        raise ExportError(f"malformed query: {exc}") from exc


def parse_size(values: Mapping[str, str], *, fmt: str) -> tuple[str, tuple[int, int, float]]:
    """The size name and (width, height, scale): a preset, WIDTHxHEIGHT, or width and height, with limits."""
    if "size" in values and ("width" in values or "height" in values):
        raise ExportError("give either size or width and height, not both")
    if ("width" in values) != ("height" in values):
        raise ExportError("width and height go together")
    if "width" in values:
        name = f"{_side('width', values['width'])}x{_side('height', values['height'])}"
    else:
        name = values.get("size", DEFAULT_SIZE).strip().lower()
    width, height, scale = preset_or_custom(name)
    if "scale" in values:
        if fmt != "png":
            raise ExportError(f"scale applies to png only; {fmt} is vector (its page is the size in CSS px)")
        scale = _number("scale", values["scale"], SCALE)
    if fmt != "png":
        scale = 1.0
    if round(width * scale) * round(height * scale) > MAX_PIXELS:
        raise ExportError(
            f"image too large: {round(width * scale)} x {round(height * scale)} px is over {MAX_PIXELS // 10**6} MP"
        )
    return name, (width, height, scale)


def preset_or_custom(name: str) -> tuple[int, int, float]:
    """A preset's (width, height, scale), or a custom WIDTHxHEIGHT at scale 1."""
    if name in PRESETS:
        return PRESETS[name]
    match = re.fullmatch(r"(\d{1,6})[x×](\d{1,6})", name)
    if not match:
        raise ExportError(f"unknown size {name!r}; choose {', '.join(PRESETS)} or WIDTHxHEIGHT (e.g. 1600x900)")
    return _side("width", match[1]), _side("height", match[2]), 1.0


def _side(key: str, value: str) -> int:
    low, high = SIDE_PX
    if not value.strip().isdigit():
        raise ExportError(f"{key} must be a whole number of px, not {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise ExportError(f"{key} must be between {low} and {high} px, not {number}")
    return number


def _number(key: str, value: str, limits: tuple[float, float]) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ExportError(f"{key} must be a number, not {value!r}") from None
    low, high = limits
    if not low <= number <= high:  # also rejects nan
        raise ExportError(f"{key} must be between {low:g} and {high:g}, not {value}")
    return number


def parse_options(values: Mapping[str, str]) -> dict:
    """The print options given: flags as 0/1; title and subtitle as text ('' or 0 for none, 1 for the default)."""
    options: dict = {}
    for key in FLAG_KEYS:
        if key == "title" and values.get(key, "0") not in ("0", "1"):
            options["title_text"] = parse_text("title", values[key])
            continue
        if key in values:
            if values[key] not in ("0", "1"):
                raise ExportError(f"{key} must be 0 or 1, not {values[key][:20]!r}")
            options[key] = values[key] == "1"
    if "subtitle" in values:
        options["subtitle"] = parse_subtitle(values["subtitle"])
    return options


#: Invisible characters that are part of emoji sequences (zero-width joiner, variation selectors, flag tags).
EMOJI_JOINERS = frozenset(["\u200d", "\ufe0e", "\ufe0f", *map(chr, range(0xE0020, 0xE0080))])


def parse_subtitle(text: str) -> str | None:
    """A custom subtitle: at most SUBTITLE_MAX printable characters; '0' or '' for none, '1' for the default."""
    text = text.strip()
    if text == "1":
        return None
    if text == "0":
        return ""
    return parse_text("subtitle", text)


def parse_text(key: str, text: str) -> str:
    """Custom title or subtitle text: one line of at most SUBTITLE_MAX printable characters."""
    text = text.strip()
    if len(text) > SUBTITLE_MAX:
        raise ExportError(f"{key} is {len(text)} characters; the limit is {SUBTITLE_MAX}")
    if any(not (ch.isprintable() or ch in EMOJI_JOINERS) for ch in text):
        raise ExportError(f"{key} must be one line of printable text")
    return text


def view_slug(state: ViewState) -> str:
    """A short file-name part for a view: the story and step, else the provinces, level, layers and selection."""
    if state.view:
        try:
            story = load_story(state.story)
            position = [step.id for step in story.steps].index(state.view) + 1
            return _slug(f"{story.id}-{position:02d}-{state.view}")
        except (StoryError, ValueError):
            return _slug(f"{state.story}-{state.view}")
    where = "central" if len(state.provinces) == 6 else "-".join(i18n.province_name(p, "en") for p in state.provinces)
    what = "-".join(state.layers) if len(state.layers) <= 2 else f"{len(state.layers)}-layers"
    parts = [where, state.level, what or "boundaries"]
    if state.select:
        parts.append(state.select)
    return _slug("_".join(parts))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")[:SLUG_MAX].strip("-_")


def download_name(state: ViewState, *, fmt: str, size: str | None = None, today: datetime.date | None = None) -> str:
    """A meaningful file name: central-region-atlas_<step or view>[_<size>]_<YYYY-MM-DD>.<fmt>.

    Images name their size (slide, a4, a3 or WIDTHxHEIGHT; the preset slide when None), so sizes never collide.
    """
    day = (today or datetime.date.today()).isoformat()
    fmt = check_format(fmt)
    size_part = f"_{_slug(size or DEFAULT_SIZE)}" if fmt in IMAGE_FORMATS else ""
    return f"{APP_NAME}_{view_slug(state)}{size_part}_{day}.{fmt}"


def export_query(request: ExportRequest) -> str:
    """The query (with '?') that parse_export reads back into this request; defaults left out."""
    params = _pairs(to_query(request.state).lstrip("?"))
    if request.is_image:
        params += option_params(request.options, size=request.size, fmt=request.fmt)
    return "?" + urlencode(params, safe=",")


def option_params(options: PrintOptions, *, size: str, fmt: str) -> list[tuple[str, str]]:
    """Size and print options as query pairs, defaults omitted."""
    params = [] if size == DEFAULT_SIZE else [("size", size)]
    preset_scale = preset_or_custom(size)[2]
    if fmt == "png" and options.scale != preset_scale:
        params.append(("scale", f"{options.scale:g}"))
    default = PrintOptions()
    for key in FLAG_KEYS:
        if key == "title" and options.title and options.title_text:
            params.append(("title", options.title_text))
        elif getattr(options, key) != getattr(default, key):
            params.append((key, "1" if getattr(options, key) else "0"))
    if options.subtitle is not None:
        params.append(("subtitle", options.subtitle or "0"))
    return params


def export_href(
    state: ViewState,
    *,
    fmt: str,
    size: str = DEFAULT_SIZE,
    scale: float | None = None,
    options: Mapping[str, bool | str | None] | None = None,
    today: datetime.date | None = None,
) -> str:
    """The export endpoint's URL for a view, e.g. for a download link in the page.

    `scale`: PNG pixels per CSS px (the preset's when None; ignored for vector and data formats).
    `options`: any of title, legend, source, scalebar, north (bools), subtitle (text, "" for none) and
    title_text (a custom title).
    """
    fmt = check_format(fmt)
    options = dict(options or {})
    title_text = options.pop("title_text", None)
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        known = ", ".join((*OPTION_KEYS, "title_text"))
        raise ExportError(f"unknown option(s): {', '.join(unknown)}; known: {known}")
    flags = {key: (value == "1" if isinstance(value, str) else bool(value)) for key, value in options.items()}
    if "subtitle" in options:
        flags["subtitle"] = options["subtitle"]
    if title_text and str(title_text).strip():
        flags["title_text"] = parse_text("title", str(title_text))
    width, height, preset_scale = preset_or_custom(size.lower())
    if fmt == "png" and scale is not None:
        preset_scale = _number("scale", str(scale), SCALE)
    print_options = replace(PrintOptions(width=width, height=height, scale=preset_scale), **flags)
    request = ExportRequest(state=state, fmt=fmt, size=size.lower(), options=print_options)
    stem = download_name(state, fmt=fmt, size=size.lower(), today=today).rsplit(".", 1)[0]
    return f"{ENDPOINT}/{stem}.{fmt}{export_query(request)}"
