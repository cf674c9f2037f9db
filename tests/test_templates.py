"""Every template renders for both dialects; BigQuery SQL parses with sqlglot; snapshots per dialect."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from bqml_tools.errors import TemplateError
from bqml_tools.templates import render, templates_dir
from render_cases import cases

CASES = cases()
SNAPSHOTS = Path(__file__).parent / "snapshots"


def test_every_query_template_is_rendered_for_both_dialects():
    templates = {p.relative_to(templates_dir()).as_posix() for p in templates_dir().rglob("*.sql")
                 if not p.name.startswith("_") and p.parent.name != "macros"}
    rendered = {(q.template, q.dialect) for q in CASES.values()}
    for template in templates:
        for dialect in ("bigquery", "duckdb"):
            assert (template, dialect) in rendered, f"{template} has no {dialect} rendering in render_cases.py"


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_sql_parses(name):
    query = CASES[name]
    read = "bigquery" if query.dialect == "bigquery" else "duckdb"
    statements = sqlglot.parse(query.sql, read=read)
    assert len([s for s in statements if s is not None]) == 1, "one self-contained statement"
    assert isinstance(statements[0], exp.Query)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.endswith(".bigquery")))
def test_bigquery_sql_has_no_window_over_raw_rows(name):
    """Windows are allowed only with PARTITION BY, over an aggregated relation."""
    tree = sqlglot.parse_one(CASES[name].sql, read="bigquery")
    for window in tree.find_all(exp.Window):
        assert window.args.get("partition_by"), window.sql("bigquery")
        select = window.find_ancestor(exp.Select)
        from_ = select.args.get("from_") or select.args.get("from")  # key renamed in sqlglot 30
        source_cte = from_.this  # e.g. placed ... FROM strata, which must be a GROUP BY
        cte = next(c for c in tree.find_all(exp.CTE) if c.alias == source_cte.name)
        assert cte.this.args.get("group"), f"window over {source_cte.name}, which is not aggregated"


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith(("split_plain.", "split_sample.", "profile_plain."))))
def test_plain_split_reads_the_source_once(name):
    read = "bigquery" if name.endswith("bigquery") else "duckdb"
    tree = sqlglot.parse_one(CASES[name].sql, read=read)
    tables = [t for t in tree.find_all(exp.Table) if t.name == "events"]
    assert len(tables) == 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_snapshot(name):
    path = SNAPSHOTS / f"{name}.sql"
    text = CASES[name].sql
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI") == "true" and not path.exists():
            pytest.fail(f"snapshot {path.name} missing: run UPDATE_SNAPSHOTS=1 pytest tests/test_templates.py")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed: review and rerun with UPDATE_SNAPSHOTS=1"


def test_missing_parameter_names_template_and_parameter():
    with pytest.raises(TemplateError, match=r"select_all.sql: missing parameter \('src' is undefined\)"):
        render("select_all.sql", "bigquery")


def test_unknown_dialect_and_template():
    with pytest.raises(TemplateError, match="unknown dialect 'postgres'"):
        render("select_all.sql", "postgres")
    with pytest.raises(TemplateError, match="nope.sql not found"):
        render("nope.sql", "duckdb")


def test_bigquery_refuses_file_sources():
    from bqml_tools.identifiers import source
    with pytest.raises(TemplateError, match="can only be read by DuckDB"):
        render("select_all.sql", "bigquery", src=source("events.parquet"))


def test_dialect_differences_live_in_one_macros_file():
    """Query templates say nothing dialect-specific: no dialect names, no backticks, no EXCLUDE/EXCEPT."""
    for path in templates_dir().rglob("*.sql"):
        if path.parent.name == "macros":
            continue
        text = path.read_text()
        body = text.split("-#}", 1)[-1]
        for marker in ("bigquery", "duckdb", "`", "EXCLUDE", "EXCEPT", "FARM_FINGERPRINT(", "farm_fingerprint("):
            assert marker not in body, (path.name, marker)
