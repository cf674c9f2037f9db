"""GoogleSQL's reference implementation agrees with the DuckDB side on the functions a split and a bin rest on:
FARM_FINGERPRINT (every length 0..300, random bytes, unicode text, BigQuery's golden vectors) and
``sql.score_bits`` (the INT64 bin of exact AUC: a double's IEEE-754 bit pattern), each batched in one query."""
from __future__ import annotations

import math
import random
import struct

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bqml_tools.engines import connect_duckdb
from bqml_tools.sql.render import MACROS, environment
from conftest import golden_bytes, golden_vectors
from tables import load

@pytest.fixture(scope="module")
def reference(googlesql_reference):
    import googlesql

    return googlesql.GoogleSQLEngine(googlesql_reference)


def inputs() -> list[bytes]:
    """Every length 0..300 (the lengths FarmHash branches on), random bytes, and unicode text as UTF-8."""
    rng = random.Random(15)
    out = [bytes(rng.randrange(256) for _ in range(n)) for n in range(301)]
    out += [rng.randbytes(rng.randrange(1, 2000)) for _ in range(100)]
    alphabet = "aé€𝄞中\u0000\u200b'\"\\"
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120))).encode() for _ in range(100)]
    return out + [golden_bytes(vector) for vector in golden_vectors()]


def duckdb_fingerprints(values: list[bytes]) -> list[int]:
    connection = connect_duckdb()
    connection.register("v", pd.DataFrame({"i": range(len(values)), "b": values}))
    return [row[0] for row in connection.execute("SELECT farm_fingerprint(b) FROM v ORDER BY i").fetchall()]


@pytest.mark.googlesql
def test_farm_fingerprint_of_bytes_equals_duckdbs(reference):
    values = inputs()
    reference.create_table("ds.fp", {"i": "INT64", "b": "BYTES"}, list(enumerate(values)))
    got = reference.run("SELECT i, FARM_FINGERPRINT(b) AS h FROM `ds.fp` ORDER BY i")
    assert list(got["i"]) == list(range(len(values)))
    assert list(got["h"]) == duckdb_fingerprints(values)


@pytest.mark.googlesql
def test_farm_fingerprint_of_text_equals_duckdbs_and_bigquerys(reference):
    """STRING input (a split's key string) hashes its UTF-8 bytes; the golden vectors are BigQuery's own values."""
    vectors = [v for v in golden_vectors() if v["input_kind"] == "string"]
    texts = [v["input"] for v in vectors] + [b.decode() for b in inputs()[401:501]]
    reference.create_table("ds.fps", {"i": "INT64", "s": "STRING"}, list(enumerate(texts)))
    got = list(reference.run("SELECT FARM_FINGERPRINT(s) AS h FROM `ds.fps` ORDER BY i")["h"])
    assert got == duckdb_fingerprints([t.encode() for t in texts])
    assert got[:len(vectors)] == [v["expected_int64"] for v in vectors]
    hex_vectors = [v for v in golden_vectors() if v["input_kind"] == "bytes_hex"]
    assert hex_vectors, "the golden vectors include BYTES inputs (checked in the bytes test)"


def score_bits_sql(dialect: str, column: str) -> str:
    module = environment().get_template(MACROS).make_module(
        vars={"dialect": dialect, "inline": True, "binder": None, "dispatch": None})
    return str(module.default__score_bits(column))


def doubles() -> list[float]:
    """Scores in [0, 1] where the exponent is easy to get wrong: 0, -0, 1, powers of two and their neighbours,
    subnormals, the least normal, random values on a linear and a logarithmic scale."""
    rng = random.Random(15)
    out = [0.0, -0.0, 1.0, 0.5, 5e-324, 2.2250738585072014e-308, math.nextafter(2.2250738585072014e-308, 0),
           math.nextafter(1.0, 0), 0.1, 1 / 3]
    for k in range(1, 1075, 7):
        power = 2.0 ** -k
        out += [power, math.nextafter(power, 0), math.nextafter(power, 1)]
    out += [rng.random() for _ in range(300)] + [10 ** -rng.uniform(0, 320) for _ in range(300)]
    return [x for x in out if 0 <= x <= 1]


def ieee_bits(x: float) -> int:
    return 0 if x == 0 else struct.unpack("<q", struct.pack("<d", x))[0]


def test_score_bits_is_the_ieee_bit_pattern_on_every_engine(engine):
    """One bin per distinct score, in order, as an INT64 a BigQuery window can partition by."""
    values = doubles()
    table = load(engine, "ds.bits", pd.DataFrame({"i": range(len(values)), "x": values}))
    name = f"`{table}`" if engine.dialect == "bigquery" else table
    got = engine.run(f"SELECT i, {score_bits_sql(engine.dialect, 'x')} AS bits FROM {name} ORDER BY i")
    assert str(got["bits"].dtype) == "Int64"
    assert list(got["bits"]) == [ieee_bits(x) for x in values]


@pytest.mark.googlesql
def test_approximate_columns_are_declared_and_checked(reference):
    """APPROX_QUANTILES fails on the reference; the declared column comes back NULL and the rest are exact."""
    import numpy as np
    from sklearn import metrics as skm

    import googlesql
    from bqml_tools.errors import BadQuery
    from bqml_tools.evaluation import EvalSpec, evaluate

    with pytest.raises(BadQuery, match="Unsupported built-in function: approx_quantiles"):
        reference._evaluate("SELECT APPROX_QUANTILES(x, 2)[OFFSET(1)] AS m FROM UNNEST([1.0, 2.0]) AS x",
                            googlesql.as_query("SELECT 1", "bigquery"))
    rng = np.random.default_rng(15)
    y, p = rng.gamma(2.0, 3.0, 200), rng.gamma(2.0, 3.0, 200)
    reference.create_table("ds.reg", {"y": "FLOAT64", "p": "FLOAT64"}, list(zip(y.tolist(), p.tolist())))
    got = evaluate(reference, "ds.reg", EvalSpec(task="regression", label="y", prediction="p")).iloc[0]
    assert googlesql.APPROXIMATE_COLUMNS == {"APPROX_QUANTILES": ("median_absolute_error",)}
    assert pd.isna(got["median_absolute_error"])
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p), rel=1e-12)
    assert got["r2"] == pytest.approx(skm.r2_score(y, p), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_subnormal=True), min_size=1, max_size=50))
def test_score_bits_is_the_bit_pattern_of_any_scores_on_duckdb(values):
    """A property over any doubles in [0, 1] (the reference checks the same expression above)."""
    connection = connect_duckdb()
    connection.register("v", pd.DataFrame({"i": range(len(values)), "x": values}))
    got = [row[0] for row in connection.execute(
        f"SELECT {score_bits_sql('duckdb', 'x')} FROM v ORDER BY i").fetchall()]
    assert got == [ieee_bits(x) for x in values]
    order = sorted(range(len(values)), key=lambda i: values[i])
    assert [got[i] for i in order] == sorted(got)  # the bins sort as the scores do
