"""--weight for every binary statement against scikit-learn's sample_weight (to 1e-9), on DuckDB and the
emulator with one expected result: metrics (exact and binned AUC, per group, with ties and zero and
fractional weights), curves, the threshold sweep, calibration (recomputed in numpy: calibration_curve
has no weights), the threshold search (a weighted brute force), and intervals (a Python jackknife over
the same partitions). Weights of 1 give the unweighted results; invalid weights are refused or counted."""
from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import oracle
from bqml_tools.evaluation.decisions import Goal, threshold, threshold_query
from bqml_tools.engines import DuckDBEngine
from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import CURVES, PARTITION_SALT, EvalSpec, curve, curve_query, evaluate, evaluate_query
from approx import REL, close
from tables import create_table_as, load, sized

NAN, INF = float("nan"), float("inf")


def load_values(engine, name: str, rows: list[tuple]) -> str:
    """A table (label INT64, score FLOAT64, w FLOAT64) with exact values: NaN and infinities stay what they
    are (a DataFrame, or the emulator's JSON loading, would turn NaN into NULL)."""
    def literal(value, sql_type: str) -> str:
        if value is None:
            return f"CAST(NULL AS {sql_type})"
        if isinstance(value, float) and not math.isfinite(value):
            return f"CAST('{'NaN' if math.isnan(value) else 'inf' if value > 0 else '-inf'}' AS {sql_type})"
        return f"CAST({value!r} AS {sql_type})"

    integer, double = ("INT64", "FLOAT64") if engine.dialect == "bigquery" else ("BIGINT", "DOUBLE")
    body = " UNION ALL ".join(f"SELECT {literal(y, integer)} AS label, {literal(s, double)} AS score, "
                              f"{literal(w, double)} AS w" for y, s, w in rows)
    return create_table_as(engine, name, body)


def weighted_frame(seed=0, n=2000, decimals=3, positive_rate=0.3):
    """Scores with ties (rounded), weights with zeros, fractions and a few large ones, three groups."""
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_rate).astype(int)
    s = np.clip(rng.beta(2, 5, n) + 0.3 * y, 0, 1)
    if decimals is not None:
        s = np.round(s, decimals)
    w = rng.gamma(1.0, 1.5, n)
    w[rng.random(n) < 0.1] = 0.0
    w[rng.random(n) < 0.02] *= 40
    return pd.DataFrame({"label": y, "score": s, "w": w, "g": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                         "id": np.arange(n)})


def sk_weighted(y: np.ndarray, s: np.ndarray, w: np.ndarray, t: float = 0.5) -> dict[str, float]:
    """Every binary output with scikit-learn's sample_weight (NULL where bqml_tools' convention says NULL)."""
    pred = (s >= t).astype(int)
    total, positives, negatives = w.sum(), w[y == 1].sum(), w[y == 0].sum()
    if total == 0:  # scikit-learn refuses weights that are all 0; bqml_tools gives NULL metrics
        return {"rows": len(y), "positives": 0.0, "tp": 0.0, "fp": 0.0, "tn": 0.0, "fn": 0.0,
                **{name: NAN for name in ("accuracy", "precision", "recall", "specificity", "f1", "balanced_accuracy",
                                          "log_loss", "brier", "roc_auc", "average_precision", "base_rate",
                                          "baseline_log_loss")}}
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1], sample_weight=w).ravel()
    both = positives > 0 and negatives > 0
    rate = positives / total if total > 0 else NAN
    return {
        "rows": len(y), "positives": positives, "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "accuracy": skm.accuracy_score(y, pred, sample_weight=w) if total > 0 else NAN,
        "precision": skm.precision_score(y, pred, sample_weight=w, zero_division=np.nan),
        "recall": skm.recall_score(y, pred, sample_weight=w, zero_division=np.nan),
        "specificity": tn / (tn + fp) if tn + fp > 0 else NAN,
        "f1": skm.f1_score(y, pred, sample_weight=w, zero_division=np.nan),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred, sample_weight=w) if both else NAN,
        "log_loss": skm.log_loss(y, s, labels=[0, 1], sample_weight=w) if total > 0 else NAN,
        "brier": float(np.average((s - y) ** 2, weights=w)) if total > 0 else NAN,
        "roc_auc": skm.roc_auc_score(y, s, sample_weight=w) if both else NAN,
        "average_precision": skm.average_precision_score(y, s, sample_weight=w) if positives > 0 else NAN,
        "base_rate": rate,
        "baseline_log_loss": skm.log_loss(y, np.full(len(y), rate), labels=[0, 1], sample_weight=w)
        if total > 0 else NAN,
    }


