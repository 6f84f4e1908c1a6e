"""Every notebook runs top to bottom on this interpreter's kernel, and is stored without outputs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL = "python3"
TIMEOUT_S = 300


@pytest.fixture(scope="module")
def kernel_of_this_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A `python3` kernelspec running sys.executable, first on JUPYTER_PATH.

    A user-wide or system `python3` kernelspec may point at another interpreter; this one
    shadows it, so the notebooks always run where the project is installed.
    """
    data_dir = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(path=data_dir / "kernels" / KERNEL)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(data_dir))
        env.setenv("IPYTHONDIR", str(data_dir / "ipython"))
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
        assert Path(spec.argv[0]) == Path(sys.executable), spec.argv
        yield data_dir


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOKS_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has stored outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_executes(path: Path, kernel_of_this_python: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors, errors
