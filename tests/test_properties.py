"""Invariants of the split, checked with hypothesis on DuckDB against the Python oracle."""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bqml_tools import SplitSpec, split_query
from bqml_tools.engines import DuckDBEngine
from bqml_tools.core.plan import plan_buckets
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



RATES = st.fractions(min_value=Fraction(1, 1000), max_value=1, max_denominator=1000)


def run_split(table, spec) -> dict[int, str]:
    return dict(table.run(split_query("ds.t", spec, "duckdb", inline=False))[["id", "split"]]
                .itertuples(index=False, name=None))


@SETTINGS
@given(fractions=fraction_specs(), sample=st.one_of(st.none(), RATES),
       salt=st.one_of(st.none(), st.text(st.characters(codec="utf-8", categories=["L", "N", "P"], include_characters=" "), min_size=1, max_size=8)))
def test_partition_and_membership_match_oracle(table, fractions, sample, salt):
    """Each id at most once; exactly once when its key is sampled, in the split the README's rule gives."""
    spec = SplitSpec(key=["k"], fractions=fractions, sample=sample, salt=salt)
    plan = spec.plan
    got = run_split(table, spec)
    expected = {}
    for i in range(ROWS):
        key = oracle.key_string([f"user-{i // 2}"], salt)
        name = oracle.split_of_key(key, list(plan.names), [Fraction(v) for v in fractions.values()],
                                   plan.buckets, Fraction(sample or 1))
        if name is not None:
            expected[i] = name
    assert got == expected


@SETTINGS
@given(fractions=fraction_specs(), rate=RATES, salt=st.one_of(st.none(), st.just("x")))
def test_a_sampled_key_has_exactly_its_unsampled_split(table, fractions, rate, salt):
    full = run_split(table, SplitSpec(key=["k"], fractions=fractions, salt=salt))
    sampled = run_split(table, SplitSpec(key=["k"], fractions=fractions, salt=salt, sample=rate))
    assert len(full) == ROWS
    assert sampled == {i: full[i] for i in sampled}


@SETTINGS
@given(rates=st.tuples(RATES, RATES), fractions=fraction_specs(), salt=st.one_of(st.none(), st.just("x")),
       buckets=st.one_of(st.none(), st.just(700)))
def test_nesting_a_larger_rate_only_adds_keys_with_the_same_split(table, rates, fractions, salt, buckets):
    low, high = sorted(rates)
    if buckets is not None and any((Fraction(v) * buckets).denominator != 1 for v in fractions.values()):
        buckets = None
    def sample(rate):
        return run_split(table, SplitSpec(key=["k"], fractions=fractions, sample=rate, buckets=buckets, salt=salt))
    small, large = sample(low), sample(high)
    assert small.items() <= large.items()


@SETTINGS
@given(fractions=fraction_specs(), salt=st.one_of(st.none(), st.just("x")))
def test_unsampled_split_is_the_textbook_rule(table, fractions, salt):
    """bucket = ABS(MOD(h, N)) and consecutive bucket ranges from 0, in the listed order."""
    spec = SplitSpec(key=["k"], fractions=fractions, salt=salt)
    plan = spec.plan
    got = run_split(table, spec)
    for i in range(0, ROWS, 7):
        bucket = oracle.bucket(oracle.key_string([f"user-{i // 2}"], salt), plan.buckets)
        first = 0
        for name, upper in zip(plan.names, plan.upper):
            if first <= bucket < upper:
                assert got[i] == name
            first = upper


def test_old_bucket_space_leak_is_gone():
    """At --buckets 700 the old shared bucket space turned every valid and test key of the 1/70
    sample into a train key at 2/70. Now a key's split is the same at both rates."""
    engine = DuckDBEngine()
    engine.connection.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT range AS id, range AS k FROM range(70000)")
    def split_at(rate):
        spec = SplitSpec(key=["k"], sample=rate, buckets=700)
        return dict(engine.run(split_query("ds.t", spec, "duckdb", inline=False))[["id", "split"]]
                    .itertuples(index=False, name=None))
    one, two = split_at("1/70"), split_at("2/70")
    held_out = {i for i, name in one.items() if name != "train"}
    assert len(held_out) > 100
    assert all(two[i] == one[i] for i in held_out)
    assert one.items() <= two.items()


@given(h=st.integers(-(2**63), 2**63 - 1), n=st.integers(1, 10**12))
@settings(max_examples=300, deadline=None)
def test_duckdb_div_and_mod_truncate_toward_zero_like_bigquery(h, n):
    """The sample slot reads DIV(h, N): DuckDB's // must truncate toward zero on negative BIGINTs."""
    con = _DUCK.connection
    quotient, remainder = con.execute("SELECT CAST($h AS BIGINT) // CAST($n AS BIGINT), MOD(CAST($h AS BIGINT), CAST($n AS BIGINT))",
                                      {"h": h, "n": n}).fetchone()
    assert quotient == oracle.truncated_div(h, n)
    assert remainder == oracle.truncated_mod(h, n)


_DUCK = DuckDBEngine()


def test_sample_slot_uses_the_int_divide_macro():
    """The slot is written with sql.int_divide: DIV on BigQuery, // on DuckDB (tested above)."""
    spec = SplitSpec(key=["k"], sample="1/70")
    assert "ABS(MOD(DIV(_bqml_hash, 10), 1000000))" in split_query("ds.t", spec, "bigquery").sql
    assert "ABS(MOD((_bqml_hash // 10), 1000000))" in split_query("ds.t", spec, "duckdb").sql


