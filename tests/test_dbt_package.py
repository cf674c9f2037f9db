"""The dbt package's macros (dbt/), rendered as dbt renders them (tests/dbt_jinja.py), against the CLI and
the library: the BigQuery and DuckDB SQL of every macro equals `bqml-tools split ... --dialect X`, and the
Jinja ports of Python logic (the bucket plan, key kinds) agree with the Python they port, by hypothesis.
tests/test_dbt.py builds the package for real with dbt-duckdb."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dbt_jinja as dj
from bqml_tools.core import identifiers
from bqml_tools.core.keys import kind_of
from bqml_tools.core.plan import plan_buckets
from bqml_tools.errors import BqmlToolsError
from cli_runner import run

RELATION = dj.Relation("my-project", "ml", "events")
COLUMNS = [dj.Column("id", "INT64"), dj.Column("user_id", "STRING"), dj.Column("day", "DATE"),
           dj.Column("ts", "TIMESTAMP"), dj.Column("amount", "NUMERIC"), dj.Column("blob", "BYTES"),
           dj.Column("score", "FLOAT64"), dj.Column("label", "INT64")]
DUCKDB_TYPES = {"INT64": "BIGINT", "STRING": "VARCHAR", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP",
                "NUMERIC": "DECIMAL(18,3)", "BYTES": "BLOB", "FLOAT64": "DOUBLE", "BOOL": "BOOLEAN",
                "ARRAY<STRUCT<label STRING, prob FLOAT64>>": "STRUCT(label VARCHAR, prob DOUBLE)[]"}


def macros(adapter: str) -> dict:
    columns = COLUMNS if adapter == "bigquery" else [dj.Column(c.name, DUCKDB_TYPES[c.dtype]) for c in COLUMNS]
    return dj.package(adapter, {RELATION.name: columns})


# (macro arguments, the same split as CLI flags)
CASES = [
    (dict(key="id"), []),
    (dict(key=["user_id", "day"], fractions="train=0.7,test=0.3", salt="v1", sample="1/70", split_column="part"),
     ["--key", "user_id", "--key", "day", "--fractions", "train=0.7,test=0.3", "--salt", "v1", "--sample", "1/70",
      "--split-column", "part"]),
    (dict(key="ts", fractions="a=1/3,b=1/3,c=1/3", null_keys="drop"),
     ["--key", "ts", "--fractions", "a=1/3,b=1/3,c=1/3", "--null-keys", "drop"]),
    (dict(key="amount", fractions={"train": "80%", "test": 0.2}, null_keys="split:holdout", sample=0.05),
     ["--key", "amount", "--fractions", "train=80%,test=0.2", "--null-keys", "split:holdout", "--sample", "0.05"]),
    (dict(key="blob", salt="it's \\ salted"), ["--key", "blob", "--salt", "it's \\ salted"]),
]
FILTER_CASES = [
    (dict(key="user_id", split="train"), ["--key", "user_id", "--split", "train"]),
    (dict(key="user_id", split="test", fractions="train=0.9,test=0.1", sample="1/3"),
     ["--key", "user_id", "--split", "test", "--fractions", "train=0.9,test=0.1", "--sample", "1/3"]),
    (dict(key="id", split="holdout", null_keys="split:holdout"),
     ["--key", "id", "--split", "holdout", "--null-keys", "split:holdout"]),
]


def cli_sql(capsys, flags: list[str], dialect: str) -> str:
    types = [f"{c.name}={c.dtype if dialect == 'bigquery' else DUCKDB_TYPES[c.dtype]}" for c in COLUMNS
             if c.dtype != "FLOAT64"]
    flags = flags or ["--key", "id"]
    code, out, err = run(capsys, "split", RELATION.name, *flags, *[a for t in types for a in ("--key-type", t)],
                         "--dialect", dialect)
    assert code == 0, err
    return dj.blank_lines_dropped(out)


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("arguments,flags", CASES)
def test_split_renders_the_sql_the_cli_prints(capsys, dialect, arguments, flags):
    sql = macros(dialect)["split"](RELATION, **arguments)
    assert sql == cli_sql(capsys, flags, dialect)
    assert ("farm_fingerprint(" in sql) == (dialect == "duckdb")  # the dialect macro ran, not the default


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("arguments,flags", FILTER_CASES)
def test_split_filter_renders_the_sql_the_cli_prints_for_one_split(capsys, dialect, arguments, flags):
    assert macros(dialect)["split_filter"](RELATION, **arguments) == cli_sql(capsys, flags, dialect)


@pytest.mark.parametrize("arguments,message", [
    (dict(key="no such"), "key column name 'no such' is not a plain identifier"),
    (dict(key="missing"), "column 'missing' is not in the source"),
    (dict(key="score"), "key column 'score' is FLOAT64: float-to-string differs"),
    (dict(key="id", fractions="train=0.5,test=0.4"), "fractions add up to 0.9"),
    (dict(key="id", fractions="train:0.8"), "'train:0.8' has no '='"),
    (dict(key="id", fractions="train=0.8;test=0.2"), "fraction for 'train' '0.8;test=0.2' is not a number"),
    (dict(key="id", sample="2"), "sample rate 2 must be in (0, 1]"),
    (dict(key="id", split_column="label"), "the source already has a column 'label'"),
    (dict(key="id", split_column="_bqml_split"), "split_column '_bqml_split': names starting with '_bqml_'"),
    (dict(key="id", null_keys="keep"), "null_keys 'keep' is not one of: error, drop, split:NAME"),
    (dict(key="id", salt="two\nlines"), "must be 1 to 256 printable characters"),
])
def test_bad_arguments_fail_compilation_with_a_one_line_reason(arguments, message):
    with pytest.raises(dj.CompilationError) as error:
        macros("bigquery")["split"](RELATION, **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_split_filter_refuses_a_split_the_fractions_do_not_make():
    with pytest.raises(dj.CompilationError, match="split 'holdout' is not one of the splits: train, valid, test"):
        macros("duckdb")["split_filter"](RELATION, "id", "holdout")


def test_a_source_column_with_a_reserved_name_is_refused():
    package = dj.package("duckdb", {RELATION.name: [dj.Column("id", "BIGINT"), dj.Column("_bqml_bucket", "BIGINT")]})
    with pytest.raises(dj.CompilationError, match="has a column '_bqml_bucket'"):
        package["split"](RELATION, "id")


def test_the_dispatcher_resolves_every_dialect_macro_of_the_templates_for_each_adapter():
    """`sql.x` in dbt is adapter.dispatch('x', 'bqml_tools'): the adapter's variant, else the default."""
    for adapter in ("bigquery", "duckdb"):
        package = macros(adapter)
        sql = package["dialect_dispatcher"]()
        assert sql["quote"] is package["bigquery__quote" if adapter == "bigquery" else "default__quote"]
        assert sql["fingerprint"] is package[f"{adapter}__fingerprint"]
        assert sql["value"] is package["default__value"]
        assert ("group_key" in sql) == (adapter == "duckdb")  # a DuckDB-only macro


