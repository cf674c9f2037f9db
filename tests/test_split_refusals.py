"""Hostile input to the splitting side: names that collide with the templates' own vocabulary,
reserved names, numbers that would hang an exact parser, and Python API misuse. Each case
failed (or hung) before issue 7."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pandas as pd
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from bqml_tools import SplitSpec, assign, split, split_query, split_report
from bqml_tools.engines import DuckDBEngine
from bqml_tools.errors import BqmlToolsError, InvalidIdentifier, InvalidSplitSpec
from bqml_tools.core.identifiers import RESERVED_PREFIX
from bqml_tools.splitting import assignments_query
import oracle
from conftest import known_gap
from render_cases import cases
from tables import load

# --- names: every identifier the split templates write, used as the user's column names ---------


def template_vocabulary() -> list[str]:
    """Identifiers (CTEs, aliases, columns) and string values in every rendered split query; the
    reserved working names also give their unprefixed words (_bqml_hash -> hash)."""
    words: set[str] = set()
    for name, query in cases().items():
        if not name.startswith(("split_", "profile_", "assignments_", "materialize_")):
            continue
        tree = sqlglot.parse_one(query.sql, read="bigquery" if query.dialect == "bigquery" else "duckdb")
        words |= {i.name for i in tree.find_all(exp.Identifier)}
        words |= {s.this for s in tree.find_all(exp.Literal) if s.is_string}
    words |= {w[len(RESERVED_PREFIX):] for w in words if w.lower().startswith(RESERVED_PREFIX)}
    plain = {w for w in words if w.isidentifier() and w.isascii() and not w.lower().startswith(RESERVED_PREFIX)}
    return sorted(plain - {"my", "ml", "events", "project"})


VOCABULARY = template_vocabulary()


def test_the_vocabulary_holds_the_templates_working_words():
    for word in ["split", "bucket", "part", "n_rows", "stratum", "fingerprint", "key_string", "keyed",
                 "hashed", "bucketed", "strata", "placed", "assigned", "sampled", "train", "hash", "slot",
                 "key", "label", "rows", "twice_midpoint", "position", "r", "s"]:
        assert word in VOCABULARY, word


@st.composite
def column_names(draw, count: int) -> list[str]:
    """``count`` names from the vocabulary, distinct case-insensitively, in random letter case."""
    names = draw(st.lists(st.sampled_from(VOCABULARY), min_size=count, max_size=count,
                          unique_by=lambda n: n.lower()))
    cased = []
    for name in names:
        style = draw(st.sampled_from(["lower", "upper", "title"]))
        cased.append(getattr(name, style)() if name.isascii() else name)
    return cased


ROWS = 600


def vocab_table(engine: DuckDBEngine, ident: str, key: str, label: str) -> pd.DataFrame:
    frame = pd.DataFrame({ident: range(ROWS), key: [f"u{i // 3}" for i in range(ROWS)],
                          label: [("yes" if (i * 7) % 10 < 3 else "no") for i in range(ROWS)]})
    load(engine, "ds.t", frame)
    return frame


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMES = ["train", "valid", "test"]
FRACTIONS = [Fraction(8, 10), Fraction(1, 10), Fraction(1, 10)]


@pytest.mark.duckdb
@SETTINGS
@given(names=column_names(4), sample=st.sampled_from([None, "1/3"]))
def test_every_split_template_works_with_the_templates_own_words_as_column_names(names, sample):
    ident, key, label, split_column = names
    engine = DuckDBEngine()
    frame = vocab_table(engine, ident, key, label)
    spec = SplitSpec(key=[key], sample=sample, split_column=split_column)
    rate = Fraction(sample or 1)
    expected = {i: oracle.split_of_key(f"u{i // 3}", NAMES, FRACTIONS, spec.plan.buckets, rate) for i in range(ROWS)}
    expected = {i: s for i, s in expected.items() if s is not None}
    # split
    got = split(engine, "ds.t", spec)
    assert list(got.columns) == [ident, key, label, split_column]
    assert dict(zip(got[ident], got[split_column])) == expected
    # only_split: that split's rows, every source column, no split column
    for name in NAMES:
        only = split(engine, "ds.t", spec, only_split=name)
        assert list(only.columns) == [ident, key, label]
        assert sorted(only[ident]) == sorted(i for i, s in expected.items() if s == name)
    # profile (the report)
    report = split_report(engine, "ds.t", spec).table.set_index("split")
    for name in NAMES:
        assert report.loc[name, "rows"] == sum(1 for s in expected.values() if s == name)
    # assignments
    audit = engine.run(assignments_query("ds.t", spec, "duckdb", engine=engine, inline=False))
    assert sorted(audit["key_string"]) == sorted(frame[key])
    for row in audit.itertuples(index=False):
        assert row.split == oracle.split_of_key(row.key_string, NAMES, FRACTIONS, spec.plan.buckets)
    # stratified
    stratified = SplitSpec(key=[key], stratify=label, sample=sample, split_column=split_column)
    got = split(engine, "ds.t", stratified)
    assert list(got.columns) == [ident, key, label, split_column]
    assert dict(zip(got[ident], got[split_column])) == oracle.stratified_oracle(frame, key, label, stratified, ident)
    strata = split_report(engine, "ds.t", stratified).strata
    assert set(strata["stratum"]) == {"yes", "no"}


@pytest.mark.parametrize("column", ["_bqml_bucket", "_bqml_key", "_BQML_hash", "_Bqml_stratum", "_bqml_"])
def test_a_source_column_with_the_reserved_prefix_is_refused(engine, column):
    load(engine, "ds.r", pd.DataFrame({"k": range(20), column: range(20), "label": [i % 2 for i in range(20)]}))
    for spec in (SplitSpec(key=["k"]), SplitSpec(key=["k"], stratify="label")):
        with pytest.raises(InvalidIdentifier, match=f"'{column}'.*reserved") as error:
            split(engine, "ds.r", spec)
        assert "\n" not in str(error.value)


@pytest.mark.parametrize("role", ["key", "stratify", "split_column"])
def test_reserved_names_are_refused_in_the_options(role):
    options = {"key": ["k"], role: "_bqml_bucket"} if role != "key" else {"key": ["_bqml_bucket"]}
    with pytest.raises(InvalidIdentifier, match="reserved"):
        SplitSpec(**options)


def test_split_column_colliding_case_insensitively_is_an_error_naming_both(engine):
    load(engine, "ds.c", pd.DataFrame({"k": range(20), "Split": ["x"] * 20}))
    with pytest.raises(InvalidSplitSpec, match=r"'Split'.*'split'"):
        split(engine, "ds.c", SplitSpec(key=["k"]))
    with pytest.raises(InvalidSplitSpec, match=r"'Split'.*'split'"):
        split(engine, "ds.c", SplitSpec(key=["k"], stratify="k"))
    # one split's rows carry no split column, so the name is free
    assert len(split(engine, "ds.c", SplitSpec(key=["k"]), only_split="train")) > 0


def test_a_source_column_like_the_split_column_passes_through_under_another_name(engine, request):
    known_gap(request, "emulator", "bqemulator 1.4.0 returns SELECT * column names in lower case "
                                   "('Split' comes back as 'split'); BigQuery keeps the case")
    load(engine, "ds.c", pd.DataFrame({"k": range(20), "Split": ["x"] * 20}))
    got = split(engine, "ds.c", SplitSpec(key=["k"], split_column="fold"))
    assert list(got.columns) == ["k", "Split", "fold"]
    assert set(got["Split"]) == {"x"} and set(got["fold"]) <= set(NAMES)


def test_split_column_equal_to_the_key_or_label_is_refused():
    with pytest.raises(InvalidSplitSpec, match="split column 'K'"):
        SplitSpec(key=["k"], split_column="K")
    with pytest.raises(InvalidSplitSpec, match="split column 'y'"):
        SplitSpec(key=["k"], stratify="y", split_column="y")


# --- numbers that would hang an exact parser ----------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a child process, so a hang fails the test (TimeoutExpired) instead of stalling it."""
    code = "from bqml_tools.cli import main; import sys; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("option,value,message", [
    ("--fractions", "train=1e999999999,valid=1", "more precision than bqml_tools accepts"),
    ("--sample", "1e-999999999", "more precision than bqml_tools accepts"),
    ("--sample", "1/" + "7" * 40, "more precision than bqml_tools accepts"),
    ("--sample", "1e9_999_999", "is not a number"),
    ("--sample", "", "sample rate is empty"),
    ("--sample", "1e-7", "smallest rate bqml_tools samples exactly, 1/1,000,000"),
    ("--buckets", "2000000", "from 1 to 1,000,000"),
])
def test_hostile_numbers_are_one_line_errors_not_hangs(option, value, message):
    done = _cli("split", "my-project.ml.events", "--key", "user_id", option, value, "--dialect", "bigquery")
    assert done.returncode == 2, done.stdout[-500:]
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize("fractions", ["a=1/1000001,b=1000000/1000001", "a=0.0000001,b=0.9999999"])
def test_fractions_needing_more_than_a_million_buckets_are_refused(fractions):
    with pytest.raises(InvalidSplitSpec, match="at most 1,000,000"):
        SplitSpec(key=["k"], fractions=fractions)


