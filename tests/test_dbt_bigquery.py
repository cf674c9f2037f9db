"""The dbt package's BigQuery SQL run on the BigQuery-API emulator: each macro's rendering for dbt-bigquery
(tests/dbt_jinja.py; test_dbt_package.py shows it is the CLI's --dialect bigquery SQL) is accepted there
and gives the Python oracle's splits, and the generic tests' BigQuery SQL finds what they should."""
from __future__ import annotations

from pathlib import Path

import pytest

import dbt_jinja as dj
import emulator
import oracle
from bqml_tools.core import identifiers
from bqml_tools.core.plan import plan_buckets
from bqml_tools.engines.schema import source_schema
from bqml_tools.sql.render import as_query
from conftest import emulator_engine
from tables import load

pytestmark = pytest.mark.emulator

SEEDS = Path(__file__).resolve().parents[1] / "dbt" / "integration_tests" / "seeds"
DATASET = "dbt_package"


@pytest.fixture(scope="module")
def bigquery(bigquery_emulator):
    engine = emulator_engine(bigquery_emulator.endpoint)
    load(engine, f"{DATASET}.events", sql=f"SELECT id, user_id, day FROM read_csv('{SEEDS / 'events.csv'}', "
                                          "columns={'id': 'BIGINT', 'user_id': 'VARCHAR', 'day': 'DATE', "
                                          "'label': 'INTEGER', 'score': 'DOUBLE', 'amount': 'DOUBLE', "
                                          "'prediction': 'DOUBLE'})")
    load(engine, f"{DATASET}.split_events_changed",
         sql=f"SELECT * FROM read_csv('{SEEDS / 'split_events_changed.csv'}', columns={{'id': 'BIGINT', 'split': 'VARCHAR'}})")
    return engine


def relation(table: str) -> dj.Relation:
    return dj.Relation(emulator.PROJECT, DATASET, table, quote="`")


def package(engine, *tables: str) -> dict:
    columns = {}
    for table in tables:
        schema = source_schema(engine, identifiers.Source(parts=(emulator.PROJECT, DATASET, table)))
        columns[relation(table).name] = [dj.Column(name, kind) for name, kind in schema.items()]
    return dj.package("bigquery", columns)


def test_split_and_split_filter_run_on_bigquery_with_the_oracles_splits(bigquery):
    macros = package(bigquery, "events")
    rows = bigquery.run(macros["split"](relation("events"), "id"))
    plan = plan_buckets("train=0.8,valid=0.1,test=0.1")
    assert len(rows) == 400
    for row in rows.itertuples(index=False):
        assert row.split == oracle.split_of_key(str(row.id), list(plan.names), list(plan.fractions), plan.buckets)
    train = bigquery.run(macros["split_filter"](relation("events"), "user_id", "train", fractions="train=2/3,test=1/3"))
    plan = plan_buckets("train=2/3,test=1/3")
    expected = {r.id for r in bigquery.run(f"SELECT id, user_id FROM `{emulator.PROJECT}.{DATASET}.events`").itertuples()
                if oracle.split_of_key(r.user_id, list(plan.names), list(plan.fractions), plan.buckets) == "train"}
    assert set(train["id"]) == expected and "split" not in train.columns


def test_the_generic_tests_find_the_moved_keys_and_the_wrong_fractions_on_bigquery(bigquery):
    macros = package(bigquery, "events")
    bigquery.execute(as_query(f"CREATE OR REPLACE TABLE `{emulator.PROJECT}.{DATASET}.split_events` AS "
                              + macros["split"](relation("events"), "id"), "bigquery"))
    macros = package(bigquery, "events", "split_events")
    stable = macros["test_split_stable"](model=relation("split_events"), key="id",
                                         previous=relation("split_events_changed"))
    moved = bigquery.run(stable)
    assert sorted(moved["id"]) == [5, 50, 333] and list(moved.columns) == ["id", "split_now", "split_before"]
    within = macros["test_split_fractions_within_bounds"](model=relation("split_events"), key="id",
                                                         column_name="split")
    assert bigquery.run(within).empty
    wrong = macros["test_split_fractions_within_bounds"](model=relation("split_events"), key="id", column_name="split",
                                                        fractions="train=0.5,valid=0.25,test=0.25")
    assert sorted(bigquery.run(wrong)["split"]) == ["test", "train", "valid"]


@pytest.fixture(scope="module")
def predictions(bigquery):
    load(bigquery, f"{DATASET}.predictions",
         sql=f"SELECT * FROM read_csv('{SEEDS / 'predictions.csv'}', columns={{'id': 'BIGINT', 'segment': 'VARCHAR', "
             "'y': 'DOUBLE', 'y_hat': 'DOUBLE', 'w': 'DOUBLE', 'label': 'BIGINT', 'score': 'DOUBLE', "
             "'cls': 'VARCHAR', 'cls_hat': 'VARCHAR'})")
    return package(bigquery, "predictions")


@pytest.mark.parametrize("task,arguments", [
    ("regression", dict(label="y", prediction="y_hat", by="segment", weight="w")),
    ("binary", dict(label="label", score="score", by="segment", weight="w")),
    ("multiclass", dict(label="cls", prediction="cls_hat", by="segment", weight="w")),
])
def test_evaluate_runs_on_bigquery_with_the_librarys_metrics(bigquery, predictions, task, arguments):
    """The evaluate macro's BigQuery SQL (its exact AUC per logit bucket, not DuckDB's window) on the emulator:
    the library's metrics of the same seed on DuckDB (median_absolute_error is approximate on BigQuery)."""
    import duckdb

    from bqml_tools.engines import DuckDBEngine
    from bqml_tools.evaluation.metrics import evaluate
    from bqml_tools.evaluation.spec import EvalSpec

    got = bigquery.run(predictions["evaluate"](relation("predictions"), task, **arguments))
    local = DuckDBEngine(duckdb.connect())
    local.connection.execute(f"CREATE TABLE predictions AS SELECT * FROM read_csv('{SEEDS / 'predictions.csv'}')")
    expected = evaluate(local, identifiers.Source(parts=("predictions",)), EvalSpec(task=task, **arguments))
    got = got.sort_values("segment").reset_index(drop=True)
    assert list(got.columns) == list(expected.columns) and len(got) == len(expected) == 3
    for column in expected.columns:
        if column in ("segment", "median_absolute_error"):
            continue
        assert got[column].astype(float).tolist() == pytest.approx(expected[column].astype(float).tolist(),
                                                                    rel=1e-9, nan_ok=True), column
