"""Splits on an engine, recomputed row by row by the Python oracle."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid
from fractions import Fraction

import pandas as pd
import pytest

from bqml_tools import SplitSpec, split, split_query, split_report
from bqml_tools.errors import InvalidIdentifier, InvalidSplitSpec, NullKeys, QueryError, UnknownColumn, UnsupportedKeyType
from bqml_tools.splitting import assignments_query
import oracle
from conftest import known_gap
from bqml_tools.engines import DuckDBEngine
from tables import load, load_from_connection, sized


def events(n: int = 5000) -> pd.DataFrame:
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    return pd.DataFrame({
        "id": range(n),
        "user_id": [i // 3 for i in range(n)],
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 97) for i in range(n)],
        "label": [int(i % 7 == 0) for i in range(n)],
        "x": [i * 0.5 for i in range(n)],
    })


def expected_splits(frame, key_kinds, spec_fractions, sample=Fraction(1), buckets=None, salt=None):
    names = list(spec_fractions)
    fractions = [Fraction(str(v)) for v in spec_fractions.values()]
    out = {}
    for row in frame.itertuples(index=False):
        parts = [oracle.canonical(getattr(row, c), k) for c, k in key_kinds.items()]
        key = oracle.key_string(parts, salt)
        out[row.id] = oracle.split_of_key(key, names, fractions, buckets, sample)
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize(
    "key_kinds,fractions,sample,buckets,salt",
    [
        ({"user_id": "INT64"}, {"train": 0.8, "valid": 0.1, "test": 0.1}, None, 10, None),
        ({"user_id": "INT64"}, {"train": 0.8, "valid": 0.1, "test": 0.1}, "1/7", 10, None),
        ({"user_id": "INT64"}, {"train": 0.7, "test": 0.3}, None, 10, "experiment-7"),
        ({"user_id": "INT64", "day": "DATE"}, {"a": 0.5, "b": 0.25, "c": 0.25}, "0.5", 4, None),
        ({"user_id": "INT64"}, {"train": 0.7, "test": 0.3}, "1/70", 10, None),
        ({"day": "DATE"}, {"train": 0.9, "test": 0.1}, None, 10, "it's"),
    ],
)
def test_split_matches_python_oracle_row_for_row(engine, key_kinds, fractions, sample, buckets, salt):
    frame = events()
    table = load(engine, "ds.events", frame)
    spec = SplitSpec(key=list(key_kinds), fractions=fractions, sample=sample, salt=salt)
    assert spec.plan.buckets == buckets
    got = split(engine, table, spec)
    assert set(got.columns) == set(frame.columns) | {"split"}
    want = expected_splits(frame, key_kinds, fractions, Fraction(sample or 1), buckets, salt)
    assert dict(zip(got["id"], got["split"])) == want


def test_rows_sharing_a_key_share_a_split(engine):
    table = load(engine, "ds.events", events())
    got = split(engine, table, SplitSpec(key=["user_id"]))
    assert got.groupby("user_id")["split"].nunique().max() == 1


def test_all_columns_kept_with_their_values(engine):
    frame = events(300)
    table = load(engine, "ds.events", frame)
    got = split(engine, table, SplitSpec(key=["id"])).sort_values("id").reset_index(drop=True)
    for column in ["id", "user_id", "label", "x"]:
        assert got[column].tolist() == frame[column].tolist()
    assert pd.to_datetime(got["day"]).dt.date.tolist() == frame["day"].tolist()


KIND_COLUMNS = {
    "s": ("VARCHAR", "STRING"),
    "i": ("INTEGER", "INT64"),
    "big": ("BIGINT", "INT64"),
    "flag": ("BOOLEAN", "BOOL"),
    "d": ("DATE", "DATE"),
    "naive": ("TIMESTAMP", "DATETIME"),
    "ts": ("TIMESTAMPTZ", "TIMESTAMP"),
    "raw": ("BLOB", "BYTES"),
    "amount": ("DECIMAL(18,4)", "NUMERIC"),
    "u": ("UUID", "STRING"),
}


def typed_rows(n: int = 400) -> list[tuple]:
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    utc = dt.timezone.utc
    rows = []
    for i in range(n):
        rows.append((
            i,
            f"k{i}" if i % 11 else "ünïcode ✓",
            i - 200,
            -(2**62) + i * 7919 * 10**9,
            i % 2 == 0,
            dt.date(1999, 12, 31) + dt.timedelta(days=i),
            dt.datetime(2024, 2, 29, 23, 59, 59, (i * 123457) % 10**6) + dt.timedelta(hours=i),
            dt.datetime(2024, 3, 1, 0, 0, 1, (i * 7) % 10**6, tzinfo=utc) + dt.timedelta(minutes=37 * i),
            bytes([i % 256, (i * 7) % 256, 0]),
            decimal.Decimal(i * 125 - 20000) / 1000,
            uuid.UUID(int=i * 0x9E3779B97F4A7C15 % (1 << 128)),
        ))
    return rows


@pytest.fixture
def typed_table(duck):
    con = duck.connection
    con.execute("SET TimeZone = 'America/New_York'")  # the canonical string must not depend on it
    columns = ", ".join(f"{name} {sql_type}" for name, (sql_type, _) in KIND_COLUMNS.items())
    con.execute(f"CREATE SCHEMA ds; CREATE TABLE ds.typed (id BIGINT, {columns})")
    con.executemany(f"INSERT INTO ds.typed VALUES ({', '.join(['?'] * (len(KIND_COLUMNS) + 1))})", typed_rows())
    return duck, "ds.typed"


@pytest.mark.parametrize("column", [c for c in KIND_COLUMNS if c != "u"])  # UUID is not a BigQuery type
def test_each_key_type_splits_the_same_on_every_engine(engine, request, column):
    """The same typed column on each engine: key strings and fingerprints as the oracle says."""
    if column == "amount":
        known_gap(request, "emulator", "bqemulator 1.4.0 casts NUMERIC to STRING with DuckDB's trailing zeros")
    kind = KIND_COLUMNS[column][1]
    scratch = DuckDBEngine().connection
    scratch.execute("SET TimeZone = 'UTC'")
    columns = ", ".join(f"{name} {sql_type}" for name, (sql_type, _) in KIND_COLUMNS.items())
    scratch.execute(f"CREATE TABLE t (id BIGINT, {columns})")
    scratch.executemany(f"INSERT INTO t VALUES ({', '.join(['?'] * (len(KIND_COLUMNS) + 1))})", typed_rows(120))
    table = load_from_connection(engine, "ds.typed", scratch, f"SELECT id, {column} FROM t")
    spec = SplitSpec(key=[column], buckets=1000, fractions="a=0.5,b=0.5")
    got = engine.run(assignments_query(table, spec, engine.dialect, engine=engine, inline=False))
    expected = sorted(oracle.canonical(v, kind) for (v,) in scratch.execute(f"SELECT {column} FROM t").fetchall())
    assert sorted(got["key_string"]) == expected
    assert sorted(got["fingerprint"]) == sorted(oracle.fingerprint(text) for text in expected)


@pytest.mark.duckdb
@pytest.mark.parametrize("column", list(KIND_COLUMNS))
def test_each_key_type_has_the_documented_canonical_string(typed_table, column):
    engine, table = typed_table
    kind = KIND_COLUMNS[column][1]
    spec = SplitSpec(key=[column], buckets=1000, fractions="a=0.5,b=0.5")
    got = engine.run(assignments_query(table, spec, "duckdb", engine=engine, inline=False))
    values = {row[0]: row[1:] for row in engine.connection.execute(f"SELECT id, {column} FROM {table}").fetchall()}
    frame = engine.connection.execute(f"SELECT {column} AS v FROM {table} ORDER BY id").fetchall()
    expected = [oracle.canonical(v if kind != "STRING" else str(v), kind) for (v,) in frame]
    assert sorted(got["key_string"]) == sorted(expected)
    for text, fp, bucket in zip(got["key_string"], got["fingerprint"], got["bucket"]):
        assert fp == oracle.fingerprint(text)
        assert bucket == oracle.bucket(text, 1000)
    assert values  # the table is not empty


@pytest.mark.duckdb
def test_composite_key_of_every_type_matches_oracle(typed_table):
    engine, table = typed_table
    columns = list(KIND_COLUMNS)
    spec = SplitSpec(key=columns, salt="s", buckets=100, fractions="a=0.3,b=0.7")
    got = engine.run(assignments_query(table, spec, "duckdb", engine=engine, inline=False))
    rows = engine.connection.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id").fetchall()
    expected = sorted(
        oracle.key_string([oracle.canonical(str(v) if KIND_COLUMNS[c][1] == "STRING" else v, KIND_COLUMNS[c][1])
                           for c, v in zip(columns, row)], "s")
        for row in rows
    )
    assert sorted(got["key_string"]) == expected


@pytest.mark.duckdb
@pytest.mark.parametrize("sql_type", ["DOUBLE", "FLOAT"])
def test_float_keys_are_refused(duck, sql_type):
    load(duck, "ds.f", sql=f"SELECT CAST(range AS {sql_type}) AS score FROM range(5)")
    with pytest.raises(UnsupportedKeyType, match="float-to-string differs"):
        split(duck, "ds.f", SplitSpec(key=["score"]))


@pytest.mark.duckdb
def test_unsupported_key_type_is_refused(duck):
    load(duck, "ds.l", sql="SELECT [range] AS xs FROM range(5)")
    with pytest.raises(UnsupportedKeyType, match="xs"):
        split(duck, "ds.l", SplitSpec(key=["xs"]))


def test_null_keys_are_refused_with_a_count_by_default(engine):
    table = load(engine, "ds.n", sql="SELECT range AS id, CASE WHEN range % 10 = 0 THEN NULL ELSE range END AS k FROM range(100)")
    with pytest.raises(NullKeys, match=r"10 row\(s\) have a NULL key \(k\)"):
        split(engine, table, SplitSpec(key=["k"]))


def test_null_keys_dropped_on_request_and_counted(engine):
    table = load(engine, "ds.n", sql="SELECT range AS id, CASE WHEN range % 10 = 0 THEN NULL ELSE range END AS k FROM range(100)")
    spec = SplitSpec(key=["k"], null_keys="drop")
    report = split_report(engine, table, spec)
    assert report.null_key_rows == 10
    got = split(engine, table, spec)
    assert len(got) == 90 and got["k"].notna().all()


def test_null_keys_routed_to_a_named_split(engine):
    table = load(engine, "ds.n", sql="SELECT range AS id, CASE WHEN range % 10 = 0 THEN NULL ELSE range END AS k FROM range(100)")
    spec = SplitSpec(key=["k"], null_keys="split:holdout", sample="1/2")
    got = split(engine, table, spec)
    assert set(got.loc[got["k"].isna(), "split"]) == {"holdout"}
    assert (got["split"] == "holdout").sum() == 10
    report = split_report(engine, table, spec)
    assert report.table.set_index("split").loc["holdout", "rows"] == 10
    only = split(engine, table, spec, only_split="holdout")
    assert len(only) == 10 and "split" not in only.columns


@pytest.mark.duckdb
def test_printed_query_itself_refuses_null_keys(duck):
    """The ERROR() guard protects a user who pastes the SQL without running the report first."""
    load(duck, "ds.n", sql="SELECT CASE WHEN range = 3 THEN NULL ELSE range END AS k FROM range(10)")
    query = split_query("ds.n", SplitSpec(key=["k"]), "duckdb")
    with pytest.raises(Exception, match="NULL key in k"):
        duck.connection.execute(query.sql).fetchall()


@pytest.mark.duckdb
def test_inline_and_bound_queries_return_the_same_rows(duck):
    """What --dialect prints and what the engine runs are the same statement."""
    table = load(duck, "ds.events", events())
    spec = SplitSpec(key=["user_id", "day"], salt="a'b\\c", sample="1/3", null_keys="split:nulls")
    printed = split_query(table, spec, "duckdb", engine=duck)
    bound = split_query(table, spec, "duckdb", engine=duck, inline=False)
    assert printed.params == {} and bound.params
    assert "a'b" not in bound.sql
    a = duck.run(printed).sort_values("id").reset_index(drop=True)
    b = duck.run(bound).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_only_split_returns_that_splits_rows_without_the_column(engine):
    table = load(engine, "ds.events", events())
    spec = SplitSpec(key=["user_id"], sample="1/2")
    full = split(engine, table, spec)
    for name in spec.plan.names:
        only = split(engine, table, spec, only_split=name)
        assert "split" not in only.columns
        assert sorted(only["id"]) == sorted(full.loc[full["split"] == name, "id"])


def test_report_counts_and_fractions(engine):
    frame = events()
    table = load(engine, "ds.events", frame)
    spec = SplitSpec(key=["user_id"], sample="1/2")
    report = split_report(engine, table, spec)
    got = split(engine, table, spec)
    counts = got["split"].value_counts()
    t = report.table.set_index("split")
    for name in spec.plan.names:
        assert t.loc[name, "rows"] == counts.get(name, 0)
        assert t.loc[name, "distinct_keys"] == got.loc[got["split"] == name, "user_id"].nunique()
        assert t.loc[name, "fraction"] == pytest.approx(counts.get(name, 0) / len(got))
    assert report.unsampled_rows == len(frame) - len(got)


def test_lumpy_key_warns(engine):
    table = load(engine, "ds.events", events())
    report = split_report(engine, table, SplitSpec(key=["label"]))
    assert any("lumpy" in w for w in report.warnings)
    assert any("one key value holds" in w for w in report.warnings)


def test_empty_table_gives_empty_splits_and_a_warning(engine):
    table = load(engine, "ds.empty", sql="SELECT range AS k FROM range(0)")
    report = split_report(engine, table, SplitSpec(key=["k"]))
    assert report.table["rows"].sum() == 0
    assert any("no rows" in w for w in report.warnings)
    assert len(split(engine, table, SplitSpec(key=["k"]))) == 0


def test_unknown_column_names_the_columns_that_exist(engine):
    table = load(engine, "ds.events", events(10))
    with pytest.raises(UnknownColumn, match=r"'usr_id' is not in the source; it has: id, user_id"):
        split(engine, table, SplitSpec(key=["usr_id"]))


def test_existing_split_column_is_not_overwritten(engine):
    table = load(engine, "ds.s", sql="SELECT range AS k, 'x' AS split FROM range(10)")
    with pytest.raises(InvalidSplitSpec, match="split_column"):
        split(engine, table, SplitSpec(key=["k"]))
    got = split(engine, table, SplitSpec(key=["k"], split_column="fold"))
    assert set(got["split"]) == {"x"} and set(got["fold"]) <= {"train", "valid", "test"}


def test_unknown_table_is_a_query_error(engine):
    with pytest.raises(QueryError, match="nope"):
        split(engine, "ds.nope", SplitSpec(key=["k"]))


@pytest.mark.duckdb
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_file_sources(duck, tmp_path, suffix):
    frame = events(500)
    path = tmp_path / f"events.{suffix}"
    getattr(frame, f"to_{suffix}")(path, index=False)
    spec = SplitSpec(key=["user_id"])
    got = split(duck, str(path), spec)
    assert dict(zip(got["id"], got["split"])) == expected_splits(
        frame, {"user_id": "INT64"}, {"train": 0.8, "valid": 0.1, "test": 0.1}, buckets=10)


@pytest.mark.parametrize("hostile", [
    "proj.ds.t`; DROP TABLE x; --",
    'ds."t"',
    "ds.t; SELECT 1",
    "a b",
    "my-project.ds.t'",
])
def test_hostile_sources_are_refused_before_any_sql(hostile):
    with pytest.raises(InvalidIdentifier, match="not a table name"):
        split_query(hostile, SplitSpec(key=["k"]), "bigquery")


@pytest.mark.parametrize("column", ["k`", 'k"', "k; DROP TABLE t", "1k", "", "k-1"])
def test_hostile_columns_are_refused(column):
    with pytest.raises(InvalidIdentifier, match="not a plain identifier"):
        SplitSpec(key=[column])


def test_salt_is_a_value_never_sql():
    spec = SplitSpec(key=["k"], salt="x' OR 1=1 --")
    bq = split_query("ds.t", spec, "bigquery").sql
    assert "'12:x\\' OR 1=1 --'" in bq
    duck = split_query("ds.t", spec, "duckdb").sql
    assert "'12:x'' OR 1=1 --'" in duck
    bound = split_query("ds.t", spec, "duckdb", inline=False)
    assert "OR 1=1" not in bound.sql and bound.params["salt"] == "12:x' OR 1=1 --"
    with pytest.raises(UnsupportedKeyType, match="printable"):
        SplitSpec(key=["k"], salt="a\nb")


def test_project_ids_with_hyphens_are_quoted_for_bigquery():
    sql = split_query("my-project-123.ml_data.events-2024", SplitSpec(key=["k"]), "bigquery").sql
    assert "FROM `my-project-123.ml_data.events-2024`" in sql


@pytest.mark.duckdb
def test_bigquery_query_text_is_the_textbook_one():
    sql = split_query("p-roject.ds.t", SplitSpec(key=["user_id"]), "bigquery").sql
    assert "ABS(MOD(FARM_FINGERPRINT(CAST(`user_id` AS STRING)), 10))" in sql


def test_table_options_of_stored_splits():
    """--cluster-by, --partition-by, --expiration-days, --table-description, --table-label: BigQuery's
    CREATE TABLE clauses, in BigQuery's order; refused on DuckDB, on views, and when out of range."""
    import sqlglot
    from sqlglot import exp

    from bqml_tools.errors import InvalidSplitSpec, TemplateError
    from bqml_tools.splitting import TableOptions, materialize_queries

    spec = SplitSpec(key=["user_id"], key_types={"user_id": "INT64"})
    options = TableOptions(cluster_by=("split",), partition_by="day", expiration_days=7, description="it's",
                           labels={"team": "ml", "cost-center": "x1"})
    (query,) = materialize_queries("my-project.ml.events", spec, "my-project.ml.out", "bigquery", options=options)
    head = query.sql.split(" AS\n", 1)[0].splitlines()
    assert head == ["CREATE TABLE `my-project.ml.out`", "PARTITION BY DATE(`day`)", "CLUSTER BY `split`",
                    "OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 7 DAY), "
                    "description = 'it\\'s', labels = [('cost-center', 'x1'), ('team', 'ml')])"]
    assert isinstance(sqlglot.parse_one(query.sql, read="bigquery"), exp.Create)
    per_split = materialize_queries("my-project.ml.events", spec, "my-project.ml.out", "bigquery", per_split=True,
                                    options=TableOptions(cluster_by=("user_id",)))
    assert len(per_split) == 3 and all("\nCLUSTER BY `user_id` AS\n" in q.sql for q in per_split)
    with pytest.raises(TemplateError, match="are BigQuery table options: drop them on DuckDB"):
        materialize_queries("ml.events", spec, "ml.out", "duckdb", options=TableOptions(cluster_by=("split",)))
    with pytest.raises(InvalidSplitSpec, match="are for tables: drop view=True"):
        materialize_queries("my-project.ml.events", spec, "my-project.ml.out", "bigquery", view=True, options=options)
    with pytest.raises(InvalidSplitSpec, match="at most 4 columns"):
        TableOptions(cluster_by=("a", "b", "c", "d", "e"))
    with pytest.raises(InvalidSplitSpec, match="expiration_days 0 must be a whole number of days from 1"):
        TableOptions(expiration_days=0)
    with pytest.raises(InvalidSplitSpec, match="table label Team=ml must be a lowercase key"):
        TableOptions(labels={"Team": "ml"})
    assert not TableOptions() and "OPTIONS" not in materialize_queries(
        "my-project.ml.events", spec, "my-project.ml.out", "bigquery", options=TableOptions())[0].sql


