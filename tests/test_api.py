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