def weighted_at(y: np.ndarray, s: np.ndarray, w: np.ndarray, t: float) -> dict[str, float]:
    """The weighted confusion cells and ratios at threshold t (positive when s >= t)."""
    pred = s >= t
    tp, fp = w[pred & (y == 1)].sum(), w[pred & (y == 0)].sum()
    fn, tn = w[~pred & (y == 1)].sum(), w[~pred & (y == 0)].sum()
    ratio = lambda a, b: a / b if b > 0 else NAN  # noqa: E731
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn, "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "f1": ratio(2 * tp, 2 * tp + fp + fn), "specificity": ratio(tn, tn + fp),
            "accuracy": ratio(tp + tn, tp + fp + tn + fn)}


# ---------------------------------------------------------------- metrics

@pytest.mark.parametrize("auc", ["exact", "binned"])
def test_weighted_metrics_match_sklearn_per_group(engine, auc):
    """Scores to 3 decimals tie, and lie 40 logit bins apart at least: binned AUC is exact here too."""
    frame = weighted_frame()
    table = load(engine, "ds.wbin", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"], auc=auc))
    assert list(got["g"]) == ["a", "b", "c"]
    for row in got.to_dict("records"):
        part = frame[frame["g"] == row["g"]]
        want = sk_weighted(part["label"].to_numpy(), part["score"].to_numpy(), part["w"].to_numpy())
        for name, value in want.items():
            assert close(row[name], value), (name, row[name], value)
        assert row["roc_auc_error_bound"] == 0.0 and row["invalid_weight_rows"] == 0


@pytest.mark.parametrize("threshold_", [0.0, 0.3, 0.6, 1.0])
def test_weighted_counts_at_thresholds_with_continuous_scores(engine, threshold_):
    frame = weighted_frame(seed=1, decimals=None)
    table = load(engine, "ds.wcont", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", auc="exact",
                                           threshold=threshold_)).iloc[0]
    want = sk_weighted(frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy(), threshold_)
    for name, value in want.items():
        assert close(got[name], value), (name, got[name], value)


def test_zero_weight_group_gives_null_metrics_and_keeps_its_rows(engine):
    frame = weighted_frame(seed=2, n=600)
    frame.loc[frame["g"] == "c", "w"] = 0.0
    table = load(engine, "ds.wzero", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"]))
    zero = got.set_index("g").loc["c"]
    assert zero["rows"] == (frame["g"] == "c").sum() and zero["positives"] == 0 and zero["tp"] == 0
    for name in ("accuracy", "precision", "recall", "specificity", "f1", "balanced_accuracy", "log_loss", "brier",
                 "roc_auc", "average_precision", "base_rate", "baseline_log_loss"):
        assert pd.isna(zero[name]), name
    # scikit-learn's zero_division convention: 0 where a ratio has no weight
    sk = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"],
                                          zero_division="sklearn")).set_index("g").loc["c"]
    assert sk["accuracy"] == 0 and sk["recall"] == 0 and pd.isna(sk["roc_auc"])


def test_one_class_by_weight_follows_sklearn(engine):
    """Negatives present but weighing 0: roc_auc is NULL (as scikit-learn's nan) and balanced accuracy with
    zero_division sklearn is the positives' recall (scikit-learn drops a class of weight 0)."""
    frame = weighted_frame(seed=3, n=400)
    frame.loc[frame["label"] == 0, "w"] = 0.0
    table = load(engine, "ds.wone", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w",
                                           zero_division="sklearn")).iloc[0]
    y, s, w = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy()
    pred = (s >= 0.5).astype(int)
    assert pd.isna(got["roc_auc"])
    with pytest.warns(UserWarning):
        want = skm.balanced_accuracy_score(y, pred, sample_weight=w)
    assert close(got["balanced_accuracy"], want)
    assert close(got["average_precision"], skm.average_precision_score(y, s, sample_weight=w))


# ---------------------------------------------------------------- weights of 1 change nothing

def _without_weight_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame.columns if c == "invalid_weight_rows"])


