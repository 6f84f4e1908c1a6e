"""Export from the command line: one view, every step of a story, or a story handout PDF."""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from dashboard.export.publish import PublishError
from dashboard.export.request import (
    DEFAULT_SIZE,
    FLAG_KEYS,
    FORMATS,
    ExportError,
    ExportRequest,
    download_name,
    parse_export,
    parse_view,
    selectable,
)
from dashboard.export.series import SET_HELP
from dashboard.figures.series import SeriesError
from dashboard.view.state import with_step
from dashboard.view.stories import StoryError, load_story, read_story_file, unknown_selections

EXAMPLES = """examples:
  python -m dashboard.export --view '?layers=logistics_hubs&lang=zh' --format pdf --size a4 -o hubs.pdf
  python -m dashboard.export --story guideline --out-dir slides/ --format png
  python -m dashboard.export --story my-story.yaml --handout handout.pdf --size a4
  python -m dashboard.export --series provinces --format pdf --size a4 -o series.pdf
  python -m dashboard.export --series prefectures:410000 --format png --out-dir henan/
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.export",
        description="Export atlas maps (png, svg, pdf) or their data (geojson, csv), fully offline.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--view", default="", help="the view as in the app's URL query (leading '?' optional)")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, help="default: from -o's suffix, else png")
    parser.add_argument("--size", help=f"slide, a4, a3 or WIDTHxHEIGHT in CSS px (default {DEFAULT_SIZE})")
    parser.add_argument("--scale", help="PNG pixels per CSS px (a4 and a3 default to 300 dpi)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: a dated name in --out-dir or .)")
    parser.add_argument("--story", help="a bundled story name or a story YAML file: export each of its steps")
    parser.add_argument("--out-dir", type=Path, help="folder for the files (created if missing)")
    parser.add_argument("--handout", type=Path, help="with --story: one PDF with a page per step")
    parser.add_argument("--subtitle", help="custom subtitle text ('' for none)")
    parser.add_argument("--title", dest="title_text", help="custom title text (default: the layers shown)")
    parser.add_argument("--series", help=f"a map series, one page per unit: {SET_HELP}")
    for key in FLAG_KEYS:
        parser.add_argument(f"--no-{key}", dest=key, action="store_false", default=None, help=f"leave out the {key}")
    return parser


@dataclass(frozen=True)
class Plan:
    """Every file to write, validated before anything is drawn."""

    files: list[tuple[Path, ExportRequest]]
    handout: tuple[Path, list[ExportRequest]] | None = None


def option_pairs(args: argparse.Namespace, *, scale: bool = True) -> list[tuple[str, str]]:
    """The size and option arguments as the export endpoint's query parameters."""
    pairs = [(key, getattr(args, key)) for key in ("size", "scale") if getattr(args, key) is not None]
    pairs = [(key, value) for key, value in pairs if scale or key != "scale"]
    pairs += [(key, "0") for key in FLAG_KEYS if getattr(args, key) is False]
    if args.subtitle is not None:
        pairs.append(("subtitle", args.subtitle or "0"))
    if getattr(args, "title_text", None) and args.title is not False:
        pairs.append(("title", args.title_text))
    return pairs


def view_pairs(view: str) -> list[tuple[str, str]]:
    """The --view query, checked on its own (it may hold only view keys), as pairs."""
    parse_view(view)
    return parse_qsl(view.strip().lstrip("?"), keep_blank_values=True)


def choose_format(args: argparse.Namespace) -> str:
    """--format, else the suffix of -o, else png."""
    suffix = args.output.suffix.lstrip(".").lower() if args.output else ""
    fmt = args.fmt or (suffix if suffix in FORMATS else "png")
    if suffix and suffix != fmt:
        raise ExportError(f"-o {args.output} does not end in .{fmt}")
    return fmt


def check_arguments(args: argparse.Namespace) -> None:
    """Combinations argparse cannot check."""
    if args.series:
        if args.story or args.handout:
            raise ExportError("--series goes without --story and --handout")
        if not (args.output or args.out_dir):
            raise ExportError("--series needs -o FILE.pdf (one PDF) or --out-dir (one image per page)")
        if args.output and choose_format(args) != "pdf":
            raise ExportError("-o with --series writes one PDF: use --format pdf, or --out-dir for png/svg pages")
    if args.story:
        if args.output:
            raise ExportError("with --story use --out-dir (one file per step) or --handout, not -o")
        if not (args.out_dir or args.handout):
            raise ExportError("--story needs --out-dir, --handout or both")
        if {key for key, _ in view_pairs(args.view)} & {"story", "view"}:
            raise ExportError("--view may not hold story or view together with --story")
    elif args.handout:
        raise ExportError("--handout needs --story")
    if args.handout and args.handout.suffix.lower() != ".pdf":
        raise ExportError(f"--handout {args.handout} must end in .pdf")


