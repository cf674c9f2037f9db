"""Multiclass one-vs-rest macro roc_auc from ML.PREDICT's probabilities arrays, against scikit-learn's
roc_auc_score(multi_class='ovr', average='macro'), with and without sample_weight, per group, with ties."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from bqml_tools.engines.duckdb import DuckDBEngine
from bqml_tools.evaluation import EvalSpec, evaluate
from tables import load, sized

CLASSES = np.array(["ant", "bee", "cat"])


def frame_of(y: np.ndarray, probs: np.ndarray, classes=CLASSES, **columns) -> pd.DataFrame:
    return pd.DataFrame({
        "y": y, "p": classes[probs.argmax(axis=1)],
        "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)] for row in probs], **columns})


def tied_frame(seed=0, n=600):
    """Probabilities rounded to tenths (many ties within a class), two groups, weights."""
    n = sized(n)
    rng = np.random.default_rng(seed)
    y = rng.choice(CLASSES, n, p=[0.5, 0.3, 0.2])
    probs = rng.dirichlet([1, 1, 1], n)
    probs[np.arange(n), np.searchsorted(CLASSES, y)] += 0.4
    probs = np.round(probs / probs.sum(axis=1, keepdims=True), 1)
    probs[:, -1] = 1 - probs[:, :-1].sum(axis=1)  # sums to 1 again (within the tolerance)
    probs = np.clip(probs, 0, 1)
    probs /= probs.sum(axis=1, keepdims=True)
    return frame_of(y, probs, g=rng.choice(["s1", "s2"], n), w=rng.uniform(0, 3, n)), probs


def want(y, probs, weight=None):
    if probs.shape[1] == 2:  # scikit-learn takes two classes as binary: the mean of each class's AUC is its ovr
        classes = np.unique(y)
        return np.mean([roc_auc_score(np.asarray(y) == c, probs[:, i], sample_weight=weight)
                        for i, c in enumerate(classes)])
    return roc_auc_score(y, probs, multi_class="ovr", average="macro", sample_weight=weight)


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_matches_sklearn_per_group_with_ties(engine, weighted):
    frame, probs = tied_frame()
    assert len(np.unique(probs[:, 0])) < len(probs) / 10  # ties are the rule here
    table = load(engine, "ds.mcauc", frame)
    spec = EvalSpec(task="multiclass", label="y", prediction="p", probs="probs", by=["g"],
                    weight="w" if weighted else None)
    got = evaluate(engine, table, spec)
    assert sorted(got["g"]) == ["s1", "s2"]
    for row in got.itertuples(index=False):
        mask = (frame["g"] == row.g).to_numpy()
        expected = want(frame["y"][mask], probs[mask], frame["w"][mask] if weighted else None)
        assert row.roc_auc == pytest.approx(expected, rel=1e-12)
    whole = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs",
                                             weight="w" if weighted else None)).iloc[0]
    assert whole.roc_auc == pytest.approx(want(frame["y"], probs, frame["w"] if weighted else None), rel=1e-12)


def test_a_class_without_positives_gives_null_with_a_warning(engine):
    """scikit-learn refuses a class of the arrays that no label holds: NULL here, and said. A class only
    ever predicted (not in the labels nor the arrays) is not one of the AUC's classes."""
    rng = np.random.default_rng(3)
    n = sized(200)
    probs = rng.dirichlet([1, 1, 1], n)
    y = rng.choice(CLASSES[:2], n)  # "cat" is in every array, never a label
    frame = frame_of(y, probs)
    table = load(engine, "ds.mcauc_missing", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs"))
    assert pd.isna(got.iloc[0]["roc_auc"])
    assert any("roc_auc is NULL" in w for w in got.attrs["warnings"])
    with pytest.raises(ValueError):
        want(y, probs)
    # two classes in the arrays and labels, a third only predicted: scikit-learn's binary AUC of the first
    two = probs[:, :2] / probs[:, :2].sum(axis=1, keepdims=True)
    frame = frame_of(y, two, classes=CLASSES[:2])
    frame.loc[:4, "p"] = "emu"
    table = load(engine, "ds.mcauc_predicted_only", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs")).iloc[0]
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y == "bee", two[:, 1]), rel=1e-12)


_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.duckdb
@_SETTINGS
@given(st.integers(3, 40), st.integers(2, 5), st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 10]),
       st.booleans())
def test_property_random_probability_matrices(n, k, seed, decimals, weighted):
    """Random probability matrices (rounded, so with ties, or not) and labels holding every class: the
    macro one-vs-rest AUC equals scikit-learn's."""
    rng = np.random.default_rng(seed)
    classes = np.array([f"c{i}" for i in range(k)])
    y = np.concatenate([classes, rng.choice(classes, n)])  # every class has a positive
    probs = rng.dirichlet(np.ones(k), len(y))
    if decimals is not None:
        probs = np.round(probs, decimals)
        probs /= probs.sum(axis=1, keepdims=True)
    weights = rng.uniform(0.1, 2, len(y)) if weighted else None
    engine = DuckDBEngine()
    frame = frame_of(y, probs, classes, w=weights if weighted else np.ones(len(y)))
    engine.connection.register("frame", frame)
    engine.connection.execute("CREATE TABLE mc AS SELECT * FROM frame")
    got = evaluate(engine, "mc", EvalSpec(task="multiclass", label="y", prediction="p", probs="probs",
                                          weight="w" if weighted else None)).iloc[0]
    expected = want(y, probs, weights)
    assert math.isclose(got["roc_auc"], expected, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.duckdb
def test_with_intervals_the_estimate_is_exact_and_the_bounds_null_with_a_warning(duck):
    frame, probs = tied_frame(seed=4)
    frame["user"] = np.arange(len(frame)) % 50
    table = load(duck, "ds.mcauc_ci", frame)
    spec = dict(task="multiclass", label="y", prediction="p", probs="probs")
    result = evaluate(duck, table, EvalSpec(**spec, ci=0.9, key=["user"], partitions=10))
    got = result.iloc[0]
    assert got["roc_auc"] == pytest.approx(want(frame["y"], probs), rel=1e-12)
    assert pd.isna(got["roc_auc_lower"]) and pd.isna(got["roc_auc_upper"])
    assert pd.notna(got["accuracy_lower"])  # the other metrics keep theirs
    assert any(w.startswith("roc_auc has no interval") for w in result.attrs["warnings"])
