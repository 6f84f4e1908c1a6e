"""Locate many points fast with the border rule: a grid of cells known to lie in one county, exact tests elsewhere.

A cell that no county border passes through lies wholly inside one county (or outside them all),
so its points take that county without a test. Points in the other cells are tested exactly
(bounding boxes, then `intersects` on prepared polygons, so a point on a border touches every
county sharing it) and take the smallest adcode they touch: the rule of `locate.locate_points`.

Why a cell without border points is safe in floating point: a point's cell is
`floor((x - x0) / step)`, monotone in x and in y, so every point of a border segment from u to v
falls in a cell between the cells of u and v; marking that whole box of cells for every segment
(long segments cut in pieces, their boxes widened by one cell) marks every cell a border touches.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Cell size in degrees (about 2 km): small enough that few points need the exact test.
STEP = 0.02
OUTSIDE = -1
#: Cells a border passes through are numbered -2, -3, ... (see CountyGrid._candidates).
_BORDER = -2
#: Segments spanning more cells than this in x or y are cut into pieces shorter than half a cell.
_SHORT = 2


class CountyGrid:
    """Positions (0..n-1, in the order given; -1 outside) of the county each point lies in."""

    def __init__(self, geometries: np.ndarray, *, step: float = STEP) -> None:
        self.geometries = np.asarray(geometries, dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self.step = step
        x0, y0, x1, y1 = shapely.total_bounds(self.geometries)
        self.x0, self.y0 = x0 - step, y0 - step
        self.nx = int(np.ceil((x1 - self.x0) / step)) + 2
        self.ny = int(np.ceil((y1 - self.y0) / step)) + 2
        border = self._border_cells()
        self.cells = self._classify(border)
        self.start, self.candidates = self._candidates()

    @classmethod
    def restored(cls, geometries: np.ndarray, **state: object) -> CountyGrid:
        """A grid from its stored arrays (geodata.join.grid_store) over the geometries it was built from."""
        grid = cls.__new__(cls)
        grid.__setstate__({"geometries": np.asarray(geometries, dtype=object), **state})
        return grid

    def __getstate__(self) -> dict:
        """The built index travels whole (a dask worker need not build it again); the tree is rebuilt on arrival."""
        return {key: value for key, value in self.__dict__.items() if key != "tree"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def _index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell column and row of each coordinate (not clipped to the grid)."""
        return np.floor((x - self.x0) / self.step), np.floor((y - self.y0) / self.step)

    def _border_cells(self) -> np.ndarray:
        """A mask of the cells some county border passes through."""
        border = np.zeros((self.ny, self.nx), dtype=bool)
        parts = shapely.get_parts(shapely.boundary(self.geometries))
        xy, line = shapely.get_coordinates(parts, return_index=True)
        same = line[1:] == line[:-1]
        start, end = xy[:-1][same], xy[1:][same]
        cx0, cy0 = self._index(start[:, 0], start[:, 1])
        cx1, cy1 = self._index(end[:, 0], end[:, 1])
        short = (np.abs(cx1 - cx0) <= _SHORT) & (np.abs(cy1 - cy0) <= _SHORT)
        self._mark_boxes(border, cx0[short], cy0[short], cx1[short], cy1[short], widen=0)
        for a, b in zip(start[~short], end[~short], strict=True):
            pieces = int(np.ceil(np.hypot(*(b - a)) / (self.step / 2))) + 1
            points = a + np.linspace(0.0, 1.0, pieces + 1)[:, None] * (b - a)
            px, py = self._index(points[:, 0], points[:, 1])
            self._mark_boxes(border, px[:-1], py[:-1], px[1:], py[1:], widen=1)
        return border

    def _mark_boxes(
        self, border: np.ndarray, cx0: np.ndarray, cy0: np.ndarray, cx1: np.ndarray, cy1: np.ndarray, *, widen: int
    ) -> None:
        """Mark every cell of the boxes spanned by each pair of cells (widened by `widen` cells)."""
        lo_x = (np.minimum(cx0, cx1) - widen).astype(np.int64)
        lo_y = (np.minimum(cy0, cy1) - widen).astype(np.int64)
        span_x = (np.abs(cx1 - cx0) + 2 * widen).astype(np.int64)
        span_y = (np.abs(cy1 - cy0) + 2 * widen).astype(np.int64)
        for dx in range(int(span_x.max(initial=0)) + 1):
            for dy in range(int(span_y.max(initial=0)) + 1):
                keep = (dx <= span_x) & (dy <= span_y)
                border[lo_y[keep] + dy, lo_x[keep] + dx] = True

    def _classify(self, border: np.ndarray) -> np.ndarray:
        """Each cell's county position, OUTSIDE, or _BORDER (its points are tested one by one)."""
        rows, columns = np.nonzero(~border)
        cells = np.full((self.ny, self.nx), _BORDER, dtype=np.int32)
        centre_x = self.x0 + (columns + 0.5) * self.step
        centre_y = self.y0 + (rows + 0.5) * self.step
        cells[rows, columns] = self.exact(centre_x, centre_y)
        return cells

    def _candidates(self) -> tuple[np.ndarray, np.ndarray]:
        """For the border cells (numbered in self.cells as -2 - n), the counties that may hold their points.

        Those are the counties that intersect the cell widened by a nanodegree (so rounding in a
        point's cell number cannot leave out a county it touches), in position order; cell n's
        are candidates[start[n]:start[n + 1]].
        """
        rows, columns = np.nonzero(self.cells == _BORDER)
        self.cells[rows, columns] = _BORDER - np.arange(len(rows))
        left, bottom = self.x0 + columns * self.step - 1e-9, self.y0 + rows * self.step - 1e-9
        boxes = shapely.box(left, bottom, left + self.step + 2e-9, bottom + self.step + 2e-9)
        cell, county = self.tree.query(boxes, predicate="intersects")
        order = np.lexsort((county, cell))
        start = np.searchsorted(cell[order], np.arange(len(rows) + 1))
        return start, county[order]

    def exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The smallest position among the counties each point intersects (OUTSIDE if none), tested exactly."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        found = np.full(len(x), np.iinfo(np.int64).max, dtype=np.int64)
        finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        point, county = self.tree.query(shapely.points(x[finite], y[finite]))
        hit = shapely.intersects_xy(self.geometries[county], x[finite][point], y[finite][point])
        np.minimum.at(found, finite[point[hit]], county[hit])
        return np.where(found == np.iinfo(np.int64).max, OUTSIDE, found)

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The position of the county each point lies in (OUTSIDE if none, or if a coordinate is NaN)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        with np.errstate(invalid="ignore"):
            cx, cy = self._index(x, y)
            inside = (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)
        found = np.full(len(x), OUTSIDE, dtype=np.int64)
        found[inside] = self.cells[cy[inside].astype(np.int64), cx[inside].astype(np.int64)]
        tested = np.flatnonzero(found <= _BORDER)
        found[tested] = self._test(tested, _BORDER - found[tested], x=x, y=y)
        return found

    def _test(self, points: np.ndarray, cells: np.ndarray, *, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The smallest candidate county of its border cell that each point intersects (OUTSIDE if none)."""
        first, count = self.start[cells], self.start[cells + 1] - self.start[cells]
        pair_point = np.repeat(np.arange(len(points)), count)
        offsets = np.arange(len(pair_point)) - np.repeat(np.cumsum(count) - count, count)
        county = self.candidates[np.repeat(first, count) + offsets]
        hit = shapely.intersects_xy(self.geometries[county], x[points][pair_point], y[points][pair_point])
        found = np.full(len(points), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(found, pair_point[hit], county[hit])
        return np.where(found == np.iinfo(np.int64).max, OUTSIDE, found)
