"""The view state behind every control, and its round trip through the URL query."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qs, urlencode

from dashboard.config import DEFAULTS
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.layers import LAYER_IDS

LANGS = ("en", "zh")
FITS = ("provinces", "select")
KEYS = ("layers", "provinces", "level", "lang", "labels", "select", "fit")


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


def to_query(state: ViewState) -> str:
    """The URL query (with leading '?') that restores `state`."""
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
    return "?" + urlencode(params, safe=",")


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
    return ViewState(**fields), notices


def _parse_value(key: str, value: str, *, selectable: Collection[str], notices: list[Notice]) -> object | None:
    if key in ("layers", "provinces"):
        known = LAYER_IDS if key == "layers" else tuple(CENTRAL_PROVINCES)
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item not in known:
                notices.append(Notice(key, item[:80], "unknown-value"))
        kept = tuple(item for item in items if item in known)
        return kept if kept or key == "layers" else None
    choices = {"level": LEVELS, "lang": LANGS, "labels": ("0", "1"), "fit": FITS}.get(key)
    if key == "select":
        choices = selectable
    if value not in choices:
        notices.append(Notice(key, value[:80], "unknown-value" if value else "malformed"))
        return None
    return value == "1" if key == "labels" else value
