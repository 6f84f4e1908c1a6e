"""geodata's imports run one way: no circle, the library never imports the command line or the dashboard."""

from __future__ import annotations

import ast
from pathlib import Path

import geodata

PACKAGE = Path(geodata.__file__).resolve().parent
#: The file-join command line and its engine; only they (and the build) may import them.
CLI_MODULES = {f"geodata.join.{name}" for name in ("__main__", "run", "engines", "chunk", "inputs", "output", "units")}
LIBRARY = (
    "geodata",
    "geodata.load",
    "geodata.userdata",
    "geodata.join",
    "geodata.join.features",
    "geodata.join.locate",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The modules a file imports at module level or in functions (`from x import y` counts y if it is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports_of(path) & set(modules) - {name} for name, path in modules.items()}


def test_geodata_has_no_import_circle() -> None:
    graph = import_graph()
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if target == "geodata" or name == "geodata":  # the package's own __init__ re-exports
                continue
            assert state.get(target) != "open", " -> ".join([*trail, name, target])
            if target not in state:
                visit(target, [*trail, name])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_the_library_never_reaches_the_command_line_or_the_dashboard() -> None:
    graph = import_graph()
    for name in LIBRARY:
        reached, todo = set(), [name]
        while todo:
            for target in graph[todo.pop()] - reached:
                reached.add(target)
                todo.append(target)
        assert not reached & CLI_MODULES, (name, sorted(reached & CLI_MODULES))
    for path in PACKAGE.rglob("*.py"):
        assert not any(module.split(".")[0] == "dashboard" for module in imports_of(path)), path
