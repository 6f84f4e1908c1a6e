"""The series service: a map series (cover and one page per unit) as one PDF, or a zip of PNG or SVG pages."""

from __future__ import annotations

import concurrent.futures
import datetime
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from dashboard.export import publish, render
from dashboard.export.request import (
    APP_NAME,
    ExportError,
    _pairs,
    _slug,
    parse_export,
)
from dashboard.figures.printing import PrintOptions, series_page_spec
from dashboard.figures.series import SET_KINDS, Series, SeriesError, SeriesSet, build_series
from dashboard.view import i18n
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from dashboard.view.stories import StoryError, bundled_stories, load_story
from geodata import Atlas
from geodata._paths import CENTRAL_PROVINCES
from geodata.layers import LAYER_IDS

SERIES_FORMATS = ("pdf", "png", "svg")
#: What a series download is: one PDF, or a zip of one image per page.
MEDIA_TYPES = {"pdf": "application/pdf", "zip": "application/zip"}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeriesRequest:
    """A validated series export: the set, the page format, size and options, and the view it starts from."""

    set_text: str
    fmt: str
    size: str
    options: PrintOptions
    base: ViewState

    @property
    def container(self) -> str:
        """pdf for a PDF series, zip for PNG or SVG pages."""
        return "pdf" if self.fmt == "pdf" else "zip"


#: The sets, as the command line's help and its error messages name them.
SET_HELP = "provinces, prefectures:<province adcode>, layer:<layer id> or story:<name>"


def parse_set(text: str) -> SeriesSet:
    """A set from `provinces`, `prefectures:<adcode>`, `layer:<id>` or `story:<name>`; anything else a SeriesError."""
    kind, _, arg = text.strip().partition(":")
    kind, arg = kind.lower(), arg.strip()
    if kind not in SET_KINDS:
        raise SeriesError(f"unknown series set {text!r}; choose {SET_HELP}")
    if kind == "provinces":
        if arg:
            raise SeriesError(f"the provinces set takes no argument, not {arg!r}")
        return SeriesSet("provinces")
    if not arg:
        raise SeriesError(f"the {kind} set needs an argument: {SET_HELP}")
    if kind == "prefectures" and arg not in CENTRAL_PROVINCES:
        raise SeriesError(f"unknown province {arg!r} for prefectures; known: {', '.join(CENTRAL_PROVINCES)}")
    if kind == "layer" and arg not in LAYER_IDS:
        raise SeriesError(f"unknown layer {arg!r}; known: {', '.join(LAYER_IDS)}")
    if kind == "story":
        try:
            return SeriesSet(kind, arg, story=load_story(arg))
        except StoryError as exc:
            raise SeriesError(f"unknown story {arg!r}; bundled: {', '.join(bundled_stories())} ({exc})") from None
    return SeriesSet(kind, arg)


def parse_series(set_text: str, params: str | list[tuple[str, str]], *, fmt: str) -> SeriesRequest:
    """A series request from the set, the query (view keys for language, labels and layers; size and options)."""
    chosen = parse_set(set_text)
    if fmt.lower() not in SERIES_FORMATS:
        raise ExportError(f"unknown series format {fmt!r}; choose one of {', '.join(SERIES_FORMATS)}")
    pairs = _pairs(params.lstrip("?")) if isinstance(params, str) else list(params)
    single = parse_export(pairs, fmt=fmt.lower())
    return SeriesRequest(chosen.text, fmt.lower(), single.size, single.options, single.state)


def series_of(request: SeriesRequest, *, atlas: Atlas) -> Series:
    """The page specs of a request."""
    return build_series(atlas, parse_set(request.set_text), base=request.base)


def page_specs(series: Series, *, atlas: Atlas, options: PrintOptions) -> list[dict]:
    """Every page as a figure dict, the cover first, all on one template."""
    lang = series.cover.lang
    heading = i18n.t("series_in_this_map", lang)
    contents = [f"{page.number}  {page.title}" for page in series.pages]
    labels = []
    for page in series.pages:
        point = name_point(page.unit)
        labels.append((point.x, point.y, str(page.number)))
    cover = series_page_spec(
        atlas,
        resolve(series.cover),
        options=options,
        title=series.title,
        subtitle=series.subtitle,
        number=1,
        total=series.total,
        unit=None,
        code="cover",
        items=contents,
        items_heading=i18n.t("series_contents", lang),
        labels=labels,
    )
    specs = [cover]
    for page in series.pages:
        specs.append(
            series_page_spec(
                atlas,
                resolve(page.state),
                options=options,
                title=page.title,
                subtitle=page_subtitle(series, page.state),
                number=page.number,
                total=series.total,
                unit=page.unit,
                code=page.code,
                items=list(page.features) or ["—"],
                items_heading=heading,
            )
        )
    return specs


