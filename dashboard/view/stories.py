"""Stories: ordered preset views for presenter mode, read from YAML files with line-precise errors."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import yaml

from dashboard.config import STORIES_DIR
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.indicators.schema import INDICATORS, variants_of
from geodata.layers import LAYER_IDS

DEFAULT_STORY = "guideline"


class StoryError(ValueError):
    """A story file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Step:
    """One preset view of a story."""

    id: str
    title: dict[str, str]
    caption: dict[str, str]
    section: str
    layers: tuple[str, ...]
    provinces: tuple[str, ...]
    level: str
    select: str | None = None
    indicator: str | None = None  # the provinces coloured by this indicator (geodata.indicators)
    year: int | None = None
    variant: str | None = None


@dataclass(frozen=True)
class Story:
    """A titled, ordered list of steps."""

    id: str
    title: dict[str, str]
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"story {self.id!r} has no step {step_id!r}")

    def neighbour(self, step_id: str | None, offset: int) -> Step:
        """The step `offset` places from `step_id` (clamped to the ends; the first when None)."""
        ids = [step.id for step in self.steps]
        index = ids.index(step_id) + offset if step_id in ids else 0
        return self.steps[min(max(index, 0), len(ids) - 1)]


def _fail(path: Path, node: yaml.Node, message: str) -> StoryError:
    return StoryError(f"{path} line {node.start_mark.line + 1}: {message}")


def _mapping(path: Path, node: yaml.Node, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, f"{what} must be a mapping")
    return {key.value: value for key, value in node.value}


def _scalar(path: Path, node: yaml.Node | None, what: str, parent: yaml.Node) -> str:
    if node is None:
        raise _fail(path, parent, f"missing {what}")
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what} must be a non-empty text")
    return str(node.value)


def _texts(path: Path, node: yaml.Node | None, what: str, parent: yaml.Node) -> dict[str, str]:
    if node is None:
        raise _fail(path, parent, f"missing {what}")
    fields = _mapping(path, node, what)
    return {lang: _scalar(path, fields.get(lang), f"{what}.{lang}", node) for lang in ("en", "zh")}


def _codes(path: Path, node: yaml.Node | None, what: str, known: tuple[str, ...]) -> tuple[str, ...] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(path, node, f"{what} must be a list")
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or item.value not in known:
            raise _fail(path, item, f"unknown {what[:-1]} {getattr(item, 'value', item)!r}; known: {', '.join(known)}")
    return tuple(item.value for item in node.value)


def _step(path: Path, node: yaml.Node) -> Step:
    fields = _mapping(path, node, "a step")
    known = {"id", "title", "caption", "section", "layers", "provinces", "level", "select", *INDICATOR_STEP_KEYS}
    unknown = set(fields) - known
    if unknown:
        raise _fail(path, node, f"unknown step keys {sorted(unknown)}")
    level = _scalar(path, fields.get("level"), "level", node)
    if level not in LEVELS:
        raise _fail(path, fields["level"], f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    layers = _codes(path, fields.get("layers"), "layers", LAYER_IDS)
    if not layers:
        raise _fail(path, node, "a step needs at least one layer")
    provinces = _codes(path, fields.get("provinces"), "provinces", tuple(CENTRAL_PROVINCES))
    select = fields.get("select")
    return Step(
        id=_scalar(path, fields.get("id"), "id", node),
        title=_texts(path, fields.get("title"), "title", node),
        caption=_texts(path, fields.get("caption"), "caption", node),
        section=_scalar(path, fields.get("section"), "section", node),
        layers=layers,
        provinces=provinces or tuple(CENTRAL_PROVINCES),
        level=level,
        select=_scalar(path, select, "select", node) if select is not None else None,
        **_indicator(path, fields, node),
    )


INDICATOR_STEP_KEYS = ("indicator", "year", "variant")


def _indicator(path: Path, fields: dict[str, yaml.Node], node: yaml.Node) -> dict:
    """A step's optional indicator map: indicator, year and variant, checked against the indicator vocabulary."""
    if "indicator" not in fields:
        extra = [key for key in INDICATOR_STEP_KEYS if key in fields]
        if extra:
            raise _fail(path, fields[extra[0]], f"{extra[0]} needs an indicator")
        return {}
    indicator = _scalar(path, fields["indicator"], "indicator", node)
    if indicator not in INDICATORS:
        raise _fail(path, fields["indicator"], f"unknown indicator {indicator!r}; known: {', '.join(INDICATORS)}")
    out: dict = {"indicator": indicator}
    if "year" in fields:
        year = _scalar(path, fields["year"], "year", node)
        if not year.isdigit() or len(year) != 4:
            raise _fail(path, fields["year"], f"year must be a four-digit year, not {year!r}")
        out["year"] = int(year)
    if "variant" in fields:
        variant = _scalar(path, fields["variant"], "variant", node)
        if variant not in variants_of(indicator):
            raise _fail(path, fields["variant"], f"{indicator} has no variant {variant!r}")
        out["variant"] = variant
    return out


def parse_story(text: str, *, path: Path) -> Story:
    """A story from YAML text; every problem raises StoryError naming the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise StoryError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if root is None:
        raise StoryError(f"{path}: the file is empty")
    fields = _mapping(path, root, "the story")
    steps_node = fields.get("steps")
    if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
        raise _fail(path, steps_node or root, "a story needs a non-empty list of steps")
    steps = tuple(_step(path, node) for node in steps_node.value)
    seen: set[str] = set()
    for node, step in zip(steps_node.value, steps, strict=True):
        if step.id in seen:
            raise _fail(path, node, f"duplicate step id {step.id!r}")
        seen.add(step.id)
    return Story(
        id=_scalar(path, fields.get("id"), "id", root),
        title=_texts(path, fields.get("title"), "title", root),
        steps=steps,
    )


def story_path(name: str) -> Path:
    """A bundled story's file, by name only (a path is refused: files come only from the command line)."""
    if not name.replace("-", "").replace("_", "").isalnum():
        raise StoryError(f"unknown story {name!r}")
    path = STORIES_DIR / f"{name}.yaml"
    if not path.exists():
        raise StoryError(f"unknown story {name!r}; bundled stories: {', '.join(bundled_stories())}")
    return path


@functools.cache
def load_story(name: str = DEFAULT_STORY) -> Story:
    """A bundled story by name, parsed and validated once per process."""
    return read_story_file(story_path(name))


def read_story_file(path: Path) -> Story:
    """A story file (a bundled one, or the export command line's --story); problems raise one-line StoryErrors."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise StoryError(f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})") from exc
    return read_story_bytes(content, path=path)


def read_story_bytes(content: bytes, *, path: Path) -> Story:
    """A story from a file's bytes (read from disk, or uploaded in the browser); problems raise one-line StoryErrors."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoryError(f"{path.name}: not UTF-8 text (byte {exc.start}); save the story as UTF-8") from exc
    try:
        return parse_story(text, path=path)
    except RecursionError as exc:
        raise StoryError(f"{path.name}: nested too deeply to be a story") from exc


def unknown_selections(story: Story, known: Collection[str]) -> list[str]:
    """One message per step whose `select` names no guideline feature or admin unit (`known`: the ids that exist)."""
    return [
        f"{story.id}: step {step.id!r} selects {step.select!r}, which is no guideline feature id or admin code"
        for step in story.steps
        if step.select and step.select not in known
    ]


def bundled_stories() -> list[str]:
    """Names of the stories shipped with the atlas."""
    return sorted(p.stem for p in STORIES_DIR.glob("*.yaml"))
