"""Start-up stays cheap without risking a wrong answer: the compiled-template cache is private,
keyed by the template source, and never a reason to fail."""
from __future__ import annotations

import jinja2

from bqml_tools import templates


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
