"""The dbt package built for real: dbt/integration_tests with dbt-duckdb (`dbt deps && dbt build`, in its own
venv, tests/dbt_env.py), its models' rows checked against the library's split and the Python oracle, and the
SQL dbt compiled checked against the library's and the plain-Jinja rendering the BigQuery tests rely on.

Outside CI a dbt that cannot be installed skips these tests with one line; under CI=true it fails them."""
from __future__ import annotations

import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

import dbt_env
import dbt_jinja as dj
import oracle
from bqml_tools.core import identifiers
from bqml_tools.core.plan import plan_buckets
from bqml_tools.engines import DuckDBEngine
from bqml_tools.splitting.queries import split, split_query, split_report
from bqml_tools.splitting.spec import SplitSpec

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "integration_tests"  # dbt-duckdb names the database after the file
# model -> (its SplitSpec, the one split it keeps or None): what each model of dbt/integration_tests asks for
MODELS = {
    "split_events": ("events", SplitSpec(key=["id"]), None),
    "split_sampled": ("events", SplitSpec(key=["user_id", "day"], fractions="train=0.7,test=0.3", salt="v1",
                                          sample="1/3", split_column="part"), None),
    "train_events": ("events", SplitSpec(key=["user_id"], fractions="train=2/3,test=1/3"), "train"),
    "split_null_keys": ("events_null_keys", SplitSpec(key=["user_id"], fractions="train=80%,test=20%",
                                                      null_keys="split:holdout"), None),
}