def test_empty_sample_is_refused_not_read_as_no_sample():
    with pytest.raises(InvalidSplitSpec, match="sample rate is empty"):
        SplitSpec(key=["k"], sample="")
    assert SplitSpec(key=["k"], sample=None).plan.sampled is False


def test_the_smallest_sample_rate_is_accepted_and_exact():
    plan = SplitSpec(key=["k"], sample="1/1000000").plan
    assert plan.threshold == 1 and plan.realised_rate == Fraction(1, 10**6)


# --- Python API misuse ----------------------------------------------------------------------------


def test_assign_treats_a_string_as_one_key():
    spec = SplitSpec(key=["user_id"], sample="1/2")
    one = assign("42", spec)
    assert one["key"].tolist() == ["42"]
    assert one.to_dict("records") == assign(["42"], spec).to_dict("records")
    assert assign(42, spec).to_dict("records") == one.to_dict("records")


def test_assign_reports_the_split_at_every_rate_and_the_sample_slot():
    keys = [str(i) for i in range(300)]
    full = assign(keys, SplitSpec(key=["k"]))
    for rate in ("1/70", "1/2"):
        sampled = assign(keys, SplitSpec(key=["k"], sample=rate))
        assert sampled["split"].tolist() == full["split"].tolist()
        for key, flag in zip(keys, sampled["sampled"]):
            assert flag == oracle.sampled(key, 10, Fraction(rate))


