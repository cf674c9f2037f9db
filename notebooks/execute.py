"""Re-execute the notebooks in place so they are committed with fresh outputs: `make notebooks`.

Each runs top to bottom in a scratch folder (nothing is written next to it); timings are not
recorded and cell ids are kept, so an unchanged notebook re-executes to identical bytes.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": scratch}}).execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
              if o.output_type == "error"]
    if errors:
        raise SystemExit(f"{path}: {errors[0].ename}: {errors[0].evalue}")
    nbformat.write(notebook, path)
    print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(str(p) for p in Path(__file__).parent.glob("*.ipynb")):
        execute(Path(name))
