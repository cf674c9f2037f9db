"""The package's shape: layers (import-linter's contracts in pyproject.toml), no import cycles, no private
name imported across modules, modules of one purpose and a readable size."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bqml_tools"
# The numba port of FarmHash is one algorithm written out; splitting it would not make it easier to read.
LONG_ON_PURPOSE = {"bqml_tools/core/fingerprint/kernel.py"}
MAX_LINES = 500


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def name_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_import_linter_contracts_are_kept(monkeypatch):
    pytest.importorskip("importlinter")
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_no_module_imports_itself_back_through_others():
    """No cycle among the modules (lazy imports included): each layer, and each module in it, reads
    only what lies below it."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("bqml_tools")
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("bqml_tools")}
             for m in graph.modules}
    # a package's __init__ re-exporting its modules is not a cycle of its modules
    edges = {m: {i for i in out if not m.startswith(i + ".")} for m, out in edges.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(edges.get(module, ())):
            if state.get(other) == 1:
                cycles.append(path[path.index(other):] + [module, other] if other in path else [module, other])
            elif other not in state:
                visit(other, path + [module])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    assert not cycles, cycles


def test_no_private_name_crosses_a_module():
    """``from x import _y`` (or ``from . import _module``) is how a private hub grows: a name another module
    needs is public, with a docstring, in the module that owns it."""
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                found += [f"{name_of(path)}: from {'.' * node.level}{node.module or ''} import {a.name}"
                          for a in node.names if a.name.startswith("_")]
                # a module of ours; a package's generated code (zetasql.wasi._pb2, its only path) is its own business
                ours = node.level > 0 or (node.module or "").startswith("bqml_tools")
                if ours and node.module and any(part.startswith("_") for part in node.module.split(".")):
                    found.append(f"{name_of(path)}: from {'.' * node.level}{node.module} import ...")
    assert not found, found


def test_every_module_has_one_purpose_and_a_readable_size():
    too_long = {str(p.relative_to(ROOT)): n for p in modules()
                if (n := len(p.read_text().splitlines())) > MAX_LINES and str(p.relative_to(ROOT)) not in LONG_ON_PURPOSE}
    assert not too_long, too_long
    undocumented = [str(p.relative_to(ROOT)) for p in modules() if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not undocumented, undocumented


HEAVY = ("pandas", "numpy", "pyarrow", "duckdb", "jinja2", "numba", "scipy", "google.cloud.bigquery")


@pytest.mark.parametrize("args", [["--help"], ["which-split", "17", "--key", "user_id"],
                                  ["which-split", "1,a", "2,b", "--key", "u", "--key", "d", "--sample", "1/3",
                                   "--format", "json"],
                                  ["fingerprint", "x", "--format", "csv"], ["evaluate", "--help"]])
def test_small_commands_import_no_data_stack(args):
    """Start-up: a command that reads no table loads neither pandas, numpy, pyarrow, DuckDB nor jinja2
    (benchmarks/bench_startup.py measures the time; this checks the cause)."""
    import subprocess
    import sys

    code = ("import sys, atexit\n"
            f"atexit.register(lambda: print('LOADED', *[m for m in {HEAVY!r} if m in sys.modules], file=sys.__stderr__))\n"
            "from bqml_tools.cli import main\n"
            f"main({args!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "LOADED", done.stderr


@pytest.mark.parametrize("sample", [None, "1/3"])
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_which_split_without_pandas_prints_what_pandas_prints(sample, fmt):
    """which-split prints assignments() with present.tables.format_plain; the oracle is the DataFrame of
    assign() through format_frame (pandas), character for character."""
    import bqml_tools as bt
    from bqml_tools.present.tables import format_frame, format_plain
    from bqml_tools.splitting.assignment import assignments

    spec = bt.SplitSpec(key=["user_id"], sample=sample)
    values = [str(v) for v in (0, 7, 17, 42, 1234567, -5)] + ["héllo", "2024-01-31"]
    assert format_plain(assignments(values, spec), fmt) == format_frame(bt.assign(values, spec), fmt)
