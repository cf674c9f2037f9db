"""Every notebook in notebooks/ runs top to bottom (executed with nbclient, on a copy: the committed
files keep their outputs and are never rewritten), draws its figures, and is committed executed."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _outputs(notebook) -> list:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def _images(notebook) -> int:
    return sum("image/png" in o.get("data", {}) for o in _outputs(notebook))


def test_there_are_notebooks():
    assert {"quickstart.ipynb", "sample_split_evaluate.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_with_its_outputs(path):
    """Browsed on GitHub, a notebook shows its tables and pictures: every code cell was run, in order."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert not [o for o in _outputs(notebook) if o.get("output_type") == "error"]
    assert _images(notebook) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    committed = path.read_bytes()
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("FARM_FINGERPRINT" in o.get("text", "") for o in outputs)
    assert _images(notebook) == _images(nbformat.read(path, as_version=4))  # every figure drawn again
    assert path.read_bytes() == committed