@pytest.mark.parametrize("values", [None, 4.2, b"42", {"a": 1}, [4.2], [None], [True], [["1", 2.0]]])
def test_assign_misuse_raises_the_toolkits_error(values):
    with pytest.raises(BqmlToolsError):
        assign(values, SplitSpec(key=["k"]))


def test_assign_refuses_text_that_is_not_utf8():
    with pytest.raises(InvalidSplitSpec, match="not valid UTF-8"):
        assign(["caf\udce9"], SplitSpec(key=["k"]))


@pytest.mark.parametrize("options", [
    {"key": None}, {"key": 5}, {"key": [["a"]]}, {"key": ["k"], "key_types": None},
    {"key": ["k"], "buckets": "10"}, {"key": ["k"], "buckets": 10.0}, {"key": ["k"], "sample": [1]},
    {"key": ["k"], "fractions": 123}, {"key": ["k"], "null_keys": None}, {"key": ["k"], "salt": 5},
    {"key": ["k"], "split_column": None}, {"key": ["k"], "stratify": 3}, {"key": ["k", "K"]},
])
def test_spec_misuse_raises_the_toolkits_error(options):
    with pytest.raises(BqmlToolsError):
        SplitSpec(**options)


def test_functions_given_the_wrong_objects_raise_the_toolkits_error(duck):
    spec = SplitSpec(key=["k"])
    with pytest.raises(InvalidSplitSpec, match="spec must be a SplitSpec"):
        split_query("ds.t", {"key": "k"}, "bigquery")
    with pytest.raises(InvalidSplitSpec, match="spec must be a SplitSpec"):
        assign(["1"], "k")
    with pytest.raises(InvalidSplitSpec, match="engine must be an engine"):
        split("duckdb", "ds.t", spec)
    with pytest.raises(InvalidSplitSpec, match="engine must be an engine"):
        split_report(None, "ds.t", spec)
    with pytest.raises(BqmlToolsError):
        split_query(None, spec, "bigquery")
