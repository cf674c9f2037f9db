"""The package's public names: every one resolves, and importing the package stays cheap."""
from __future__ import annotations

import subprocess
import sys

import bqml_tools as bt


def test_every_exported_name_resolves():
    for name in bt.__all__:
        assert getattr(bt, name) is not None, name
    assert {"EvalSpec", "evaluate", "curve", "diagnose", "split", "SplitSpec"} <= set(dir(bt))


def test_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bt.nope  # noqa: B018


def test_importing_the_package_loads_no_heavy_dependency():
    code = "import sys, bqml_tools; print(sorted(m for m in ('pandas', 'duckdb', 'google.cloud.bigquery', 'numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_engines_run_sql_text_with_named_parameters(engine):
    """``engine.run("SELECT ...")`` works like a rendered query, on every engine."""
    placeholder = "@n" if engine.dialect == "bigquery" else "$n"
    frame = engine.run(f"SELECT {placeholder} + 1 AS x", {"n": 41})
    assert frame["x"].tolist() == [42]
    assert list(engine.dry_run("SELECT 1 AS y").schema) == ["y"]


def test_run_refuses_what_is_neither_a_query_nor_sql(duck):
    import pytest

    from bqml_tools.errors import BqmlToolsError
    from bqml_tools.core.identifiers import source
    from bqml_tools.sql.render import render

    with pytest.raises(BqmlToolsError, match="rendered Query or SQL text"):
        duck.run(42)
    with pytest.raises(BqmlToolsError, match="already carries its parameters"):
        duck.run(render("select_all.sql", "duckdb", src=source("t")), {"a": 1})
