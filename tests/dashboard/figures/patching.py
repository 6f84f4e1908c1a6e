"""What a browser holds after a map patch, for the tests that compare patched and fresh figures as JSON."""

from __future__ import annotations

import json

from plotly.io.json import to_json_plotly

from dashboard.figures import screen as figures


def apply(fig: dict, updates: list) -> dict:
    """The figure a browser holds after a patch (DELETE and null unset a key)."""
    out = json.loads(to_json_plotly(fig))
    for path, value in updates:
        target = out
        for key in path[:-1]:
            target = target[key] if isinstance(target, list) else target.setdefault(key, {})
        if value is None or value is figures.DELETE:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = json.loads(to_json_plotly(value))
    return out