def test_stored_slots_let_a_later_sample_filter_the_stored_table(engine):
    """--store-slots: split_bucket and sample_slot are the hash's parts (Python oracle), and
    WHERE sample_slot < threshold of the stored table gives exactly `split --sample`'s rows and splits."""
    from bqml_tools.core.identifiers import source
    from bqml_tools.splitting import materialize
    from bqml_tools.sql.render import render

    frame = events(3000)
    table = load(engine, "ds.slots_src", frame)
    materialize(engine, table, SplitSpec(key=["user_id"]), "ds.slots_stored", replace=True, store_slots=True)
    stored = engine.run(render("select_all.sql", engine.dialect, src=source("ds.slots_stored")))
    for _, row in stored.head(300).iterrows():
        key = str(row["user_id"])
        assert row["split_bucket"] == oracle.bucket(key, 10) and row["sample_slot"] == oracle.slot(key, 10)
    sample = SplitSpec(key=["user_id"], sample="1/7")
    later = stored.loc[stored["sample_slot"] < sample.plan.threshold]
    direct = split(engine, table, sample)
    got = later.sort_values("id")[["id", "split"]].reset_index(drop=True)
    want = direct.sort_values("id")[["id", "split"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    with pytest.raises(InvalidSplitSpec, match="store_slots goes with a plain split"):
        split_query(table, SplitSpec(key=["user_id"], stratify="label"), engine.dialect, store_slots=True)