@pytest.mark.parametrize("auc", ["exact", "binned"])
def test_weights_of_one_give_the_unweighted_results(engine, auc):
    frame = weighted_frame(seed=4, n=1500).assign(one=1.0)
    table = load(engine, "ds.wone1", frame)
    plain = EvalSpec(task="binary", label="label", score="score", by=["g"], auc=auc)
    weighted = replace(plain, weight="one")
    pd.testing.assert_frame_equal(evaluate(engine, table, plain), _without_weight_column(evaluate(engine, table, weighted)),
                                  check_dtype=False)
    for kind in CURVES:
        spec = replace(plain, auc=None) if kind in ("thresholds", "calibration") else plain
        pd.testing.assert_frame_equal(curve(engine, table, spec, kind, steps=20),
                                      curve(engine, table, replace(spec, weight="one"), kind, steps=20),
                                      check_dtype=False, obj=kind)
    for goal in (Goal("recall", target=0.9), Goal("f1"), Goal("cost", fp_cost=1.0, fn_cost=7.0)):
        pd.testing.assert_frame_equal(threshold(engine, table, plain, goal), threshold(engine, table, weighted, goal),
                                      check_dtype=False, obj=str(goal))
    ci = replace(plain, ci=0.9, key=["id"], partitions=8)
    pd.testing.assert_frame_equal(evaluate(engine, table, ci),
                                  _without_weight_column(evaluate(engine, table, replace(ci, weight="one"))),
                                  check_dtype=False, obj="ci")


# ---------------------------------------------------------------- curves

@pytest.mark.parametrize("auc", ["exact", "binned"])
def test_weighted_roc_and_pr_curves_match_sklearn(engine, auc):
    """As scikit-learn, a score whose rows all weigh 0 gives no point."""
    frame = weighted_frame(seed=5, n=1500, decimals=2)
    frame.loc[frame["score"] == 0.3, "w"] = 0.0
    table = load(engine, "ds.wcurve", frame)
    spec = EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"], auc=auc)
    roc, pr = curve(engine, table, spec, "roc"), curve(engine, table, spec, "pr")
    assert 0.3 not in set(roc["threshold"]) and list(roc.columns) == ["g", "threshold", "fpr", "tpr", "tp", "fp"]
    for g, part in frame.groupby("g"):
        y, s, w = part["label"].to_numpy(), part["score"].to_numpy(), part["w"].to_numpy()
        fpr, tpr, thresholds = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        mine = roc[roc["g"] == g]
        np.testing.assert_allclose(mine["threshold"], thresholds[1:], rtol=REL)
        np.testing.assert_allclose(mine["fpr"], fpr[1:], rtol=REL, atol=1e-12)
        np.testing.assert_allclose(mine["tpr"], tpr[1:], rtol=REL, atol=1e-12)
        np.testing.assert_allclose(mine["tp"], [w[(s >= t) & (y == 1)].sum() for t in thresholds[1:]], rtol=REL)
        precision, recall, pr_thresholds = skm.precision_recall_curve(y, s, sample_weight=w)
        mine = pr[pr["g"] == g]
        np.testing.assert_allclose(mine["threshold"], pr_thresholds[::-1], rtol=REL)
        np.testing.assert_allclose(mine["precision"], precision[:-1][::-1], rtol=REL)
        np.testing.assert_allclose(mine["recall"], recall[:-1][::-1], rtol=REL, atol=1e-12)


def test_weighted_threshold_sweep(engine):
    frame = weighted_frame(seed=6, n=1500)
    table = load(engine, "ds.wsweep", frame)
    sweep = curve(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w"), "thresholds",
                  steps=20)
    assert len(sweep) == 21
    y, s, w = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy()
    for row in sweep.to_dict("records"):
        want = weighted_at(y, s, w, row["threshold"])
        for name in ("tp", "fp", "tn", "fn", "precision", "recall", "f1"):
            assert close(row[name], want[name]), (row["threshold"], name)
        pred = (s >= row["threshold"]).astype(int)
        assert close(row["f1"], skm.f1_score(y, pred, sample_weight=w, zero_division=np.nan))
        assert close(row["precision"], skm.precision_score(y, pred, sample_weight=w, zero_division=np.nan))