def name_point(unit: object) -> object:
    """Where the map writes an area's name: the pole of inaccessibility of its largest part (as the labels do)."""
    import shapely
    from shapely.ops import polylabel

    parts = [part for part in shapely.get_parts(unit) if part.geom_type == "Polygon"]
    if not parts:  # a point or a line: its own representative point
        return unit.representative_point()  # type: ignore[attr-defined]
    return polylabel(max(parts, key=lambda part: part.area), tolerance=0.02)


def page_subtitle(series: Series, state: ViewState) -> str:
    """A story step's caption, else the series title and the layers the page shows."""
    if state.view:
        return resolve(state).subtitle
    layers = " · ".join(i18n.layer_name(layer, state.lang) for layer in state.layers)
    return f"{series.title} · {layers}" if layers else series.title


def render_page(spec: dict, *, request: SeriesRequest, title: str) -> bytes:
    """One page in the request's format, publisher-ready (a PDF page without document metadata yet)."""
    return start_page(spec, request=request, title=title, pool=None).result()


def start_page(
    spec: dict, *, request: SeriesRequest, title: str, pool: concurrent.futures.Executor | None
) -> concurrent.futures.Future:
    """Draw one page in the browser now; a PDF page's conversion (rsvg-convert, its own process) goes to `pool`.

    So the browser draws page k + 1 while page k is converted: the two use different cores.
    """
    o = request.options
    done: concurrent.futures.Future = concurrent.futures.Future()
    if request.fmt == "png":
        png = render.render(spec, fmt="png", width=o.width, height=o.height, scale=o.scale)
        done.set_result(publish.png_with_dpi(png, dpi=96 * o.scale))
        return done
    svg = render.render(spec, fmt="svg", width=o.width, height=o.height, scale=1.0)
    if request.fmt == "svg":
        done.set_result(publish.svg_with_title(svg, title=title))
        return done
    page_pt = publish.page_points(size=request.size, width=o.width, height=o.height)
    if pool is None:
        done.set_result(publish.svg_to_pdf(svg, page_pt=page_pt))
        return done
    return pool.submit(publish.svg_to_pdf, svg, page_pt=page_pt)


def page_titles(series: Series) -> list[str]:
    """The title of every page, the cover first."""
    return [series.title, *(page.title for page in series.pages)]


#: PDF pages converted at once while the browser draws the next ones.
CONVERT_WORKERS = 2


def draw_pages(request: SeriesRequest, *, atlas: Atlas, progress: Progress | None = None) -> tuple[Series, list]:
    """The series and every page's bytes, the cover first; `progress(k, n)` after each page is drawn."""
    series = series_of(request, atlas=atlas)
    titles = page_titles(series)
    specs = page_specs(series, atlas=atlas, options=request.options)
    with concurrent.futures.ThreadPoolExecutor(CONVERT_WORKERS, thread_name_prefix="series-pdf") as pool:
        started = []
        try:
            for index, (spec, title) in enumerate(zip(specs, titles, strict=True), start=1):
                started.append(start_page(spec, request=request, title=title, pool=pool))
                if progress:
                    progress(index, len(specs))
            return series, [future.result() for future in started]
        finally:
            for future in started:
                future.cancel()


def export_series(request: SeriesRequest, *, atlas: Atlas, progress: Progress | None = None) -> bytes:
    """The series file: a multi-page PDF, or a zip of page images."""
    series, pages = draw_pages(request, atlas=atlas, progress=progress)
    if request.fmt == "pdf":
        return publish.pdf_document(pages, title=series.title, subject=series.subtitle, lang=series.cover.lang)
    return zip_pages(pages, titles=page_titles(series), fmt=request.fmt)


def series_pages(request: SeriesRequest, *, atlas: Atlas, progress: Progress | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every page: one image (or one-page PDF) per page, numbered."""
    series, pages = draw_pages(request, atlas=atlas, progress=progress)
    names = page_names(page_titles(series), fmt=request.fmt)
    return list(zip(names, pages, strict=True))


def page_names(titles: list[str], *, fmt: str) -> list[str]:
    """01-the-six-central-provinces.png, 02-shanxi.png, …"""
    return [f"{number:02d}-{_slug(title) or 'page'}.{fmt}" for number, title in enumerate(titles, start=1)]


def zip_pages(pages: list[bytes], *, titles: list[str], fmt: str) -> bytes:
    """A zip of numbered page files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in zip(page_names(titles, fmt=fmt), pages, strict=True):
            archive.writestr(name, data)
    return buffer.getvalue()


def series_filename(request: SeriesRequest, *, today: datetime.date | None = None) -> str:
    """central-region-atlas_series-<set>_<size>_<format>_<date>.<pdf|zip>."""
    day = (today or datetime.date.today()).isoformat()
    where = _slug(request.set_text.replace(":", "-"))
    return f"{APP_NAME}_series-{where}_{_slug(request.size)}_{request.fmt}_{day}.{request.container}"


__all__ = ["SeriesError", "SeriesRequest", "export_series", "parse_series", "series_filename"]