# The plan: plan.sql ports core/plan.py; both must give the same plan or both refuse.
NUMBER_TEXT = st.one_of(
    st.fractions(min_value=Fraction(-1, 2), max_value=Fraction(3, 2), max_denominator=400).map(
        lambda f: f"{f.numerator}/{f.denominator}"),
    st.decimals(min_value=-1, max_value=2, places=6, allow_nan=False, allow_infinity=False).map(str),
    st.floats(min_value=-0.5, max_value=1.5, allow_nan=False).map(lambda x: round(x, 10)),
    st.integers(0, 100).map(lambda n: f"{n}%"),
    st.sampled_from(["0.3333333333", "1e-1", "2.5E-1", " 0.5 ", "+.25", "1/0", "0x10", "", "abc", "1_0",
                     "7" * 31, "1e99", "1/3 ", "50 %", "0.1000000000000000000000000000001"]),
)
NAMES = st.sampled_from(["train", "valid", "test", "holdout", "a", "b9", "9bad", "bad-name", "x" * 65])


def written(draw, value: Fraction):
    """One of the ways a user writes a fraction: 4/5 (maybe unreduced), 0.8, 80%, a float, 0.3333333333."""
    form = draw(st.sampled_from(["ratio", "decimal", "percent", "float", "approximate"]))
    n, d = value.numerator, value.denominator
    if form == "ratio":
        m = draw(st.integers(1, 5))
        return f"{n * m}/{d * m}"
    terminating = all(p in (2, 5) for p in _prime_factors(d))
    if form == "decimal" and terminating:
        return format(Decimal(n) / Decimal(d), "f")
    if form == "percent" and terminating:
        return format(Decimal(n * 100) / Decimal(d), "f") + "%"
    if form == "float":
        return n / d  # a number, not text: dbt hands the macro a float
    return f"{n / d:.{draw(st.integers(6, 12))}f}"  # snapped (or not) to a denominator up to 10,000


def _prime_factors(d: int) -> set[int]:
    out, p = set(), 2
    while d > 1 and p * p <= d:
        while d % p == 0:
            out.add(p)
            d //= p
        p += 1
    return out | ({d} if d > 1 else set())


