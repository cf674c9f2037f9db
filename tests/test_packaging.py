"""The wheel ships the SQL templates: built from the repo and installed elsewhere, it renders and runs."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (path,) = out.glob("bqml_tools-*.whl")
    return path


def test_wheel_contains_every_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "sql_templates").rglob("*.sql"):
        assert f"bqml_tools/sql_templates/{template.relative_to(ROOT / 'sql_templates').as_posix()}" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_renders_and_runs_outside_the_repo(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    script = (
        "import bqml_tools, pathlib;"
        "from bqml_tools.sql.render import templates_dir;"
        "assert pathlib.Path(bqml_tools.__file__).parent / 'sql_templates' == templates_dir(), templates_dir();"
        "e = bqml_tools.DuckDBEngine(); e.connection.execute('CREATE TABLE t AS SELECT range AS k FROM range(100)');"
        "print(len(bqml_tools.split(e, 't', bqml_tools.SplitSpec(key=['k']))))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "100"
