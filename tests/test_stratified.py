"""Stratified splits: keys are stratified by their majority label, each label follows the
fractions, a key's rows stay in one split; recomputed in Python from the README's rule."""
from __future__ import annotations

import pandas as pd
import pytest

from bqml_tools import SplitSpec, split, split_report
from bqml_tools.errors import NullKeys
import oracle
from oracle import key_strata, stratified_oracle
from tables import load, sized


def labelled(n: int = 3000) -> pd.DataFrame:
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    # a rare label (0.5%), a minority (10%) and a majority, with ~2 rows per user
    labels = ["rare" if i % 200 == 0 else "minority" if i % 10 == 1 else "majority" for i in range(n)]
    return pd.DataFrame({"id": range(n), "user_id": [i // 2 for i in range(n)], "label": labels})


@pytest.mark.parametrize("sample", [None, "1/2"])
def test_stratified_split_matches_oracle_row_for_row(engine, sample):
    frame = labelled()
    table = load(engine, "ds.labelled", frame)
    spec = SplitSpec(key=["id"], stratify="label", sample=sample)
    got = split(engine, table, spec)
    assert dict(zip(got["id"], got["split"])) == stratified_oracle(frame, "id", "label", spec)


def test_every_label_follows_the_fractions_even_when_rare(engine):
    frame = labelled(4000)
    table = load(engine, "ds.labelled", frame)
    got = split(engine, table, SplitSpec(key=["id"], stratify="label"))
    shares = pd.crosstab(got["label"], got["split"], normalize="index")
    counts = got["label"].value_counts()
    for label, row in shares.iterrows():
        # with distinct keys each split is within one row of its target, per label
        for name, target in [("train", 0.8), ("valid", 0.1), ("test", 0.1)]:
            assert abs(row.get(name, 0) * counts[label] - target * counts[label]) <= 1, (label, name)


def events_like_the_demo(users: int = 1500, seed: int = 7) -> pd.DataFrame:
    """~10 events per user, a 0/1 label on ~10% of rows: most users carry both labels."""
    import random

    rng = random.Random(seed)
    rows = [(u, int(rng.random() < 0.1)) for u in range(users) for _ in range(rng.randint(5, 15))]
    return pd.DataFrame({"id": range(len(rows)), "user_id": [u for u, _ in rows], "label": [y for _, y in rows]})


@pytest.mark.parametrize("sample", [None, "1/3"])
def test_grouped_stratified_split_keeps_every_key_in_one_split(engine, sample):
    frame = events_like_the_demo()
    assert (frame.groupby("user_id")["label"].nunique() > 1).sum() > 500  # mixed-label users
    table = load(engine, "ds.demo", frame)
    spec = SplitSpec(key=["user_id"], stratify="label", sample=sample)
    got = split(engine, table, spec)
    assert got.groupby("user_id")["split"].nunique().max() == 1
    assert dict(zip(got["id"], got["split"])) == stratified_oracle(frame, "user_id", "label", spec)
    if sample is None:
        assert len(got) == len(frame)
    shares = pd.crosstab(got["label"], got["split"], normalize="index")
    for label, row in shares.iterrows():
        for name, target in [("train", 0.8), ("valid", 0.1), ("test", 0.1)]:
            assert abs(row.get(name, 0) - target) < 0.03, (label, name, row.get(name, 0))


def test_a_keys_stratum_is_its_majority_label_ties_to_the_smallest(duck):
    """Key 'a' has labels x,x,y (stratum x); key 'b' has z,y (a tie: stratum y)."""
    frame = pd.DataFrame({"id": range(5), "k": ["a", "a", "a", "b", "b"], "label": ["x", "x", "y", "z", "y"]})
    assert key_strata(frame, "k", "label") == {"a": ("x", 3), "b": ("y", 2)}
    table = load(duck, "ds.tie", frame)
    spec = SplitSpec(key=["k"], stratify="label", fractions="first=0.5,second=0.5")
    report = split_report(duck, table, spec)
    assert report.table["distinct_keys"].sum() == 2  # each key counted once, under its stratum
    got = split(duck, table, spec)
    assert dict(zip(got["id"], got["split"])) == stratified_oracle(frame, "k", "label", spec)
    assert got.groupby("k")["split"].nunique().max() == 1


def test_stratified_report_has_per_label_fractions_and_deviation(engine):
    frame = events_like_the_demo(800)
    table = load(engine, "ds.demo", frame)
    spec = SplitSpec(key=["user_id"], stratify="label")
    report = split_report(engine, table, spec)
    got = split(engine, table, spec)
    t = report.table.set_index("split")
    for name in spec.plan.names:
        assert t.loc[name, "rows"] == (got["split"] == name).sum()
        assert t.loc[name, "distinct_keys"] == got.loc[got["split"] == name, "user_id"].nunique()
    strata = report.strata.set_index("stratum")
    for label, group in got.groupby("label"):
        row = strata.loc[str(label)]
        assert row["rows"] == len(group)
        deviations = []
        for name, asked in zip(spec.plan.names, spec.plan.fractions):
            realised = (group["split"] == name).mean()
            assert row[name] == pytest.approx(realised)
            deviations.append(abs(realised - float(asked)))
        assert row["max_deviation"] == pytest.approx(max(deviations))


def test_stratified_report_counts_rare_labels(engine):
    frame = labelled()
    table = load(engine, "ds.labelled", frame)
    report = split_report(engine, table, SplitSpec(key=["id"], stratify="label"))
    strata = report.strata.set_index("stratum")
    assert strata.loc["rare", "rows"] == (frame["label"] == "rare").sum() == 15
    assert strata.loc["rare", "train"] == pytest.approx(12 / 15)
    assert strata.loc["rare", "valid"] + strata.loc["rare", "test"] == pytest.approx(3 / 15)


def test_a_label_held_by_few_keys_warns(engine):
    # label 'b' sits on 2 users of 10 rows each: its rows cannot follow 80/10/10
    frame = pd.DataFrame({"id": range(220), "user_id": [i // 10 if i < 20 else i for i in range(220)],
                          "label": ["b" if i < 20 else "a" for i in range(220)]})
    table = load(engine, "ds.few", frame)
    report = split_report(engine, table, SplitSpec(key=["user_id"], stratify="label"))
    assert any(w.startswith("label b: ") for w in report.warnings), report.warnings


def test_null_labels_refused_with_count(engine):
    table = load(engine, "ds.nl", sql="SELECT range AS id, CASE WHEN range < 4 THEN NULL ELSE range % 2 END AS label FROM range(50)")
    with pytest.raises(NullKeys, match=r"4 row\(s\) have a NULL label in label"):
        split(engine, table, SplitSpec(key=["id"], stratify="label"))


def test_stratified_null_keys_routed(engine):
    table = load(engine, "ds.nk", sql="SELECT range AS id, CASE WHEN range < 5 THEN NULL ELSE range END AS k, range % 2 AS label FROM range(60)")
    got = split(engine, table, SplitSpec(key=["k"], stratify="label", null_keys="split:unkeyed"))
    assert len(got) == 60
    assert sorted(got.loc[got["split"] == "unkeyed", "id"]) == [0, 1, 2, 3, 4]