@st.composite
def fraction_specs(draw):
    """Fractions that mostly add up to 1 (so that most plans are made), written in every accepted form,
    with now and then a bad name or a bad number."""
    denominator = draw(st.sampled_from([2, 3, 4, 5, 7, 8, 10, 16, 20, 25, 40, 100, 1000, 9, 3000, 10007]))
    k = draw(st.integers(1, min(4, denominator)))
    cuts = sorted(draw(st.lists(st.integers(1, denominator - 1), min_size=k - 1, max_size=k - 1, unique=True))) \
        if k > 1 else []
    bounds = [0, *cuts, denominator]
    parts = [Fraction(b - a, denominator) for a, b in zip(bounds, bounds[1:])]
    names = draw(st.lists(st.sampled_from(["train", "valid", "test", "holdout", "a", "b9"]), min_size=k,
                          max_size=k, unique=True))
    if draw(st.integers(0, 9)) == 0:
        names[0] = draw(NAMES)
    values = [written(draw, part) for part in parts]
    if draw(st.integers(0, 9)) == 0:
        values[draw(st.integers(0, k - 1))] = draw(NUMBER_TEXT)
    items = list(zip(names, values))
    if draw(st.booleans()):
        return items  # passed as a mapping
    return ",".join(f"{n}={v}" for n, v in items)


SAMPLES = st.one_of(st.none(), st.integers(1, 2_000_000).map(lambda k: f"1/{k}"),
                    st.decimals(min_value=0, max_value=1, places=8).map(lambda d: format(d, "f")), NUMBER_TEXT)


def python_plan(fractions, sample):
    try:
        plan = plan_buckets(dict(fractions) if isinstance(fractions, list) else fractions, sample)
    except BqmlToolsError:
        return None
    return ([*plan.names], [[f.numerator, f.denominator] for f in plan.fractions], plan.buckets, [*plan.upper],
            plan.threshold, plan.sampled)


def jinja_plan(package, fractions, sample):
    try:
        plan = package["plan_buckets"](dict(fractions) if isinstance(fractions, list) else fractions, sample)
    except dj.CompilationError:
        return None
    return (plan["names"], plan["fractions"], plan["buckets"], plan["upper"], plan["threshold"], plan["sampled"])


PACKAGE = macros("duckdb")
PACKAGES = {"bigquery": macros("bigquery"), "duckdb": PACKAGE}


@settings(max_examples=300, deadline=None)
@given(fractions=fraction_specs(), sample=SAMPLES)
def test_the_jinja_plan_is_the_python_plan(fractions, sample):
    assert jinja_plan(PACKAGE, fractions, sample) == python_plan(fractions, sample)


@pytest.mark.parametrize("fractions,sample", [
    ("train=0.8,valid=0.1,test=0.1", None), ("a=0.3333333333,b=0.6666666667", "1/70"),
    ("train=2/3,test=1/3", "0.0000015"), ({"x": "12.5%", "y": 0.875}, "100%"), ("t=1e-1,u=9e-1", "1e-6"),
])
def test_the_jinja_plan_is_the_python_plan_on_known_specs(fractions, sample):
    expected = python_plan(fractions, sample)
    assert expected is not None and jinja_plan(PACKAGE, fractions, sample) == expected


TYPE_NAMES = st.one_of(
    st.sampled_from(["INT64", "INTEGER", "BIGINT", "HUGEINT", "VARCHAR", "STRING", "TEXT", "UUID", "BOOL",
                     "BOOLEAN", "DATE", "DATETIME", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ",
                     "TIMESTAMP_NS", "BYTES", "BLOB", "NUMERIC", "BIGNUMERIC", "DECIMAL(18,3)", "NUMERIC(38, 9)",
                     "FLOAT64", "DOUBLE", "REAL", "FLOAT", "STRUCT<a INT64>", "INTERVAL", "JSON", "GEOGRAPHY"]),
    st.text(alphabet="abcdefINTSRGtimestz_() ,0123456789", max_size=20),
).map(lambda t: t if t.strip() else "VARCHAR")


@settings(max_examples=200, deadline=None)
@given(engine_type=TYPE_NAMES, adapter=st.sampled_from(["bigquery", "duckdb"]),
       case=st.sampled_from([str.lower, str.upper, lambda t: f" {t} "]))
def test_the_jinja_key_kind_is_kind_of(engine_type, adapter, case):
    engine_type = case(engine_type)
    try:
        expected = kind_of(engine_type, adapter, "k")
    except BqmlToolsError:
        expected = None
    try:
        got = PACKAGES[adapter]["key_kind"](engine_type, "k")
    except dj.CompilationError:
        got = None
    assert got == expected