def test_weighted_calibration(engine):
    """calibration_curve has no weights: each bin's weighted mean score and observed rate in numpy."""
    frame = weighted_frame(seed=7, n=1500, decimals=None)
    frame.loc[0, "score"] = 1.0
    frame.loc[(frame["score"] > 0.9) & (frame["score"] < 1), "w"] = 0.0  # bin 9 holds rows of weight 0 and one of 1.0
    frame.loc[0, "w"] = 0.0
    table = load(engine, "ds.wcal", frame)
    cal = curve(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w"), "calibration", bins=10)
    y, s, w = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy()
    bins = np.searchsorted(np.linspace(0.0, 1.0, 11)[1:-1], s)
    ece = 0.0
    for row in cal.to_dict("records"):
        mask = bins == row["bin"]
        assert row["rows"] == mask.sum()
        if w[mask].sum() == 0:
            assert pd.isna(row["mean_score"]) and pd.isna(row["observed_rate"])
            continue
        mean, rate = np.average(s[mask], weights=w[mask]), np.average(y[mask], weights=w[mask])
        assert close(row["mean_score"], mean) and close(row["observed_rate"], rate)
        ece += w[mask].sum() / w.sum() * abs(mean - rate)
    assert 9 in set(cal["bin"])
    assert close(cal["expected_calibration_error"].iloc[0], ece)


# ---------------------------------------------------------------- threshold search

def weighted_brute_force(y, s, w, goal: Goal) -> tuple[float, float]:
    """(threshold, best value) over the distinct scores of rows that weigh something; ties to the higher one."""
    table = [(t, weighted_at(y, s, w, t)) for t in sorted(set(s[w > 0].tolist()), reverse=True)]
    if goal.objective == "recall":
        return next(t for t, m in table if m["recall"] >= goal.target), max(m["recall"] for _, m in table)
    if goal.objective == "precision":
        met = [t for t, m in table if m["precision"] >= goal.target]
        return met[-1], max(m["precision"] for _, m in table if not math.isnan(m["precision"]))
    if goal.objective == "f1":
        best = max(m["f1"] for _, m in table)
        return next(t for t, m in table if m["f1"] == best), best
    cost = {t: goal.fp_cost * m["fp"] + goal.fn_cost * m["fn"] for t, m in table}
    best = min(cost.values())
    return next(t for t, _ in table if cost[t] == best), best


GOALS = [Goal("recall", target=0.9), Goal("recall", target=1.0), Goal("precision", target=0.6), Goal("f1"),
         Goal("cost", fp_cost=1.0, fn_cost=20.0)]


@pytest.mark.parametrize("goal", GOALS, ids=str)
def test_weighted_threshold_matches_a_weighted_brute_force(engine, goal):
    """Dyadic weights (sums exact in binary floating point) so that ties are ties on every engine."""
    frame = weighted_frame(seed=8, n=1500, decimals=2)
    rng = np.random.default_rng(8)
    frame["w"] = rng.choice([0.0, 0.25, 0.5, 1.0, 2.0, 3.75], len(frame))
    table = load(engine, "ds.wthr", frame)
    got = threshold(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"],
                                            auc="exact"), goal)
    for row in got.to_dict("records"):
        part = frame[frame["g"] == row["g"]]
        y, s, w = part["label"].to_numpy(), part["score"].to_numpy(), part["w"].to_numpy()
        t, best = weighted_brute_force(y, s, w, goal)
        assert row["threshold"] == t and close(row["best_reachable"], best)
        assert row["rows"] == len(part) and row["bin_rows"] == (s == t).sum()
        assert close(row["positives"], w[y == 1].sum())
        for name, value in weighted_at(y, s, w, t).items():
            assert close(row[name], value), name
        assert close(row["baseline_accuracy"], max(w[y == 1].sum(), w[y == 0].sum()) / w.sum())
        if goal.objective == "recall" and goal.target == 1.0:
            assert row["recall"] == 1.0 and row["fn"] == 0.0


