"""The round's baseline, "today's path" in every before/after figure: a checkout named on the command line, or a
temporary git worktree of its commit, made for the run and removed after (so a fresh clone runs every benchmark)."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The last commit before this round's restructuring.
BASELINE_REF = "2f51c46"


def add_baseline_option(parser: argparse.ArgumentParser, *, skippable: bool = True) -> None:
    """--baseline, a checkout of the baseline commit: absent for a temporary worktree (and '' to skip it)."""
    skip = "; '' to skip" if skippable else ""
    parser.add_argument(
        "--baseline",
        default=None,
        help=f"a checkout of the baseline commit (default: a temporary git worktree of {BASELINE_REF}{skip})",
    )


@contextlib.contextmanager
def worktree(ref: str = BASELINE_REF) -> Iterator[Path]:
    """A temporary detached worktree of `ref` in this repository, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="atlas-baseline-"))
    made = subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), ref], cwd=REPO, capture_output=True, text=True
    )
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        lines = (made.stderr.strip() or "git failed").splitlines()
        raise SystemExit(f"cannot check out the baseline {ref}: {lines[-1]}")
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=REPO, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def baseline_tree(given: str | None) -> Iterator[Path | None]:
    """The checkout `given` (None: a temporary worktree of BASELINE_REF; '': no baseline, None is yielded)."""
    if given == "":
        yield None
        return
    if given is not None:
        path = Path(given)
        if not ((path / "dashboard").is_dir() and (path / "geodata").is_dir()):
            raise SystemExit(f"no checkout of the baseline at {path} (leave --baseline out for a temporary one)")
        yield path
        return
    with worktree() as folder:
        yield folder
