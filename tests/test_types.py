"""mypy passes on the typed packages, with the [tool.mypy] settings of pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The paths mypy checks; add a package here when its types are clean.
TYPED_PATHS = ("dashboard/view", "dashboard/figures")


def test_mypy_passes_on_the_typed_packages() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--no-error-summary", *TYPED_PATHS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