def test_weighted_binned_threshold_is_exact_at_its_threshold(engine):
    frame = weighted_frame(seed=9, n=1500, decimals=None)
    table = load(engine, "ds.wthrb", frame)
    y, s, w = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy()
    for goal in (Goal("recall", target=0.8), Goal("cost", fp_cost=1.0, fn_cost=5.0)):
        row = threshold(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", auc="binned",
                                                bins_per_logit=20), goal).iloc[0]
        for name, value in weighted_at(y, s, w, row["threshold"]).items():
            assert close(row[name], value), (str(goal), name)
        t, best = weighted_brute_force(y, s, w, goal)
        if goal.objective == "recall":
            assert row["threshold"] <= t <= row["threshold_upper"]
        else:
            assert row["cost"] - row["bound"] - 1e-9 <= best <= row["cost"] + 1e-9


def test_threshold_without_positive_weight_is_refused(engine):
    frame = weighted_frame(seed=10, n=300)
    frame.loc[frame["label"] == 1, "w"] = 0.0
    table = load(engine, "ds.wnopos", frame)
    with pytest.raises(BqmlToolsError, match="no positive row with a weight above 0 in w"):
        threshold(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w"), "f1")


# ---------------------------------------------------------------- intervals

def test_weighted_replicates_match_a_python_jackknife(engine):
    """Each replicate of the --ci statement is the weighted metric without one partition of the key
    (partitions from the Python fingerprint oracle), the estimate the metric on every row."""
    frame = weighted_frame(seed=11, n=1200)
    table = load(engine, "ds.wci", frame)
    partitions = 6
    spec = EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"], auc="binned", ci=0.95,
                    key=["id"], partitions=partitions)
    raw = engine.run(evaluate_query(table, spec, engine.dialect, engine=engine, inline=False))
    assert len(raw) == 3 * (partitions + 2)  # per group: the estimate (-1), the rows with a key (-2), K replicates
    salted = [oracle.key_string([str(i)], salt=PARTITION_SALT) for i in frame["id"]]
    part = np.array([abs(oracle.truncated_mod(oracle.fingerprint(k), partitions)) for k in salted])
    for row in raw.to_dict("records"):
        keep = (frame["g"] == row["g"]).to_numpy() & (part != row["_bqml_rep"])
        want = sk_weighted(frame["label"].to_numpy()[keep], frame["score"].to_numpy()[keep], frame["w"].to_numpy()[keep])
        for name in ("rows", "positives", "tp", "tn", "accuracy", "recall", "f1", "log_loss", "brier", "roc_auc",
                     "average_precision", "base_rate"):
            assert close(row[name], want[name]), (row["g"], row["_bqml_rep"], name, row[name], want[name])
    combined = evaluate(engine, table, spec)
    assert {"roc_auc_lower", "roc_auc_upper"} <= set(combined.columns)
    assert (combined["roc_auc_lower"] <= combined["roc_auc"]).all()


