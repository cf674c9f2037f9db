"""Stratified splits: each label follows the fractions; recomputed in Python from the README's rule."""
from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from bqml_tools import SplitSpec, split, split_report
from bqml_tools.errors import NullKeys
import oracle
from tables import load

FINE = 10_000


def stratified_oracle(frame: pd.DataFrame, key: str, label: str, spec: SplitSpec) -> dict:
    """Fine position = bucket * FINE + |trunc(h / N)| mod FINE; midpoint of the cumulative share picks the split."""
    plan = spec.plan
    n = plan.buckets
    rows = []
    for row in frame.itertuples(index=False):
        h = oracle.fingerprint(str(getattr(row, key)))
        coarse = abs(oracle.truncated_mod(h, n))
        if coarse >= plan.sample_upper:
            continue
        quotient = -((-h) // n) if h < 0 else h // n
        rows.append((row.id, str(getattr(row, label)), coarse * FINE + abs(oracle.truncated_mod(quotient, FINE))))
    placed = pd.DataFrame(rows, columns=["id", "stratum", "position"])
    counts = placed.groupby(["stratum", "position"]).size().rename("n").reset_index()
    assignment = {}
    for stratum, group in counts.groupby("stratum"):
        group = group.sort_values("position")
        total = group["n"].sum()
        cumulative = 0
        for position, count in zip(group["position"], group["n"]):
            cumulative += count
            midpoint = Fraction(2 * cumulative - count, 2 * total)
            bound = Fraction(0)
            for name, fraction in zip(plan.names, plan.fractions):
                bound += fraction
                if midpoint < bound or name == plan.names[-1]:
                    assignment[(stratum, position)] = name
                    break
    return {r.id: assignment[(r.stratum, r.position)] for r in placed.itertuples(index=False)}


def labelled(n: int = 3000) -> pd.DataFrame:
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


def test_stratified_keeps_key_rows_together_within_a_label(engine):
    frame = labelled()
    table = load(engine, "ds.labelled", frame)
    got = split(engine, table, SplitSpec(key=["user_id"], stratify="label"))
    assert got.groupby(["user_id", "label"])["split"].nunique().max() == 1


def test_stratified_report_has_per_label_rows(engine):
    frame = labelled()
    table = load(engine, "ds.labelled", frame)
    report = split_report(engine, table, SplitSpec(key=["id"], stratify="label"))
    strata = report.strata.set_index("stratum")
    assert strata.loc["rare", "rows"] == (frame["label"] == "rare").sum()
    assert strata.loc["rare", "train"] == 12 and strata.loc["rare", "valid"] + strata.loc["rare", "test"] == 3


def test_null_labels_refused_with_count(engine):
    table = load(engine, "ds.nl", sql="SELECT range AS id, CASE WHEN range < 4 THEN NULL ELSE range % 2 END AS label FROM range(50)")
    with pytest.raises(NullKeys, match=r"4 row\(s\) have a NULL label in label"):
        split(engine, table, SplitSpec(key=["id"], stratify="label"))


def test_stratified_null_keys_routed(engine):
    table = load(engine, "ds.nk", sql="SELECT range AS id, CASE WHEN range < 5 THEN NULL ELSE range END AS k, range % 2 AS label FROM range(60)")
    got = split(engine, table, SplitSpec(key=["k"], stratify="label", null_keys="split:unkeyed"))
    assert len(got) == 60
    assert sorted(got.loc[got["split"] == "unkeyed", "id"]) == [0, 1, 2, 3, 4]