def view_plan(args: argparse.Namespace) -> Plan:
    """One view to one file."""
    fmt = choose_format(args)
    request = parse_export(view_pairs(args.view) + option_pairs(args), fmt=fmt)
    path = args.output or (args.out_dir or Path()) / download_name(request.state, fmt=fmt, size=request.size)
    return Plan(files=[(path, request)])


def story_steps(args: argparse.Namespace, *, fmt: str, scale: bool = True) -> list[ExportRequest]:
    """One request per step of --story, in the language and labels of --view."""
    is_file = args.story.endswith((".yaml", ".yml", ".json"))
    story = read_story_file(Path(args.story)) if is_file else load_story(args.story)
    from geodata import load_atlas

    unknown = unknown_selections(story, selectable(load_atlas()))
    if unknown:  # a step would silently select nothing
        raise StoryError(unknown[0] + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""))
    base = parse_export(view_pairs(args.view) + option_pairs(args, scale=scale), fmt=fmt)
    state = base.state.with_(story=story.id)
    return [ExportRequest(with_step(state, step), fmt, base.size, base.options, story=story) for step in story.steps]


def story_plan(args: argparse.Namespace) -> Plan:
    """Every step of a story to --out-dir, and/or a handout PDF with a page per step."""
    files = []
    if args.out_dir:
        fmt = args.fmt or "png"
        steps = story_steps(args, fmt=fmt)
        files = [(args.out_dir / download_name(r.state, fmt=fmt, size=r.size), r) for r in steps]
    handout = (args.handout, story_steps(args, fmt="pdf", scale=False)) if args.handout else None
    return Plan(files=files, handout=handout)


def merge_pdfs(pages: list[bytes]) -> bytes:
    """One PDF of several, in order."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for page in pages:
        writer.append(io.BytesIO(page))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> None:
    """Write a file and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path} ({len(data):,} bytes)")


def run(plan: Plan) -> None:
    """Draw and write every file of the plan with the detailed geometry and one warm browser."""
    from dashboard.export.service import export_bytes
    from geodata import load_atlas

    atlas = load_atlas(resolution="detail")
    for path, request in plan.files:
        write(path, export_bytes(request, atlas=atlas))
    if plan.handout:
        path, requests = plan.handout
        write(path, merge_pdfs([export_bytes(request, atlas=atlas) for request in requests]))


def progress(k: int, n: int) -> None:
    """ "page k of n" on stderr, as each page is drawn."""
    print(f"page {k} of {n}", file=sys.stderr, flush=True)


def run_series(args: argparse.Namespace) -> None:
    """A map series: one PDF to -o, or one PNG/SVG/PDF per page to --out-dir."""
    from dashboard.export.series import parse_series, parse_set, series_filename, series_pages
    from geodata import load_atlas

    parse_set(args.series)  # an unknown set fails before the atlas loads
    fmt = "pdf" if args.output else (args.fmt or "png")
    request = parse_series(args.series, view_pairs(args.view) + option_pairs(args), fmt=fmt)
    atlas = load_atlas(resolution="detail")
    if args.output:
        from dashboard.export.series import export_series

        write(args.output, export_series(request, atlas=atlas, progress=progress))
        return
    folder = args.out_dir / series_filename(request).rsplit(".", 1)[0]
    for name, data in series_pages(request, atlas=atlas, progress=progress):
        write(folder / name, data)


def main(argv: list[str] | None = None) -> int:
    """Run the command line: 0 when done, 2 for bad arguments, 1 when drawing or writing fails."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from dashboard.export import render

    try:
        check_arguments(args)
        if args.series:
            run_series(args)
        else:
            run(story_plan(args) if args.story else view_plan(args))
    except (ExportError, StoryError, SeriesError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except (render.RenderError, PublishError, OSError) as exc:
        print(f"{parser.prog}: failed: {exc}", file=sys.stderr)
        return 1
    finally:
        render.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
