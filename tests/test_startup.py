"""Start-up stays cheap without risking a wrong answer: the compiled-template cache is private,
keyed by the template source, and never a reason to fail; fingerprint prints what pandas would
without importing it."""
from __future__ import annotations

import subprocess
import sys

import jinja2
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bqml_tools.sql import render as templates
from bqml_tools.present.tables import format_frame, format_plain


def test_an_unwritable_template_cache_is_skipped(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = templates._BytecodeCache(str(blocker / "cache"))  # a folder inside a file: every write fails
    env = jinja2.Environment(loader=jinja2.DictLoader({"q.sql": "SELECT {{ x }}"}), bytecode_cache=cache)
    assert env.get_template("q.sql").render(x=1) == "SELECT 1"


def test_an_edited_template_is_never_read_from_the_cache(tmp_path):
    (tmp_path / "cache").mkdir()
    source = {"q.sql": "SELECT 1"}
    for expected in ("SELECT 1", "SELECT 2"):
        source["q.sql"] = expected
        env = jinja2.Environment(loader=jinja2.DictLoader(dict(source)),
                                 bytecode_cache=templates._BytecodeCache(str(tmp_path / "cache")))
        assert env.get_template("q.sql").render() == expected
    assert len(list((tmp_path / "cache").iterdir())) == 1  # one entry, rewritten for the new source


def test_the_template_cache_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("BQML_TOOLS_NO_TEMPLATE_CACHE", "1")
    assert templates._bytecode_cache() is None
    monkeypatch.delenv("BQML_TOOLS_NO_TEMPLATE_CACHE")
    assert isinstance(templates._bytecode_cache(), jinja2.FileSystemBytecodeCache)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), st.integers(-2**63, 2**63 - 1)), min_size=1, max_size=6),
       st.sampled_from(["table", "json", "csv"]))
def test_fingerprint_output_without_pandas_is_what_pandas_prints(pairs, fmt):
    """``format_plain`` (no pandas import) prints exactly what ``format_frame`` prints, or defers to it."""
    rows = [{"value": text, "farm_fingerprint": number} for text, number in pairs]
    assert format_plain(rows, fmt) == format_frame(pd.DataFrame(rows), fmt)


def test_fingerprint_command_loads_no_pandas():
    code = ("import sys\nfrom bqml_tools.cli import main\n"
            "try:\n    main(['fingerprint', '1footrue', 'x'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED:', *[m for m in ('pandas', 'duckdb', 'numba', 'jinja2') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "1footrue -1541654101129638711" in done.stdout
    assert done.stdout.splitlines()[-1] == "LOADED:"