@SETTINGS
@given(fractions=fraction_specs(), sample=st.one_of(st.none(), RATES))
def test_determinism_same_rows_on_reruns_and_new_connections(table, fractions, sample):
    spec = SplitSpec(key=["k"], fractions=fractions, sample=sample)
    query = split_query("ds.t", spec, "duckdb", inline=False)
    first = table.run(query).sort_values("id")[["id", "split"]].values.tolist()
    other = DuckDBEngine()
    other.connection.execute(f"CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT * FROM (SELECT range AS id, 'user-' || (range // 2) AS k FROM range({ROWS})) ORDER BY random()")
    second = other.run(query).sort_values("id")[["id", "split"]].values.tolist()
    assert first == second


def test_proportions_within_binomial_bounds():
    """20,000 distinct keys: every split's share within 5 standard deviations of its fraction."""
    engine = DuckDBEngine()
    engine.connection.execute("CREATE SCHEMA ds; CREATE TABLE ds.big AS SELECT range AS id FROM range(20000)")
    for fractions, sample in [("train=0.8,valid=0.1,test=0.1", None), ("a=0.5,b=0.3,c=0.2", "1/4"),
                              ("train=0.7,test=0.3", "1/70"), ("train=0.8,valid=0.1,test=0.1", "1/3")]:
        spec = SplitSpec(key=["id"], fractions=fractions, sample=sample)
        counts = engine.run(split_query("ds.big", spec, "duckdb", inline=False))["split"].value_counts()
        rate = float(spec.plan.realised_rate)
        for name, fraction in zip(spec.plan.names, spec.plan.fractions):
            p = rate * float(fraction)
            sd = math.sqrt(20000 * p * (1 - p))
            assert abs(counts.get(name, 0) - 20000 * p) <= 5 * sd, (fractions, sample, name)


def test_sample_does_not_correlate_with_the_split():
    """Within a 1/10 sample, each split keeps its fraction (the MOD(h, 70) = 0 then MOD(h, 10) pitfall
    would put the whole sample in one split)."""
    engine = DuckDBEngine()
    engine.connection.execute("CREATE SCHEMA ds; CREATE TABLE ds.big AS SELECT range AS id FROM range(50000)")
    for sample in ("1/10", "1/70"):
        spec = SplitSpec(key=["id"], sample=sample)
        counts = engine.run(split_query("ds.big", spec, "duckdb", inline=False))["split"].value_counts()
        kept = counts.sum()
        for name, fraction in zip(spec.plan.names, spec.plan.fractions):
            p = float(fraction)
            assert abs(counts.get(name, 0) - kept * p) <= 5 * math.sqrt(kept * p * (1 - p)), (sample, name)


@given(fractions=fraction_specs(), rate=st.fractions(min_value=Fraction(1, 10**6), max_value=1, max_denominator=10**7))
@settings(max_examples=200, deadline=None)
def test_bucket_plan_depends_on_the_fractions_only(fractions, rate):
    plan = plan_buckets(fractions, rate)
    assert plan.buckets == plan_buckets(fractions).buckets
    assert plan.upper == tuple(sorted(plan.upper)) and len(set(plan.upper)) == len(plan.upper)
    assert plan.upper[-1] == plan.buckets
    cumulative = Fraction(0)
    for f, hi in zip(plan.fractions, plan.upper):
        cumulative += f
        assert Fraction(hi, plan.buckets) == cumulative
    # the smallest such count: no proper divisor works
    for divisor in range(2, 8):
        if plan.buckets % divisor == 0:
            smaller = plan.buckets // divisor
            assert any((c * smaller).denominator != 1 for c in
                       [sum(plan.fractions[: i + 1], Fraction(0)) for i in range(len(plan.fractions))])
    # the sample keeps ceil(rate * 1e6) of 1e6 slots: at least the asked rate, less than one slot more
    # (a rate within 1e-9 of a fraction with a denominator up to 10,000 snaps to it first)
    assert abs(plan.sample - rate) <= Fraction(1, 10**9)
    assert plan.sample <= plan.realised_rate < plan.sample + Fraction(1, 10**6)


@pytest.mark.parametrize("buckets", [2, 10, 700, 10**6])
def test_sample_slots_and_stratified_tie_breaks_are_uniform_up_to_the_bucket_cap(buckets):
    """Exact counts over every INT64 h: each quotient q = |DIV(h, D)| below the top stands for D
    values of h, so ABS(MOD(q, K)) is uniform up to how often K divides the largest q. The sample
    slot (D = N, K = 1e6) and the stratified tie-break (D = N * 1e6, K = FINE) stay within 0.2%."""
    from bqml_tools.core.plan import SAMPLE_SLOTS
    from bqml_tools.splitting import FINE

    for divisor, modulus in [(buckets, SAMPLE_SLOTS), (buckets * SAMPLE_SLOTS, FINE)]:
        top = (2**63) // divisor  # the largest |q|
        most, least = top // modulus + 1, (top - modulus + 1) // modulus + 1
        assert (most - least) / least < 0.002, (divisor, modulus)
