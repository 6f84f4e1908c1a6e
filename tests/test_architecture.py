"""The dependency rule of the README, checked on every import statement (an AST walk, no import is run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: dashboard's packages from the bottom up: each may import its own package and those before it, never after.
ORDER = ("config", "uploads", "view", "figures", "export", "ui|server")
#: The only modules that put the interactive page (ui) and the web server (server) together.
ENTRY_POINTS = {"dashboard/__init__.py", "dashboard/__main__.py", "dashboard/app.py", "dashboard/wsgi.py"}
#: Figure builders are pure: objects in, figures out; no Dash, no web, no files.
FIGURES_MAY_NOT_IMPORT = (
    "dash", "flask", "io", "os", "pathlib", "shutil", "tempfile", "yaml", "urllib", "requests", "kaleido",
    "dashboard.uploads", "dashboard.view.stories", "geodata.load", "geodata.build",
)  # fmt: skip


def modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def imported(path: Path, source: str | None = None) -> set[str]:
    """Every module an import statement in `path` (or `source` given for it) names, relative imports made absolute."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def rank(module: str) -> int | None:
    """Where a dashboard module sits in ORDER (None for top-level modules such as app.py)."""
    parts = module.split(".")
    if parts[0] != "dashboard" or len(parts) < 2:
        return None
    for index, group in enumerate(ORDER):
        if parts[1] in group.split("|"):
            return index
    return None


def name_of(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def test_geodata_imports_nothing_of_the_dashboard() -> None:
    bad = {
        f"{p.relative_to(REPO)} imports {m}"
        for p in modules("geodata")
        for m in imported(p)
        if m.split(".")[0] == "dashboard"
    }
    assert not bad, sorted(bad)


def violations(path: Path, source: str | None = None) -> list[str]:
    """The rule's breaches in one dashboard module (or in `source` as if it were that module)."""
    own = name_of(path)
    own_rank = rank(own)
    own_package = own.split(".")[1] if own.count(".") else ""
    relative = path.relative_to(REPO).as_posix()
    out = []
    for module in imported(path, source):
        target = rank(module)
        if target is None:
            continue
        target_package = module.split(".")[1]
        if target_package in ("ui", "server") and relative not in ENTRY_POINTS and target_package != own_package:
            out.append(f"{relative} imports {module}: only {', '.join(sorted(ENTRY_POINTS))} may import ui or server")
        elif own_rank is not None and target > own_rank:
            out.append(f"{relative} imports {module}: {own_package} sits below {target_package}")
    return out


@pytest.mark.parametrize("path", modules("dashboard"), ids=lambda p: p.relative_to(REPO).as_posix())
def test_dashboard_modules_import_only_downwards(path: Path) -> None:
    assert violations(path) == []


@pytest.mark.parametrize("path", modules("dashboard/figures"), ids=lambda p: p.relative_to(REPO).as_posix())
def test_figure_builders_import_no_dash_and_no_io(path: Path) -> None:
    bad = sorted(m for m in imported(path) if any(m == x or m.startswith(f"{x}.") for x in FIGURES_MAY_NOT_IMPORT))
    assert bad == []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    opens = [
        node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open"
    ]
    assert opens == [], f"{path.name} opens files on lines {opens}"


def test_the_rule_catches_a_breach() -> None:
    """The checker itself: an upward import, a ui import outside the entry points, ui <-> server."""
    cases = {
        "view/bad.py": "from dashboard.figures.screen import map_figure\n",
        "export/bad.py": "import dashboard.ui.ids\n",
        "ui/bad.py": "from dashboard.server import cache\n",
        "server/bad.py": "from dashboard.ui.layout import page\n",
    }
    for relative, source in cases.items():
        assert violations(REPO / "dashboard" / relative, source), relative
    assert violations(REPO / "dashboard/ui/fine.py", "from dashboard.export.request import export_href\n") == []


#: Functions that read the bundled data or a user's file: a figure builder is handed their results, never calls them.
#: Besides these names, any function called load_* or read_* (geodata's loaders and readers all are) is refused.
LOADERS = (
    "relief_shade", "physical_path", "boundary_path", "unit_table", "table_join_main",
    "bundled_physical", "bundled_indicators", "load_story", "read_user_file",
)  # fmt: skip
LOADER_PREFIXES = ("load_", "read_")


def is_loader(name: str) -> bool:
    """Whether a called or imported name is one of the data loaders a figure module must not call."""
    return name in LOADERS or name.startswith(LOADER_PREFIXES)


def loader_calls(path: Path, source: str | None = None) -> list[str]:
    """Every call of a loader (by name or as an attribute) and every loader imported, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", "") or getattr(node.func, "attr", "")
            if is_loader(name):
                out.append(f"line {node.lineno}: calls {name}")
        elif isinstance(node, ast.ImportFrom):
            out += [f"line {node.lineno}: imports {a.name}" for a in node.names if is_loader(a.name)]
    return out


@pytest.mark.parametrize("path", modules("dashboard/figures"), ids=lambda p: p.relative_to(REPO).as_posix())
def test_figure_builders_call_no_data_loader(path: Path) -> None:
    """The bundled data reaches a figure through the resolved scene (dashboard.view.scene.resolve) or an argument."""
    assert loader_calls(path) == []


def test_the_loader_check_catches_a_figure_that_reads() -> None:
    figure = REPO / "dashboard/figures/bad.py"
    breaches = {
        "from geodata.physical import load_physical\n": "imports load_physical",
        "import geodata\n\nphys = geodata.physical.load_physical(resolution='light')\n": "calls load_physical",
        "from geodata import physical\n\nshade = physical.relief_shade()\n": "calls relief_shade",
        "def f(atlas):\n    return read_boundaries(level='county', resolution='light')\n": "calls read_boundaries",
        "from dashboard.view import scene\n\ntable = scene.bundled_indicators()\n": "calls bundled_indicators",
    }
    for source, expected in breaches.items():
        assert any(expected in found for found in loader_calls(figure, source)), source
    clean = "def f(scene):\n    return scene.physical_layers().rivers\n"
    assert loader_calls(figure, clean) == []