def test_weighted_compare_and_diagnose(engine):
    """compare's two sides and diagnose's losses are the weighted metrics of each model and split."""
    from bqml_tools.evaluation.comparison import compare
    from bqml_tools.evaluation import diagnose

    frame = weighted_frame(seed=13, n=800)
    frame["other"] = np.clip(frame["score"] + 0.1 * np.random.default_rng(13).normal(size=len(frame)), 0, 1).round(3)
    frame["split"] = np.where(frame["id"] % 2 == 0, "train", "valid")
    table = load(engine, "ds.wcompare", frame)
    y, w = frame["label"].to_numpy(), frame["w"].to_numpy()
    spec = EvalSpec(task="binary", label="label", score="score", weight="w", auc="binned", ci=0.95, key=["id"])
    got = compare(engine, table, spec, "other", metrics=["roc_auc", "log_loss", "recall"]).set_index("metric")
    for column in ("score", "other"):
        want = sk_weighted(y, frame[column].to_numpy(), w)
        for metric in ("roc_auc", "log_loss", "recall"):
            assert close(got.loc[metric, column], want[metric]), (column, metric)
    verdict = diagnose(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w")).iloc[0]
    for split in ("train", "valid"):
        part = frame[frame["split"] == split]
        want = sk_weighted(part["label"].to_numpy(), part["score"].to_numpy(), part["w"].to_numpy())
        assert close(verdict[split], want["log_loss"]), split
    train = frame[frame["split"] == "train"]
    assert close(verdict["baseline"], sk_weighted(train["label"].to_numpy(), train["score"].to_numpy(),
                                                  train["w"].to_numpy())["baseline_log_loss"])


# ---------------------------------------------------------------- invalid weights

@pytest.mark.parametrize("bad", [None, NAN, INF, -1.0])
def test_invalid_weights_are_refused_or_excluded_and_counted(engine, bad):
    rows = [(1, 0.9, 1.0), (0, 0.2, 2.5), (1, 0.4, bad), (0, 0.6, 0.5), (1, 0.7, bad), (0, 0.1, 0.0), (1, 0.3, 1.5)]
    table = load_values(engine, "ds.wbad", rows)
    spec = EvalSpec(task="binary", label="label", score="score", weight="w")
    message = r"^2 row\(s\) have a NULL, NaN, infinite or negative weight in w: fix them, or pass invalid='exclude'"
    with pytest.raises(BqmlToolsError, match=message):
        evaluate(engine, table, spec)
    for kind in CURVES:
        with pytest.raises(BqmlToolsError, match=message):
            curve(engine, table, spec, kind)
    with pytest.raises(BqmlToolsError, match=message):
        threshold(engine, table, spec, "f1")
    excluded = replace(spec, invalid="exclude")
    got = evaluate(engine, table, excluded)
    row = got.iloc[0]
    assert (row["rows"], row["invalid_weight_rows"], row["invalid_label_rows"], row["invalid_score_rows"]) == (5, 2, 0, 0)
    assert "excluded 2 row(s) have a NULL, NaN, infinite or negative weight in w" in got.attrs["warnings"]
    valid = [r for r in rows if r[2] is not bad]
    y, s, w = (np.array([r[i] for r in valid], dtype=float) for i in range(3))
    for name, value in sk_weighted(y.astype(int), s, w).items():
        assert close(row[name], value), name
    for kind in CURVES:
        assert curve(engine, table, excluded, kind).attrs["warnings"] == [
            "excluded 2 row(s) have a NULL, NaN, infinite or negative weight in w"]
    assert threshold(engine, table, excluded, "f1").iloc[0]["rows"] == 5


@pytest.mark.duckdb
def test_printed_statements_refuse_invalid_weights_themselves(duck):
    load_values(duck, "ds.wbadp", [(1, 0.9, 1.0), (0, 0.2, -2.0), (1, 0.4, 1.0)])
    spec = EvalSpec(task="binary", label="label", score="score", weight="w")
    statements = [evaluate_query("ds.wbadp", spec, "duckdb", engine=duck)]
    statements += [curve_query("ds.wbadp", spec, kind, "duckdb", engine=duck) for kind in CURVES]
    statements.append(threshold_query("ds.wbadp", spec, Goal("f1"), "duckdb", engine=duck))
    for query in statements:
        with pytest.raises(Exception, match=r"1 row\(s\) have a NULL, NaN, infinite or negative weight in w"):
            duck.connection.execute(query.sql).fetchall()


def test_a_text_weight_column_is_refused(engine):
    table = load(engine, "ds.wtext", pd.DataFrame({"label": [0, 1], "score": [0.2, 0.8], "w": ["1", "2"]}))
    spec = EvalSpec(task="binary", label="label", score="score", weight="w")
    with pytest.raises(BqmlToolsError, match=r"weight column 'w' is (VARCHAR|STRING): it must hold numbers >= 0"):
        evaluate(engine, table, spec)
    with pytest.raises(BqmlToolsError, match=r"weight column 'w' is"):
        curve(engine, table, spec, "roc")
    with pytest.raises(BqmlToolsError, match=r"weight column 'w' is"):
        threshold(engine, table, spec, "f1")


def test_an_integer_weight_column_is_read_as_numbers(engine):
    frame = weighted_frame(seed=12, n=500)
    frame["w"] = np.random.default_rng(12).integers(0, 4, len(frame))
    table = load(engine, "ds.wint", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w")).iloc[0]
    want = sk_weighted(frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy().astype(float))
    for name, value in want.items():
        assert close(got[name], value), name


# ---------------------------------------------------------------- property: any small weighted table

_DUCK: DuckDBEngine | None = None


def _duck() -> DuckDBEngine:
    global _DUCK
    if _DUCK is None:
        _DUCK = DuckDBEngine()
    return _DUCK


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 1),
                               st.sampled_from([0.0, 1e-300, 0.1, 0.25, 0.5, 0.5000000000000001, 0.75, 0.9, 1.0]),
                               st.sampled_from([0.0, 0.0, 0.125, 0.5, 1.0, 1.0, 3.0, 1e6])),
                     min_size=1, max_size=30),
       auc=st.sampled_from(["exact", "binned"]), t=st.sampled_from([0.0, 0.5, 0.8]))
