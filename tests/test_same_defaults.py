"""One default per metric on every engine (issue 19): the same numbers locally and in the warehouse.

evaluate's AUC and average precision are exact on both engines by default, from two plans
(_binary.sql): DuckDB's sorted window, BigQuery's logit buckets (windows per bucket and over the
buckets). Curves and threshold search default to logit bins on both. Checked against scikit-learn,
and the buckets plan is also run on DuckDB (context ``exact_plan``) under hypothesis.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from bqml_tools.engines import DuckDBEngine
from bqml_tools.evaluation import (EvalSpec, Goal, auc_mode, curve, curve_query, curves, decisions, evaluate,
                                   evaluate_query, metrics, threshold, threshold_query)
from conftest import emulator_engine
from tables import load

REL = 1e-9


def frame(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.2 * y)))
    score[:40] = 0.0  # exact 0 and 1 get buckets of their own
    score[40:70] = 1.0
    score[70:400] = np.round(score[70:400], 2)  # ties
    return pd.DataFrame({"g": rng.integers(0, 3, n), "label": y, "score": score, "w": rng.random(n) * 2})


def test_defaults_do_not_depend_on_the_engine():
    spec = EvalSpec(task="binary", label="label", score="score")
    for what, mode in (("evaluate", "exact"), ("curve", "binned"), ("threshold", "binned")):
        assert auc_mode(spec, what) == mode
    assert auc_mode(replace(spec, ci=0.9, key="g"), "evaluate") == "binned"
    assert auc_mode(replace(spec, auc="binned"), "evaluate") == "binned"
    for dialect in ("duckdb", "bigquery"):
        table = "my-project.ml.t" if dialect == "bigquery" else "t"
        assert "-- AUC: exact (ties count half)" in evaluate_query(table, spec, dialect).sql
        assert "binned on the logit scale" in curve_query(table, spec, "roc", dialect).sql
        assert "the lowest score of each logit bin" in threshold_query(table, spec, Goal("f1"), dialect).sql


def _sorted(points: pd.DataFrame) -> pd.DataFrame:
    return points.sort_values(list(points.columns[:2])).reset_index(drop=True)


def warehouse_engine(request, name: str):
    if name == "emulator":
        return emulator_engine(request.getfixturevalue("bigquery_emulator").endpoint)
    import googlesql

    return googlesql.GoogleSQLEngine(request.getfixturevalue("googlesql_reference"))


@pytest.mark.parametrize("warehouse", [pytest.param("emulator", marks=pytest.mark.emulator),
                                       pytest.param("googlesql", marks=pytest.mark.googlesql)])
@pytest.mark.parametrize("weight", [None, "w"])
def test_default_metrics_curves_and_thresholds_agree_on_both_engines(request, warehouse, weight):
    """The BigQuery dialect on the emulator and on GoogleSQL's reference implementation."""
    data = frame(seed=19, n=3000 if warehouse == "emulator" else 300)  # the reference holds ~300 rows (tables.GOOGLESQL_ROWS)
    duck = DuckDBEngine()
    bq = warehouse_engine(request, warehouse)
    tables = {e: load(e, f"ds.same_{weight or 'plain'}", data) for e in (duck, bq)}
    spec = EvalSpec(task="binary", label="label", score="score", by=["g"], weight=weight)
    metrics = {e: evaluate(e, t, spec).set_index("g").sort_index() for e, t in tables.items()}
    for g, part in data.groupby("g"):
        sw = part["w"] if weight else None
        auc = skm.roc_auc_score(part["label"], part["score"], sample_weight=sw)
        ap = skm.average_precision_score(part["label"], part["score"], sample_weight=sw)
        for engine_metrics in metrics.values():
            assert engine_metrics.loc[g, "roc_auc"] == pytest.approx(auc, rel=REL)
            assert engine_metrics.loc[g, "average_precision"] == pytest.approx(ap, rel=REL)
            assert engine_metrics.loc[g, "roc_auc_error_bound"] == 0.0
    pd.testing.assert_frame_equal(metrics[duck], metrics[bq], check_dtype=False, rtol=1e-12)
    for kind in ("roc", "pr"):
        points = [_sorted(curve(e, t, spec, kind)) for e, t in tables.items()]
        assert len(points[0]) > 20
        pd.testing.assert_frame_equal(points[0], points[1], check_dtype=False, rtol=1e-12, obj=kind)
    for goal in (Goal("f1"), Goal("recall", target=0.8), Goal("cost", fp_cost=1.0, fn_cost=5.0)):
        found = [threshold(e, t, spec, goal).set_index("g").sort_index() for e, t in tables.items()]
        pd.testing.assert_frame_equal(found[0], found[1], check_dtype=False, rtol=1e-12, obj=str(goal))


