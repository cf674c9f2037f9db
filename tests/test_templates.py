"""Every template renders for both dialects; BigQuery SQL parses with sqlglot; snapshots per dialect."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from bqml_tools.errors import TemplateError
from bqml_tools.sql.render import render, templates_dir
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
    assert isinstance(statements[0], (exp.Query, exp.Create))


def _aggregated(tree, relation) -> bool:
    """Whether ``relation`` (a FROM target) is a CTE whose rows are already aggregated."""
    if not isinstance(relation, exp.Table):
        return False
    cte = next((c for c in tree.find_all(exp.CTE) if c.alias == relation.name), None)
    if cte is None:
        return False  # a base table: raw rows
    select = cte.this
    if isinstance(select, exp.Select) and select.args.get("group"):
        return True
    from_ = select.args.get("from_") or select.args.get("from")
    return from_ is not None and (not select.args.get("joins") or _unnests_members(select)) \
        and _aggregated(tree, from_.this)


def _unnests_members(select) -> bool:
    """Whether the only join of ``select`` unnests arrays its FROM carries (the exact plan's buckets,
    _binary.sql: an ARRAY_AGG of a bucket's distinct scores, so each element is an aggregated row)."""
    joins = select.args.get("joins") or []
    return len(joins) == 1 and isinstance(joins[0].this, exp.Unnest)


def _partitioned_by_bucket(tree, window, relation) -> bool:
    """A window over unnested bucket members runs per bucket (PARTITION BY ..., bucket), never over a
    whole group's distinct scores."""
    cte = next((c for c in tree.find_all(exp.CTE) if c.alias == relation.name), None)
    if cte is None or cte.this.args.get("group") or not _unnests_members(cte.this):
        return True
    return "bucket" in [getattr(p, "name", None) for p in window.args.get("partition_by") or []]


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.endswith(".bigquery")))
def test_bigquery_sql_has_no_window_over_raw_rows(name):
    """A window may only run over a GROUP BY result (or a CTE reading one), never over raw rows."""
    tree = sqlglot.parse_one(CASES[name].sql, read="bigquery")
    for window in tree.find_all(exp.Window):
        select = window.find_ancestor(exp.Select)
        from_ = select.args.get("from_") or select.args.get("from")  # key renamed in sqlglot 30
        assert not select.args.get("joins"), window.sql("bigquery")
        assert _aggregated(tree, from_.this), f"window over {from_.this.sql()}, which is not aggregated"
        assert _partitioned_by_bucket(tree, window, from_.this), f"window over every member: {window.sql('bigquery')}"


ONE_SCAN = ("split_plain.", "split_sample.", "profile_plain.", "evaluate_", "curve_", "threshold_", "training_")


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith(ONE_SCAN)))
def test_query_reads_the_source_once(name):
    """The source table appears once; CTEs built on it are referenced once each (BigQuery
    re-evaluates a CTE at every reference)."""
    read = "bigquery" if name.endswith("bigquery") else "duckdb"
    tree = sqlglot.parse_one(CASES[name].sql, read=read)
    sources = [t for t in tree.find_all(exp.Table) if t.name in ("events", "predictions", "training_info")]
    assert len(sources) == 1
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    references = [t.name for t in tree.find_all(exp.Table) if t.name in ctes]
    assert len(references) == len(set(references)), f"a CTE is read twice: {sorted(references)}"


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
    from bqml_tools.core.identifiers import source
    with pytest.raises(TemplateError, match="can only be read by DuckDB"):
        render("select_all.sql", "bigquery", src=source("events.parquet"))


def test_dialect_differences_live_in_one_macros_file():
    """Query templates say nothing dialect-specific: no dialect names, no backticks, no EXCLUDE/EXCEPT."""
    import re

    for path in templates_dir().rglob("*.sql"):
        if path.parent.name == "macros":
            continue
        code = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # Jinja comments
        code = re.sub(r"--[^\n]*", "", code)  # SQL comments
        code = re.sub(r"\bsql\.\w+", "", code)  # calls of the dialect macros themselves
        for marker in ("bigquery", "duckdb", "`", "EXCLUDE", "EXCEPT", "FARM_FINGERPRINT(", "farm_fingerprint(",
                       "SAFE_DIVIDE", "APPROX_QUANTILES", "UNNEST", "AS FLOAT64", "AS DOUBLE"):
            assert marker.lower() not in code.lower(), (path.name, marker)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("curve_thresholds_")))
def test_threshold_sweep_is_linear_in_steps(name):
    """curve thresholds: every join unnests a per-row range (running sums over the steps present);
    no join of the steps with the steps (a cross join made it quadratic: 30k steps took 135 s)."""
    read = "bigquery" if name.endswith("bigquery") else "duckdb"
    tree = sqlglot.parse_one(CASES[name].sql, read=read)
    joins = list(tree.find_all(exp.Join))
    assert joins and all(isinstance(j.this, exp.Unnest) for j in joins), [j.sql() for j in joins]


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("split_stratified")))
def test_stratified_split_aggregates_key_labels_once(name):
    """The (key, label) aggregate and everything built on it are read once; only the scan (keyed)
    is read twice: by the aggregate and by the rows emitted, which a sample filters before the join."""
    read = "bigquery" if name.endswith("bigquery") else "duckdb"
    tree = sqlglot.parse_one(CASES[name].sql, read=read)
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    references = [t.name for t in tree.find_all(exp.Table) if t.name in ctes]
    assert sorted(r for r in set(references) if references.count(r) > 1) == ["keyed"]
    join = next(j for j in tree.find_all(exp.Join) if j.this.alias_or_name == "_bqml_s")
    emitted = join.parent_select.args["from_" if "from_" in join.parent_select.args else "from"].this
    if "sample" in CASES[name].sql.split("\n\n")[0]:
        assert isinstance(emitted, exp.Subquery) and emitted.this.args.get("where") is not None, emitted.sql()