def test_any_small_weighted_table_matches_sklearn(rows, auc, t):
    frame = pd.DataFrame(rows, columns=["label", "score", "w"])
    y, s, w = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy()
    spec = EvalSpec(task="binary", label="label", score="score", weight="w", auc=auc, threshold=t)
    got = evaluate(_duck(), frame, spec).iloc[0]
    with warnings.catch_warnings():  # scikit-learn warns on one-class inputs; the expectations say NULL there
        warnings.simplefilter("ignore")
        want = sk_weighted(y, s, w, t)
        if auc == "binned":  # pairs inside a logit bin tie: AUC and average precision are those of the bins
            bins = logit_bins(s)
            if not pd.isna(want["roc_auc"]):
                want["roc_auc"] = skm.roc_auc_score(y, bins, sample_weight=w)
            if not pd.isna(want["average_precision"]):
                want["average_precision"] = skm.average_precision_score(y, bins, sample_weight=w)
    for name, value in want.items():
        assert close(got[name], value), (name, got[name], value)
    if auc == "binned" and not pd.isna(want["roc_auc"]):
        exact = skm.roc_auc_score(y, s, sample_weight=w)
        assert abs(got["roc_auc"] - exact) <= got["roc_auc_error_bound"] + 1e-12


def logit_bins(s: np.ndarray, per_unit: int = 10_000) -> np.ndarray:
    """Each score's logit bin, as _binary.sql numbers them (0 and 1 outside every other bin)."""
    edge = 746 * per_unit + 1
    return np.array([-edge if v == 0 else edge if v == 1 else math.floor((math.log(v) - math.log(1 - v)) * per_unit)
                     for v in s], dtype=float)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5000000000000001, 0.75, 1.0]),
                               st.sampled_from([0.0, 0.25, 0.5, 1.0, 3.0])),
                     min_size=1, max_size=25),
       goal=st.sampled_from(GOALS + [Goal("precision", target=1.0), Goal("cost", fp_cost=0.0, fn_cost=1.0)]))
def test_any_small_weighted_table_gets_the_brute_force_threshold(rows, goal):
    """Exact search with dyadic weights (exact sums): the weighted brute force's threshold and counts,
    or its refusal (no positive weight, or a target no threshold reaches)."""
    frame = pd.DataFrame(rows, columns=["label", "score", "w"])
    y, s, w = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["w"].to_numpy()
    assume(w.sum() > 0)
    spec = EvalSpec(task="binary", label="label", score="score", weight="w", auc="exact")
    if goal.objective != "cost" and w[y == 1].sum() == 0:
        with pytest.raises(BqmlToolsError, match="no positive row with a weight above 0 in w"):
            threshold(_duck(), frame, spec, goal)
        return
    candidates = [weighted_at(y, s, w, t) for t in set(s[w > 0].tolist())]
    if goal.objective in ("recall", "precision") and not any(m[goal.objective] >= goal.target for m in candidates):
        with pytest.raises(BqmlToolsError, match="is not reachable"):
            threshold(_duck(), frame, spec, goal)
        return
    row = threshold(_duck(), frame, spec, goal).iloc[0]
    t, best = weighted_brute_force(y, s, w, goal)
    assert row["threshold"] == t and close(row["best_reachable"], best)
    for name, value in weighted_at(y, s, w, t).items():
        assert close(row[name], value), name