@pytest.fixture
def bucket_plan(monkeypatch):
    """Every statement rendered with BigQuery's exact plan (the logit buckets), run on DuckDB."""
    def with_buckets(render):
        return lambda *args, **context: render(*args, **{**context, "exact_plan": "buckets"})
    for module in (metrics, curves, decisions):
        monkeypatch.setattr(module, "render", with_buckets(module.render))


def test_bucket_plan_is_rendered_only_for_bigquery():
    spec = EvalSpec(task="binary", label="label", score="score")
    assert "ARRAY_AGG(STRUCT(bin AS bin" in evaluate_query("my-project.ml.t", spec, "bigquery").sql
    assert "ARRAY_AGG" not in evaluate_query("t", spec, "duckdb").sql


scores = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 1e-300, 1 - 2**-53]),
                   st.floats(0, 1), st.integers(0, 20).map(lambda k: k / 20))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 1), scores, st.floats(0.01, 3), st.integers(0, 1)),
                     min_size=2, max_size=60),
       weighted=st.booleans())
def test_bucket_plan_matches_sklearn(bucket_plan, rows, weighted):
    data = pd.DataFrame(rows, columns=["label", "score", "w", "g"])
    spec = EvalSpec(task="binary", label="label", score="score", by=["g"], auc="exact",
                    weight="w" if weighted else None)
    engine = DuckDBEngine()
    got = evaluate(engine, data, spec).set_index("g")
    points = curve(engine, data, spec, "roc")
    for g, part in data.groupby("g"):
        sw = part["w"] if weighted else None
        if part["label"].nunique() < 2:
            continue
        assert got.loc[g, "roc_auc"] == pytest.approx(
            skm.roc_auc_score(part["label"], part["score"], sample_weight=sw), rel=REL, abs=1e-12)
        assert got.loc[g, "average_precision"] == pytest.approx(
            skm.average_precision_score(part["label"], part["score"], sample_weight=sw), rel=REL, abs=1e-12)
        fpr, tpr, _ = skm.roc_curve(part["label"], part["score"], sample_weight=sw, drop_intermediate=False)
        mine = points.loc[points["g"] == g].sort_values(["fpr", "tpr"])
        want = sorted(zip(fpr[1:], tpr[1:]))  # scikit-learn's first point is (0, 0) above every score
        assert np.allclose(mine[["fpr", "tpr"]].to_numpy(), np.array(want), rtol=1e-9, atol=1e-12)


def test_bucket_plan_threshold_matches_a_search_over_every_score(bucket_plan):
    data = frame(seed=5, n=1500)
    spec = EvalSpec(task="binary", label="label", score="score", by=["g"], auc="exact")
    engine = DuckDBEngine()
    best_f1 = threshold(engine, data, spec, Goal("f1")).set_index("g")
    best_cost = threshold(engine, data, spec, Goal("cost", fp_cost=1.0, fn_cost=4.0)).set_index("g")
    for g, part in data.groupby("g"):
        y, s = part["label"].to_numpy(), part["score"].to_numpy()
        candidates = np.unique(s)
        f1 = [skm.f1_score(y, s >= t) for t in candidates]
        cost = [np.sum((s >= t) & (y == 0)) + 4.0 * np.sum((s < t) & (y == 1)) for t in candidates]
        assert best_f1.loc[g, "f1"] == pytest.approx(max(f1), rel=1e-12)
        assert best_f1.loc[g, "threshold"] == candidates[len(f1) - 1 - int(np.argmax(f1[::-1]))]  # ties: higher
        assert best_cost.loc[g, "cost"] == pytest.approx(min(cost), rel=1e-12)
        assert best_f1.loc[g, "bound"] == 0
