"""Type checks: mypy, with the settings in pyproject.toml, passes on every typed package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The packages and folders mypy checks; add a path here once it type-checks.
TYPED_PATHS = ["geodata", "dashboard/view", "dashboard/figures"]


def run_mypy(paths: list[str]) -> subprocess.CompletedProcess[str]:
    """mypy on `paths` from the repository root, as `python -m mypy` would run it."""
    command = [sys.executable, "-m", "mypy", "--no-error-summary", *paths]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_mypy_passes_on_the_typed_paths() -> None:
    result = run_mypy(TYPED_PATHS)
    assert result.returncode == 0, result.stdout + result.stderr
