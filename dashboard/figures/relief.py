"""Shaded relief under a print map: the lon/lat hillshade warped into the page's conic frame, as a layout image."""

from __future__ import annotations

import base64
import functools
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from dashboard.config import PROJECTION
from dashboard.figures.projection import ScreenMap, _conformal_constants

#: How much of the shade shows through the base fills (units and neighbours): light, under the guideline layers.
LET_THROUGH = 0.4
#: The warped image's longest side in px, at most (the source has 2' pixels, about 3.7 km: more adds nothing).
MAX_SIDE_PX = 1600
#: The shade fades out over this many source pixels at the raster's edges (a hard edge would read as a feature).
FEATHER_PX = 36
#: Roles of the opaque base fills made translucent (same colour over white paper, the shade visible beneath).
BASE_ROLES = ("context", "units")


@dataclass(frozen=True, eq=False)  # hashed by identity: one loaded raster per process
class ShadeRaster:
    """A hillshade on a plain lon/lat grid: shadow strength 0..1, rows from north to south."""

    alpha: np.ndarray  # float, shape (rows, columns)
    bounds: tuple[float, float, float, float]  # west, south, east, north: outer edges of the edge pixels
    attribution: str


def unproject(x: np.ndarray, y: np.ndarray, *, projection: dict = PROJECTION) -> tuple[np.ndarray, np.ndarray]:
    """Lon and lat (degrees) of unit-sphere conic conformal x, y: the inverse of projection.project_raw, on arrays."""
    n, big_f = _conformal_constants(tuple(projection["parallels"]))
    fy = big_f - y
    rho = np.copysign(np.hypot(x, fy), n)
    lam = np.arctan2(x, fy) / n
    with np.errstate(divide="ignore", over="ignore"):
        phi = 2 * np.arctan((big_f / rho) ** (1 / n)) - np.pi / 2
    return np.degrees(lam) + projection["rotation"]["lon"], np.degrees(phi)


def frame_lonlat(screen: ScreenMap, *, width_px: int, height_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Lon and lat at the centre of each pixel of a `width_px` x `height_px` grid laid over the map frame."""
    k = screen.fit_k * screen.scale
    cx, cy = screen.raw_center
    px = (np.arange(width_px) + 0.5) * screen.width / width_px
    py = (np.arange(height_px) + 0.5) * screen.height / height_px
    x = cx + (px[None, :] - screen.width / 2) / k
    y = cy - (py[:, None] - screen.height / 2) / k
    return unproject(np.broadcast_to(x, (height_px, width_px)), np.broadcast_to(y, (height_px, width_px)))


def sample(shade: ShadeRaster, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The shade at each lon/lat, bilinear between pixel centres; 0 outside the raster."""
    rows, cols = shade.alpha.shape
    west, south, east, north = shade.bounds
    col = (lon - west) / (east - west) * cols - 0.5
    row = (north - lat) / (north - south) * rows - 0.5
    inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    col, row = np.clip(col, 0, cols - 1), np.clip(row, 0, rows - 1)
    c0, r0 = np.floor(col).astype(int), np.floor(row).astype(int)
    c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
    fc, fr = col - c0, row - r0
    a = feathered(shade.alpha)
    top = a[r0, c0] * (1 - fc) + a[r0, c1] * fc
    bottom = a[r1, c0] * (1 - fc) + a[r1, c1] * fc
    return np.where(inside, top * (1 - fr) + bottom * fr, 0.0)


def feathered(alpha: np.ndarray) -> np.ndarray:
    """The shade faded to nothing towards the raster's edges (smoothly: no straight line where the data ends)."""
    rows, cols = alpha.shape
    ramp_r = np.clip((np.minimum(np.arange(rows), np.arange(rows)[::-1]) + 0.5) / FEATHER_PX, 0, 1)
    ramp_c = np.clip((np.minimum(np.arange(cols), np.arange(cols)[::-1]) + 0.5) / FEATHER_PX, 0, 1)
    ramp = np.minimum(ramp_r[:, None], ramp_c[None, :])
    return alpha * (3 * ramp**2 - 2 * ramp**3)  # smoothstep: no crease where the fade begins


def grid_size(screen: ScreenMap) -> tuple[int, int]:
    """The warped image's width and height in px: the frame's own, at most MAX_SIDE_PX on its longer side."""
    shrink = min(1.0, MAX_SIDE_PX / max(screen.width, screen.height))
    return max(round(screen.width * shrink), 1), max(round(screen.height * shrink), 1)


def warp(shade: ShadeRaster, screen: ScreenMap) -> np.ndarray:
    """The shade in the map frame's own pixels (rows top to bottom): what lies under each pixel of the page's map."""
    width, height = grid_size(screen)
    lon, lat = frame_lonlat(screen, width_px=width, height_px=height)
    return sample(shade, lon, lat)


def png_gray_alpha(alpha: np.ndarray) -> bytes:
    """A black PNG (gray + alpha, 8 bit) whose alpha is `alpha` (0..1): encoded here, no file or image library."""
    height, width = alpha.shape
    values = np.clip(np.round(alpha * 255), 0, 255).astype(np.uint8)
    pixels = np.zeros((height, width, 2), dtype=np.uint8)
    pixels[..., 1] = values
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), pixels.reshape(height, width * 2)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 4, 0, 0, 0)
    body = zlib.compress(rows.tobytes(), 6)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@functools.lru_cache(maxsize=16)
def _encoded(shade: ShadeRaster, screen: ScreenMap) -> str:
    return "data:image/png;base64," + base64.b64encode(png_gray_alpha(warp(shade, screen))).decode("ascii")


def relief_image(shade: ShadeRaster, screen: ScreenMap) -> dict:
    """A layout image filling the map frame (plot area, paper coordinates 0..1), under every trace; cached per frame."""
    return {
        "name": "relief-shade",
        "source": _encoded(shade, screen),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "sizex": 1,
        "sizey": 1,
        "xanchor": "left",
        "yanchor": "top",
        "sizing": "stretch",
        "layer": "below",
        "opacity": 1,
    }


def translucent(color: str, *, let_through: float = LET_THROUGH) -> str:
    """A #rrggbb fill as the rgba that looks the same over white paper but lets `let_through` of what is under show."""
    alpha = 1 - let_through
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    under = [max(0.0, min(255.0, (c - let_through * 255) / alpha)) for c in rgb]
    return f"rgba({round(under[0])},{round(under[1])},{round(under[2])},{alpha:.2f})"


def let_shade_through(traces: list[dict]) -> list[dict]:
    """The base fills (units, neighbours) made translucent so the shade beneath shows; other traces as they were."""
    out = []
    for trace in traces:
        meta = trace.get("meta")
        role = meta.get("role") if isinstance(meta, dict) else meta
        scale = trace.get("colorscale")
        if role in BASE_ROLES and isinstance(scale, list | tuple) and all(str(c).startswith("#") for _, c in scale):
            trace = {**trace, "colorscale": [[stop, translucent(color)] for stop, color in scale]}
        out.append(trace)
    return out


def with_relief(spec: dict, shade: ShadeRaster, screen: ScreenMap) -> dict:
    """The print spec with the shaded relief beneath its map (the geo background cleared so the image shows)."""
    layout = spec["layout"]
    layout["images"] = [*layout.get("images", []), relief_image(shade, screen)]
    layout["geo"]["bgcolor"] = "rgba(0,0,0,0)"
    spec["data"] = let_shade_through(spec["data"])
    return spec
