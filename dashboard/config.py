"""Typed configuration of the dashboard: server defaults, default view, colours (layer styles from geodata.layers)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geodata
from geodata._paths import CENTRAL_PROVINCES
from geodata.layers import LAYERS, LayerStyle

#: Package folders: the dashboard's assets (CSS, JS, base topojson) and bundled stories are package data.
PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
TOPOJSON_DIR = ASSETS_DIR / "topojson"
STORIES_DIR = PACKAGE_DIR / "data" / "stories"
#: The code an export depends on: the export cache is namespaced by a stamp of these folders.
SOURCE_DIRS = (PACKAGE_DIR, Path(geodata.__file__).resolve().parent)


def _layer_styles() -> dict[str, LayerStyle]:
    """Each layer's style, from the one layer registry (geodata.layers)."""
    return {layer.id: layer.style for layer in LAYERS}


@dataclass(frozen=True)
class Theme:
    """Colours and sizes of the map."""

    font_family: str = "Noto Sans CJK SC, Noto Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"
    font_size: int = 13
    context_fill: str = "#eceae4"
    context_line: str = "#c9c6bd"
    unit_fill: str = "#fbfaf6"
    unit_line: str = "#8b8f99"
    province_line: str = "#2f3542"
    highlight: str = "#1b1e21"
    zone_opacity: float = 0.28
    dimmed_opacity: float = 0.15
    #: Multiplies marker sizes and line widths (presenter mode draws everything bolder).
    scale: float = 1.0
    text_color: str = "#212529"
    background: str = "#f1f3f5"
    layers: dict[str, LayerStyle] = field(default_factory=_layer_styles)
    #: Colours of the national strategies on the province-roles layer, in order of first appearance.
    strategy_colors: tuple[str, ...] = ("#ffd43b", "#74c0fc", "#63e6be", "#ffa8a8")
    #: Physical context, drawn lightly beneath the guideline layers.
    river_color: str = "#6aa6d6"
    lake_fill: str = "#cfe3f3"
    water_text: str = "#1c5d99"
    #: Fill of the elevation bands, lowest first (200-500 m, 500-1000 m, 1000-1500 m, 1500 m and above).
    relief_fills: tuple[str, ...] = (
        "rgba(214,196,150,0.16)",
        "rgba(190,160,110,0.22)",
        "rgba(160,125,80,0.26)",
        "rgba(125,95,60,0.30)",
    )
    province_text: str = "#343a40"
    neighbour_text: str = "#8d8a82"


@dataclass(frozen=True)
class Defaults:
    """The view shown when the URL has no query."""

    layers: tuple[str, ...] = ("logistics_hubs", "innovation_centres", "transfer_zones")
    provinces: tuple[str, ...] = tuple(CENTRAL_PROVINCES)
    level: str = "prefecture"
    lang: str = "en"
    labels: bool = True


@dataclass(frozen=True)
class ServerConfig:
    """Where `python -m dashboard` listens."""

    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False


CACHE_BACKENDS = ("FileSystemCache", "RedisCache", "NullCache")


def _default_cache_dir() -> str:
    return str(Path(tempfile.gettempdir()) / "central-region-atlas-cache")


@dataclass(frozen=True)
class CacheConfig:
    """The export cache every worker shares: a folder, a Redis server, or none."""

    backend: str = "FileSystemCache"
    directory: str = field(default_factory=_default_cache_dir)
    redis_url: str | None = None
    #: Seconds an entry lives; 0 keeps it until the backend evicts it.
    timeout: int = 86_400


def cache_config_from_env(*, environ: Mapping[str, str] | None = None) -> CacheConfig:
    """The cache set by ATLAS_CACHE_TYPE, _DIR, _REDIS_URL and _TIMEOUT (seconds); unset or blank: the default."""
    env = {key: value.strip() for key, value in (os.environ if environ is None else environ).items() if value.strip()}
    default = CacheConfig()
    backend = env.get("ATLAS_CACHE_TYPE", default.backend)
    if backend not in CACHE_BACKENDS:
        raise ValueError(f"ATLAS_CACHE_TYPE={backend!r}: choose one of {', '.join(CACHE_BACKENDS)}")
    redis_url = env.get("ATLAS_CACHE_REDIS_URL")
    if backend == "RedisCache" and not redis_url:
        raise ValueError("ATLAS_CACHE_TYPE=RedisCache needs ATLAS_CACHE_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    timeout = env.get("ATLAS_CACHE_TIMEOUT", str(default.timeout))
    if not (timeout.isascii() and timeout.isdigit()):
        raise ValueError(f"ATLAS_CACHE_TIMEOUT={timeout!r}: give whole seconds (0 for no expiry)")
    directory = env.get("ATLAS_CACHE_DIR", default.directory)
    return CacheConfig(backend=backend, directory=directory, redis_url=redis_url, timeout=int(timeout))


THEME = Theme()
#: Presenter mode: large type, bold lines, high contrast for screen-sharing over a video call.
PRESENT_THEME = Theme(
    font_size=22,
    scale=1.7,
    context_fill="#e3e1da",
    context_line="#b5b1a6",
    unit_fill="#ffffff",
    unit_line="#5c636a",
    province_line="#000000",
    zone_opacity=0.42,
    text_color="#000000",
    background="#e9ecef",
)
DEFAULTS = Defaults()
SERVER = ServerConfig()
MAP_PADDING_DEG = 0.6
#: Width / height of the map panel assumed until the browser reports its own.
DEFAULT_ASPECT = 1.6
#: Width in CSS px of the map panel assumed until the browser reports its own (labels are placed for it).
DEFAULT_PANEL_WIDTH = 960
#: The one projection of the atlas, on screen and in print: Lambert conformal conic, standard parallels 25N and
#: 47N (the usual pair for maps of China), central meridian 105E.
PROJECTION = {"type": "conic conformal", "parallels": [25, 47], "rotation": {"lon": 105}}
#: Physical context layers that can be switched on and off (all on by default).
CONTEXT_LAYERS = ("relief", "lakes", "rivers")
#: Where the map's CJK font (Noto Sans CJK SC, the first of the theme's font family) may be installed.
FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


def label_font_file() -> tuple[str, bool] | None:
    """The first installed label font and whether it is a Noto CJK collection (None: none is installed)."""
    for path in FONT_FILES:
        if path.exists():
            return str(path), path.name.startswith("NotoSansCJK")
    return None