def _dbt(dbt: Path, project: Path, *args: str) -> str:
    env = {**os.environ, "DBT_DUCKDB_PATH": str(project / f"{DATABASE}.duckdb"), "DBT_PROFILES_DIR": str(project),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    result = subprocess.run([str(dbt), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of dbt/integration_tests, its package installed from this checkout's dbt/, built once."""
    try:
        dbt = dbt_env.provision()
    except dbt_env.DbtUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"dbt-duckdb is required under CI: {error}")
        pytest.skip(f"dbt-duckdb unavailable: {error}")
    project = tmp_path_factory.mktemp("dbt") / "integration_tests"
    shutil.copytree(ROOT / "dbt" / "integration_tests", project,
                    ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb", "package-lock.yml"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {ROOT / 'dbt'}\n")
    _dbt(dbt, project, "deps")
    (project / "build.log").write_text(_dbt(dbt, project, "build", "--show-all-deprecations"))
    return project


def test_the_build_has_no_deprecation_and_warns_only_where_asked(built):
    """No UnexpectedJinjaBlockDeprecation (the templates dbt reads hold macros only) and no other warning
    than the two tests configured to warn."""
    log = (built / "build.log").read_text()
    assert "Deprecat" not in log
    assert "PASS=" in log and " WARN=2 ERROR=0 " in log


@pytest.fixture(scope="module")
def engine(built):
    import duckdb

    connection = duckdb.connect(str(built / f"{DATABASE}.duckdb"), read_only=True)
    yield DuckDBEngine(connection)
    connection.close()


def source(table: str) -> identifiers.Source:
    return identifiers.Source(parts=(DATABASE, "main", table))


@pytest.mark.parametrize("model", MODELS)
def test_every_row_of_the_model_is_the_librarys_split(engine, model):
    table, spec, only_split = MODELS[model]
    built_rows = engine.run(f'SELECT * FROM "{DATABASE}"."main"."{model}"')
    expected = split(engine, source(table), spec, only_split=only_split)
    assert list(built_rows.columns) == list(expected.columns)
    by_id = lambda frame: frame.sort_values("id").reset_index(drop=True)  # noqa: E731
    assert len(built_rows) == len(expected) > 0
    assert by_id(built_rows).astype(str).equals(by_id(expected).astype(str))


def test_the_split_models_rows_match_the_python_oracle(engine):
    """Independently of the SQL: each event's split from pyfarmhash and the README's rules."""
    rows = engine.run(f'SELECT id, user_id, day, split FROM "{DATABASE}"."main"."split_events"')
    plan = plan_buckets("train=0.8,valid=0.1,test=0.1")
    for row in rows.itertuples(index=False):
        assert row.split == oracle.split_of_key(str(row.id), list(plan.names), list(plan.fractions), plan.buckets)
    sampled = engine.run(f'SELECT user_id, day, part FROM "{DATABASE}"."main"."split_sampled"')
    events = engine.run(f'SELECT user_id, day FROM "{DATABASE}"."main"."events"')
    plan = plan_buckets("train=0.7,test=0.3", "1/3")
    expected = {}
    for row in events.itertuples(index=False):
        key = oracle.key_string([row.user_id, oracle.canonical(row.day, "DATE")], salt="v1")
        part = oracle.split_of_key(key, list(plan.names), list(plan.fractions), plan.buckets, Fraction(1, 3))
        if part is not None:
            expected[(row.user_id, str(row.day))] = part
    got = {(r.user_id, str(r.day)): r.part for r in sampled.itertuples(index=False)}
    assert got == expected and 0 < len(got) < len(events)
    holdout = engine.run(f'SELECT count(*) AS n FROM "{DATABASE}"."main"."split_null_keys" '
                         "WHERE split = 'holdout'")["n"][0]
    assert holdout == engine.run(f'SELECT count(*) AS n FROM "{DATABASE}"."main"."events_null_keys" '
                                 "WHERE user_id IS NULL")["n"][0] > 0


def compiled(built: Path, model: str) -> str:
    """The SQL dbt compiled for a model, without the model file's own comment lines."""
    text = (built / "target" / "compiled" / "bqml_tools_integration_tests" / "models" / f"{model}.sql").read_text()
    own = {line for line in (built / "models" / f"{model}.sql").read_text().splitlines() if line.startswith("--")}
    return "".join(line + "\n" for line in text.splitlines() if line not in own)


@pytest.mark.parametrize("model", MODELS)
def test_dbt_compiles_the_sql_the_library_renders(built, engine, model):
    table, spec, only_split = MODELS[model]
    library = split_query(source(table), spec, "duckdb", engine=engine, only_split=only_split)
    assert compiled(built, model) == dj.blank_lines_dropped(library.sql)


@pytest.mark.parametrize("model", MODELS)
def test_the_plain_jinja_rendering_is_what_dbt_compiles(built, engine, model):
    """tests/dbt_jinja.py (which renders the BigQuery SQL in test_dbt_package.py) renders what dbt-duckdb does."""
    table, spec, only_split = MODELS[model]
    columns = engine.run(f"DESCRIBE \"{DATABASE}\".\"main\".\"{table}\"")
    relation = dj.Relation(DATABASE, "main", table)
    package = dj.package("duckdb", {relation.name: [dj.Column(n, t) for n, t in
                                                    zip(columns["column_name"], columns["column_type"])]})
    fractions = spec.fractions
    key = list(spec.key) if len(spec.key) > 1 else spec.key[0]
    if only_split is not None:
        sql = package["split_filter"](relation, key, only_split, fractions=fractions, salt=spec.salt,
                                      sample=spec.sample, null_keys=spec.null_keys)
    else:
        sql = package["split"](relation, key, fractions=fractions, salt=spec.salt, sample=spec.sample,
                               split_column=spec.split_column, null_keys=spec.null_keys)
    assert sql == compiled(built, model)


def run_results(built: Path) -> dict[str, tuple[str, int]]:
    """Test node name -> (status, failing rows) from dbt's run_results.json."""
    import json

    results = json.loads((built / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results
            if r["unique_id"].startswith("test.")}


def test_split_stable_finds_exactly_the_keys_that_moved(built, engine):
    results = run_results(built)
    stable = next(name for name in results if name.startswith("bqml_tools_split_stable_split_events"))
    assert results[stable] == ("pass", 0)
    moved = engine.run(f'SELECT count(*) AS n FROM "{DATABASE}"."main"."split_events" AS m JOIN '
                       f'"{DATABASE}"."main"."split_events_changed" AS c ON m.id = c.id WHERE m.split <> c.split')
    assert results["split_stable_finds_three_moved_keys"] == ("warn", int(moved["n"][0])) == ("warn", 3)


def out_of_bounds(keys: dict[str, int], fractions: dict[str, Fraction], sigmas: float) -> int:
    """The library's split-report rule (splitting/queries.py _report), recomputed: splits whose key count
    is more than `sigmas` standard deviations (+1) off the binomial expectation, from 100 keys on."""
    total = sum(keys.get(name, 0) for name in fractions)
    if total < 100:
        return 0
    return sum(abs(keys.get(name, 0) - total * float(f)) > sigmas * (total * float(f) * (1 - float(f))) ** 0.5 + 1
               for name, f in fractions.items())


@pytest.mark.parametrize("test,model,key,column,fractions,sigmas", [
    ("bqml_tools_split_fractions_within_bounds_split_events_split__id", "split_events", ["id"], "split",
     "train=0.8,valid=0.1,test=0.1", 4),
    ("split_fractions_out_of_bounds_for_other_fractions", "split_events", ["id"], "split",
     "train=0.5,valid=0.25,test=0.25", 4),
    ("bqml_tools_split_fractions_within_bounds_split_sampled_part__train_0_7_test_0_3__user_id__day__3",
     "split_sampled", ["user_id", "day"], "part", "train=0.7,test=0.3", 3),
])
def test_split_fractions_within_bounds_fails_the_splits_the_library_would_warn_about(built, engine, test, model, key,
                                                                                      column, fractions, sigmas):
    from bqml_tools.core.plan import parse_fractions

    rows = engine.run(f'SELECT DISTINCT {", ".join(key)}, {column} FROM "{DATABASE}"."main"."{model}"')
    keys = rows.groupby(column).size().to_dict()
    failing = out_of_bounds(keys, parse_fractions(fractions), sigmas)
    assert run_results(built)[test] == ("pass" if failing == 0 else "warn", failing)
    assert sum(keys.values()) >= 100  # the rule applies (it reads nothing below 100 keys)


def test_the_library_report_agrees_that_the_split_model_is_within_bounds(engine):
    report = split_report(engine, source("events"), SplitSpec(key=["id"]))
    assert not [w for w in report.warnings if "standard deviations" in w]


def test_the_plugins_farm_fingerprint_is_bigquerys_under_dbt(engine):
    """The fingerprints model runs farm_fingerprint on dbt's own connection (the profile's plugin): BigQuery's
    published values, bit for bit."""
    import json

    golden = {v["input"]: v["expected_int64"] for v in json.loads((ROOT / "tests" / "data" /
                                                                    "farm_fingerprint_bigquery.json").read_text())
              if v["input_kind"] == "string"}
    rows = engine.run(f'SELECT input, fingerprint FROM "{DATABASE}"."main"."fingerprints"')
    assert len(rows) >= 10
    assert {r.input: int(r.fingerprint) for r in rows.itertuples(index=False)} == {i: golden[i] for i in rows["input"]}