def test_a_relation_given_as_text_is_split_without_reading_its_columns(capsys):
    """As the CLI without an engine: CAST(key AS STRING), and the header says the types were not checked."""
    sql = macros("bigquery")["split"]("my-project.ml.events", "user_id", sample="1/70")
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--sample", "1/70",
                         "--dialect", "bigquery")
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out) and "key types not checked" in sql


# End to end: for any arguments, the macro's SQL is the library's, or both refuse them.
KEY_NAMES = st.sampled_from(["id", "user_id", "day", "ts", "amount", "blob", "score", "missing", "_bqml_x",
                             "bad name", "ID", "label"])


@pytest.fixture(scope="module")
def duck_events():
    from bqml_tools.engines import DuckDBEngine

    engine = DuckDBEngine()
    engine.connection.execute("CREATE TABLE events (id BIGINT, user_id VARCHAR, day DATE, ts TIMESTAMP, "
                              "amount DECIMAL(18,3), blob BLOB, score DOUBLE, label INTEGER)")
    relation = dj.Relation("memory", "main", "events")
    columns = [dj.Column(n, t) for n, t in engine.connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events' "
        "ORDER BY ordinal_position").fetchall()]
    return engine, relation, dj.package("duckdb", {relation.name: columns})


def mostly(valid: list, invalid: list):
    """Valid values four times as often as invalid ones: most examples reach the SQL, some each refusal."""
    return st.sampled_from(valid * 4 + invalid)


@settings(max_examples=150, deadline=None)
@given(key=st.one_of(mostly(["id", "user_id", "day", "ts", "amount", "blob", "label"],
                            ["score", "missing", "_bqml_x", "bad name", "ID"]),
                     st.lists(KEY_NAMES, min_size=1, max_size=3)),
       fractions=mostly(["train=0.8,valid=0.1,test=0.1", "train=2/3,test=1/3", "train=0.7,test=0.3"], ["a=0.5,b=0.4"]),
       salt=mostly([None, "v1", "it's \\ ok"], ["", "a\nb", "x" * 257]),
       sample=mostly([None, "1/70", 0.5, "1/3"], ["0", "2"]),
       split_column=mostly(["split", "part"], ["label", "_bqml_s", "id", "Label", "1bad"]),
       null_keys=mostly(["error", "drop", "split:holdout"], ["split:", "keep"]),
       only_split=mostly([None, None, "train", "test", "holdout"], ["nope"]))
def test_any_arguments_give_the_librarys_sql_or_are_refused_by_both(duck_events, key, fractions, salt, sample,
                                                                     split_column, null_keys, only_split):
    from bqml_tools.splitting.queries import split_query
    from bqml_tools.splitting.spec import SplitSpec

    engine, relation, package = duck_events
    try:
        spec = SplitSpec(key=key, fractions=fractions, salt=salt, sample=sample, null_keys=null_keys,
                         split_column="split" if only_split else split_column)
        expected = dj.blank_lines_dropped(split_query(identifiers.Source(parts=("memory", "main", "events")), spec,
                                                      "duckdb", engine=engine, only_split=only_split).sql)
    except BqmlToolsError:
        expected = None
    try:
        if only_split is None:
            got = package["split"](relation, key, fractions=fractions, salt=salt, sample=sample,
                                   split_column=split_column, null_keys=null_keys)
        else:
            got = package["split_filter"](relation, key, only_split, fractions=fractions, salt=salt, sample=sample,
                                          null_keys=null_keys)
    except dj.CompilationError:
        got = None
    assert got == expected


def test_rendering_leaves_dbts_context_as_it_found_it():
    """render_template puts sql, k, the values and the package's macros into dbt's (live, shared) context for
    one call only: afterwards every name holds what it held before (dbt's own `sql` too) and no name is left."""
    package = macros("duckdb")
    context = package["split"].context
    context["sql"] = "the model's compiled code"  # a name dbt's context has, which the templates also use
    before = dict(context)
    package["split"](RELATION, "id", sample="1/3")
    assert context.keys() == before.keys() and all(context[k] is before[k] for k in before)


def test_missing_templates_are_one_line_naming_the_install_that_works():
    """A git install with subdirectory: dbt copies dbt/ only, and dbt/templates then points at nothing."""
    package = macros("duckdb")
    del package["split_template"]
    with pytest.raises(dj.CompilationError, match="SQL templates are missing .* install the package with local:"):
        package["split"](RELATION, "id")

