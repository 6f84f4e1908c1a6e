"""The export command line, run as users run it: one view, a story to a folder and a handout, bad arguments."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from dashboard.view.stories import load_story

REPO = Path(__file__).resolve().parents[3]


def export(*args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dashboard.export", *map(str, args)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_one_view_to_an_a4_pdf(tmp_path: Path) -> None:
    out = tmp_path / "hubs.pdf"
    result = export("--view", "?layers=logistics_hubs&lang=zh", "--format", "pdf", "--size", "a4", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) == pytest.approx(841.89, abs=1.0)


@pytest.fixture(scope="module")
def story_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("story")
    handout = folder / "handout.pdf"
    result = export(
        "--story", "guideline", "--out-dir", folder / "steps", "--handout", handout,
        "--size", "640x360", "--view", "lang=zh", "--no-north",
    )  # fmt: skip
    return folder / "steps", handout, result


def test_story_to_a_folder_writes_one_file_per_step(story_export) -> None:
    steps_dir, _, result = story_export
    assert result.returncode == 0, result.stderr
    steps = load_story("guideline").steps
    files = sorted(steps_dir.glob("*.png"))
    assert [f.name.split("_")[1] for f in files] == [f"guideline-{i:02d}-{s.id}" for i, s in enumerate(steps, 1)]
    assert all(Image.open(io.BytesIO(f.read_bytes())).size == (640, 360) for f in files)
    assert result.stdout.count("wrote ") == len(steps) + 1


def test_story_handout_has_a_page_per_step(story_export) -> None:
    _, handout, result = story_export
    assert result.returncode == 0, result.stderr
    reader = PdfReader(handout)
    steps = load_story("guideline").steps
    assert len(reader.pages) == len(steps)
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == (480, 270)
    assert steps[1].title["zh"][:3] in reader.pages[1].extract_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "bmp"], "invalid choice: 'bmp'"),
        (["--view", "?layers=railways"], "layers='railways': unknown value"),
        (["--view", "?zoom=4"], "unknown view parameter(s): zoom"),
        (["--size", "a5"], "unknown size 'a5'"),
        (["--format", "pdf", "--scale", "2"], "scale applies to png only"),
        (["--story", "epilogue", "--out-dir", "x"], "unknown story 'epilogue'"),
        (["--story", "guideline"], "--story needs --out-dir, --handout or both"),
        (["-o", "map.pdf", "--format", "png"], "does not end in .png"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = export(*args, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("python -m dashboard.export: error:")
    assert result.stdout == ""


def test_a_story_file_with_an_error_names_the_line(tmp_path: Path) -> None:
    story = tmp_path / "mine.yaml"
    story.write_text(
        "id: mine\ntitle: {en: Mine, zh: 我的}\nsteps:\n"
        "  - id: one\n    title: {en: One, zh: 一}\n    caption: {en: C, zh: 说明}\n    section: '2'\n"
        "    layers: [logistics_hubs, railways]\n    level: prefecture\n",
        encoding="utf-8",
    )
    result = export("--story", story, "--out-dir", tmp_path / "out", timeout=60)
    assert result.returncode == 2
    assert f"{story} line 8: unknown layer 'railways'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_story_step_selecting_nothing_is_refused_with_its_step(tmp_path: Path) -> None:
    story = tmp_path / "mine.yaml"
    story.write_text(
        "id: mine\ntitle: {en: Mine, zh: 我的}\nsteps:\n"
        "  - id: one\n    title: {en: One, zh: 一}\n    caption: {en: c, zh: c}\n    section: '2'\n"
        "    layers: [logistics_hubs]\n    level: prefecture\n    select: hub-nowhere\n",
        encoding="utf-8",
    )
    result = export("--story", story, "--out-dir", tmp_path / "out", "--format", "svg")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "step 'one' selects 'hub-nowhere'" in last
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