def test_a_group_that_weighs_nothing_is_said_to(engine):
    """Rows whose weights are all 0: NULL metrics with a warning that says why (not "one class"), and
    diagnose says the train rows weigh nothing (not that the labels are constant)."""
    frame = weighted_frame(seed=14, n=400).assign(split=lambda f: np.where(f["id"] % 2 == 0, "train", "valid"))
    frame.loc[frame["g"] == "c", "w"] = 0.0
    table = load(engine, "ds.wzero", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"]))
    assert got.loc[got["g"] == "c", "roc_auc"].isna().all()
    warnings = got.attrs["warnings"]
    assert any("1 group(s) (g=c) weigh 0 in total" in w for w in warnings), warnings
    assert not any("only one class" in w for w in warnings), warnings
    frame.loc[frame["split"] == "train", "w"] = 0.0
    table = load(engine, "ds.wzero_train", frame)
    from bqml_tools.evaluation import diagnose

    verdict = diagnose(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w"))
    assert verdict["verdict"].iloc[0] == "undetermined"
    assert "the train rows weigh 0 in total" in verdict["reason"].iloc[0]


# ---------------------------------------------------------------- weights at extreme scales (issue 17, item 7)

def assert_sklearn_at_scale(row: dict, part: pd.DataFrame, weight: np.ndarray) -> None:
    want = sk_weighted(part["label"].to_numpy(), part["score"].to_numpy(), weight)
    for name, value in want.items():
        if name in ("positives", "tp", "fp", "tn", "fn"):  # weighted counts, in the weights' own units
            assert row[name] == pytest.approx(value, rel=REL, abs=0), (name, row[name], value)
        else:
            assert close(row[name], value), (name, row[name], value)


@pytest.mark.parametrize("auc", ["exact", "binned"])
@pytest.mark.parametrize("scale", [1e160, 1e-200, 1e300])
def test_weights_at_extreme_scales_match_sklearn(engine, scale, auc):
    """Every weight times 1e160 or 1e-200 changes no metric: roc_auc and average_precision multiply two
    weighted counts, which overflowed (roc_auc NULL, 'only one class'; average_precision inf) or
    underflowed (0). The weights are rescaled by a power of two and the counts given back unscaled."""
    frame = weighted_frame(seed=7, n=600)
    frame = frame.assign(w=frame["w"] * scale)
    table = load(engine, "ds.wscale", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"], auc=auc))
    assert not any("only one class" in w for w in got.attrs["warnings"])
    for row in got.to_dict("records"):
        part = frame[frame["g"] == row["g"]]
        assert_sklearn_at_scale(row, part, part["w"].to_numpy())


def test_weights_at_extreme_scales_with_intervals_and_compare(engine):
    from bqml_tools.evaluation.comparison import compare

    frame = weighted_frame(seed=8, n=600).assign(w=lambda f: f["w"] * 1e-200)
    # rounded as the scores are: binned AUC (the default with --ci) is exact on them
    frame["other"] = np.round(np.clip(frame["score"] + np.random.default_rng(8).normal(0, 0.1, len(frame)), 0, 1), 3)
    table = load(engine, "ds.wscale_ci", frame)
    spec = EvalSpec(task="binary", label="label", score="score", weight="w", ci=0.9, key=["id"], partitions=5)
    got = evaluate(engine, table, spec).iloc[0].to_dict()
    assert_sklearn_at_scale(got, frame, frame["w"].to_numpy())
    assert got["roc_auc_lower"] < got["roc_auc"] < got["roc_auc_upper"]
    compared = compare(engine, table, spec, "other", metrics=["roc_auc", "average_precision"]).set_index("metric")
    w = frame["w"].to_numpy()
    for metric, score in (("roc_auc", skm.roc_auc_score), ("average_precision", skm.average_precision_score)):
        want = score(frame["label"], frame["other"], sample_weight=w) - score(frame["label"], frame["score"],
                                                                              sample_weight=w)
        assert compared.loc[metric, "difference"] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_groups_too_far_apart_in_weight_are_refused(engine):
    frame = weighted_frame(seed=9, n=300)
    frame = frame.assign(w=np.where(frame["g"] == "a", 1e300, 1e-300) * frame["w"].where(frame["w"] > 0, 1.0))
    table = load(engine, "ds.wapart", frame)
    with pytest.raises(BqmlToolsError, match=r"weights in w total from .* across groups.*evaluate the groups apart"):
        evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w", by=["g"]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exponent=st.integers(-300, 300), seed=st.integers(0, 2 ** 16))
def test_any_common_scale_of_the_weights_changes_no_metric(engine, exponent, seed):
    """Weights times 10^e for any e in [-300, 300]: scikit-learn's values (the weighted counts scaled)."""
    frame = weighted_frame(seed=seed, n=120)
    frame = frame.assign(w=frame["w"] * 10.0 ** exponent)
    assume(frame["w"].sum() < 1e307)
    table = load(engine, "ds.wanyscale", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", weight="w")).iloc[0].to_dict()
    assert_sklearn_at_scale(got, frame, frame["w"].to_numpy())
