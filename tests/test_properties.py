"""Invariants of the split, checked with hypothesis on DuckDB against the Python oracle."""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bqml_tools import SplitSpec, split_query
from bqml_tools.engines import DuckDBEngine
from bqml_tools.plan import plan_buckets
import oracle

ROWS = 4000
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

pytestmark = pytest.mark.duckdb


@pytest.fixture(scope="module")
def table():
    engine = DuckDBEngine()
    engine.connection.execute(
        f"CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT range AS id, 'user-' || (range // 2) AS k FROM range({ROWS})"
    )
    return engine


@st.composite
def fraction_specs(draw):
    count = draw(st.integers(2, 4))
    denominator = draw(st.sampled_from([4, 5, 10, 20, 100]))
    cuts = sorted(draw(st.lists(st.integers(1, denominator - 1), min_size=count - 1, max_size=count - 1, unique=True)))
    if len(cuts) < count - 1:
        cuts = list(range(1, count))
    bounds = [0] + cuts + [denominator]
    return {f"s{i}": f"{bounds[i + 1] - bounds[i]}/{denominator}" for i in range(count)}



@SETTINGS
@given(fractions=fraction_specs(), sample=st.sampled_from([None, "1/2", "1/3", "0.25", "1/7"]),
       salt=st.one_of(st.none(), st.text(st.characters(codec="utf-8", categories=["L", "N", "P"], include_characters=" "), min_size=1, max_size=8)))
def test_partition_and_membership_match_oracle(table, fractions, sample, salt):
    spec = SplitSpec(key=["k"], fractions=fractions, sample=sample, salt=salt)
    plan = spec.plan
    got = dict(table.run(split_query("ds.t", spec, "duckdb", inline=False))[["id", "split"]].itertuples(index=False, name=None))
    # partition: each id at most once, and exactly once when its key is sampled
    expected = {}
    for i in range(ROWS):
        key = oracle.key_string([f"user-{i // 2}"], salt)
        name = oracle.split_of(oracle.bucket(key, plan.buckets), list(plan.names),
                               [Fraction(v) for v in fractions.values()], Fraction(sample or 1), plan.buckets)
        if name is not None:
            expected[i] = name
    assert got == expected


@SETTINGS
@given(low=st.integers(1, 99), extra=st.integers(1, 100), salt=st.one_of(st.none(), st.just("x")))
def test_nesting_a_larger_rate_only_adds_rows(table, low, extra, salt):
    high = min(low + extra, 100)
    def sample(rate):
        spec = SplitSpec(key=["k"], fractions="a=0.5,b=0.5", sample=f"{rate}/100", buckets=200, salt=salt)
        frame = table.run(split_query("ds.t", spec, "duckdb", inline=False))
        return set(frame["id"])
    small, large = sample(low), sample(high)
    assert small <= large


@SETTINGS
@given(fractions=fraction_specs())
def test_determinism_same_rows_on_reruns_and_new_connections(table, fractions):
    spec = SplitSpec(key=["k"], fractions=fractions)
    query = split_query("ds.t", spec, "duckdb", inline=False)
    first = table.run(query).sort_values("id")["split"].tolist()
    other = DuckDBEngine()
    other.connection.execute(f"CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT * FROM (SELECT range AS id, 'user-' || (range // 2) AS k FROM range({ROWS})) ORDER BY random()")
    second = other.run(query).sort_values("id")["split"].tolist()
    assert first == second


def test_proportions_within_binomial_bounds():
    """20,000 distinct keys: every split's share within 5 standard deviations of its fraction."""
    engine = DuckDBEngine()
    engine.connection.execute("CREATE SCHEMA ds; CREATE TABLE ds.big AS SELECT range AS id FROM range(20000)")
    for fractions, sample in [("train=0.8,valid=0.1,test=0.1", None), ("a=0.5,b=0.3,c=0.2", "1/4"),
                              ("train=0.7,test=0.3", "1/70")]:
        spec = SplitSpec(key=["id"], fractions=fractions, sample=sample)
        counts = engine.run(split_query("ds.big", spec, "duckdb", inline=False))["split"].value_counts()
        rate = float(Fraction(sample or 1))
        for name, fraction in zip(spec.plan.names, spec.plan.fractions):
            p = rate * float(fraction)
            sd = math.sqrt(20000 * p * (1 - p))
            assert abs(counts.get(name, 0) - 20000 * p) <= 5 * sd, (fractions, sample, name)


@given(fractions=fraction_specs(), rate=st.fractions(min_value=Fraction(1, 200), max_value=1, max_denominator=200))
@settings(max_examples=200, deadline=None)
def test_bucket_plan_boundaries_are_whole_and_consecutive(fractions, rate):
    plan = plan_buckets(fractions, rate)
    assert plan.upper == tuple(sorted(plan.upper)) and len(set(plan.upper)) == len(plan.upper)
    assert Fraction(plan.sample_upper, plan.buckets) == rate
    cumulative = Fraction(0)
    for f, hi in zip(plan.fractions, plan.upper):
        cumulative += f
        assert Fraction(hi, plan.buckets) == rate * cumulative
    # the smallest such count: no proper divisor works
    for divisor in range(2, 8):
        if plan.buckets % divisor == 0:
            smaller = plan.buckets // divisor
            assert any((rate * c * smaller).denominator != 1 for c in
                       [sum(plan.fractions[: i + 1], Fraction(0)) for i in range(len(plan.fractions))])
