"""The threshold search against a brute force over every distinct score, on DuckDB and the emulator."""
from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from bqml_tools.evaluation.decisions import (Goal, OUTPUT_COLUMNS, goal_of, output_columns, parse_cost, parse_target, threshold,
                                  threshold_query)
from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import EvalSpec, diagnose, evaluate
from approx import close
from tables import load, sized

GOALS = [Goal("recall", target=0.9), Goal("recall", target=1.0), Goal("precision", target=0.6),
         Goal("f1"), Goal("cost", fp_cost=1.0, fn_cost=20.0), Goal("cost", fp_cost=3.0, fn_cost=1.5)]


def predictions(seed=0, n=3000, positive_rate=0.1, decimals=None):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_rate).astype(int)
    s = np.clip(rng.beta(2, 6, n) + 0.6 * y * rng.random(n), 0, 1)
    if decimals is not None:
        s = np.round(s, decimals)  # ties
    return pd.DataFrame({"label": y, "p": s, "g": rng.choice(["a", "b"], n)})


def at(y: np.ndarray, s: np.ndarray, t: float) -> dict[str, float]:
    """Every count and metric at threshold t (positive when s >= t), by brute force."""
    pred = s >= t
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    positives = int(y.sum())
    fn, tn = positives - tp, len(y) - positives - fp
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": tp / (tp + fp) if tp + fp else math.nan,
            "recall": tp / positives if positives else math.nan, "f1": 2 * tp / (2 * tp + fp + fn),
            "accuracy": (tp + tn) / len(y), "specificity": tn / (tn + fp) if tn + fp else math.nan}


def brute_force(y: np.ndarray, s: np.ndarray, goal: Goal) -> tuple[float, bool, float]:
    """(threshold, target met, best reachable value) over every distinct score; ties to the higher one."""
    table = [(t, at(y, s, t)) for t in sorted(set(s.tolist()), reverse=True)]  # highest first
    if goal.objective == "recall":
        met = [t for t, m in table if m["recall"] >= goal.target]
        return (met[0] if met else math.nan), bool(met), max(m["recall"] for _, m in table)
    if goal.objective == "precision":
        met = [t for t, m in table if m["precision"] >= goal.target]
        return (met[-1] if met else math.nan), bool(met), max(m["precision"] for _, m in table)
    if goal.objective == "f1":
        best = max(m["f1"] for _, m in table)
        return next(t for t, m in table if m["f1"] == best), True, best
    cost = {t: goal.fp_cost * m["fp"] + goal.fn_cost * m["fn"] for t, m in table}
    best = min(cost.values())
    return next(t for t, _ in table if cost[t] == best), True, best


@pytest.mark.parametrize("goal", GOALS, ids=str)
@pytest.mark.parametrize("decimals", [None, 2])
def test_exact_search_matches_brute_force(engine, goal, decimals):
    frame = predictions(decimals=decimals)
    table = load(engine, "ds.thr", frame)
    got = threshold(engine, table, EvalSpec(task="binary", label="label", score="p", by=["g"], auc="exact"), goal)
    assert list(got["g"]) == ["a", "b"]
    for row in got.to_dict("records"):
        part = frame[frame["g"] == row["g"]]
        y, s = part["label"].to_numpy(), part["p"].to_numpy()
        t, met, best = brute_force(y, s, goal)
        assert row["threshold"] == t and row["threshold_upper"] == t and row["target_met"] == met
        assert row["bin_rows"] == int((s == t).sum()) and row["rows"] == len(part)
        assert close(row["best_reachable"], best) and row["bound"] == 0
        for name, value in at(y, s, t).items():
            assert close(row[name], value), name
        assert close(row["balanced_accuracy"], (row["recall"] + row["specificity"]) / 2)
        assert close(row["baseline_accuracy"], max(y.mean(), 1 - y.mean()))
        if goal.objective == "cost":
            assert close(row["cost"], best)
        else:
            assert pd.isna(row["cost"])


@pytest.mark.parametrize("goal", GOALS, ids=str)
def test_binned_search_is_exact_at_its_threshold_and_within_its_bound(engine, goal):
    """With bins, the metrics at the returned threshold are exact, and the exact answer is at most
    `bound` better (a recall target's exact threshold lies in [threshold, threshold_upper])."""
    frame = predictions(seed=3, n=4000)
    table = load(engine, "ds.thr_binned", frame)
    for bins in (3, 100, 10_000):
        spec = EvalSpec(task="binary", label="label", score="p", auc="binned", bins_per_logit=bins)
        row = threshold(engine, table, spec, goal).iloc[0]
        y, s = frame["label"].to_numpy(), frame["p"].to_numpy()
        assert row["threshold"] in set(s.tolist()) and row["threshold_upper"] in set(s.tolist())
        for name, value in at(y, s, row["threshold"]).items():
            assert close(row[name], value), (bins, name)
        t, _, best = brute_force(y, s, goal)
        exact = at(y, s, t)
        slack = row["bound"] + 1e-12
        assert row["bound"] >= 0
        if goal.objective == "recall":
            assert row["threshold"] <= t <= row["threshold_upper"]
            assert exact["precision"] <= row["precision"] + slack
        elif goal.objective == "precision":
            assert row["threshold"] >= t and exact["recall"] <= row["recall"] + slack
        elif goal.objective == "f1":
            assert row["f1"] <= best <= row["f1"] + slack
        else:
            assert row["cost"] - slack <= best <= row["cost"]


def test_unreachable_target_says_the_best_reachable_value(engine):
    frame = predictions(seed=1)
    frame.loc[frame.index[(frame["g"] == "a") & (frame["label"] == 0)][0], "p"] = 1.0  # a sure negative tops group a
    table = load(engine, "ds.thr_unreachable", frame)
    spec = EvalSpec(task="binary", label="label", score="p", by=["g"])
    _, _, best = brute_force(frame.loc[frame["g"] == "a", "label"].to_numpy(), frame.loc[frame["g"] == "a", "p"].to_numpy(),
                             Goal("precision", target=1.0))
    assert best < 1
    with pytest.raises(BqmlToolsError, match=rf"precision>=1 is not reachable \(g=a\): the best precision is {best:.6g}"):
        threshold(engine, table, spec, "precision>=1")


def test_a_target_reachable_only_inside_a_bin_says_so(engine):
    # one bin per logit unit: 0.6 and 0.65 share bin 0, whose lowest score gives precision 1/2
    table = load(engine, "ds.thr_inside", pd.DataFrame({"label": [0, 1, 0], "p": [0.6, 0.65, 0.1]}))
    exact = threshold(engine, table, EvalSpec(task="binary", label="label", score="p", auc="exact"), "precision>=1")
    assert exact.loc[0, "threshold"] == 0.65
    binned = EvalSpec(task="binary", label="label", score="p", auc="binned", bins_per_logit=1)
    with pytest.raises(BqmlToolsError, match=r"precision>=1 is not reached at any bin edge \(the best precision there "
                                             r"is 0.5\), but a threshold inside a bin may reach it: use auc='exact'"):
        threshold(engine, table, binned, "precision>=1")


def test_no_positives_and_free_negatives(engine):
    frame = pd.DataFrame({"label": [0, 0, 0, 1], "p": [0.1, 0.2, 0.9, 0.3], "g": ["a", "a", "a", "b"]})
    table = load(engine, "ds.thr_small", frame)
    with pytest.raises(BqmlToolsError, match=r"no positive row \(g=a\): recall>=0.5 needs positives in label"):
        threshold(engine, table, EvalSpec(task="binary", label="label", score="p", by=["g"]), "recall>=0.5")
    got = threshold(engine, table, EvalSpec(task="binary", label="label", score="p"), cost="fp=10,fn=1")
    # every threshold flags a row, and the best (0.3: one false positive) costs 10; flagging none costs 1
    assert got.loc[0, "threshold"] == 0.3 and got.loc[0, "cost"] == 10
    assert got.attrs["warnings"] == ["predicting every row negative costs 1, less than the best threshold's 10: "
                                     "no threshold pays off at these costs"]


def test_invalid_rows_refused_or_excluded_as_evaluate_does(engine):
    frame = predictions(seed=2, n=400)
    frame.loc[:4, "p"] = np.nan
    frame.loc[5:6, "label"] = 7
    table = load(engine, "ds.thr_invalid", frame)
    spec = EvalSpec(task="binary", label="label", score="p")
    with pytest.raises(BqmlToolsError, match=r"2 row\(s\) have a NULL label or one that is not binary in label.*"
                                             r"5 row\(s\) have a NULL, NaN or infinite score"):
        threshold(engine, table, spec, "f1")
    got = threshold(engine, table, EvalSpec(task="binary", label="label", score="p", invalid="exclude"), "f1")
    clean = frame.iloc[7:]
    t, _, _ = brute_force(clean["label"].to_numpy(), clean["p"].to_numpy(), Goal("f1"))
    assert got.loc[0, "threshold"] == t and got.loc[0, "rows"] == len(clean)
    assert len(got.attrs["warnings"]) == 2 and all(w.startswith("excluded") for w in got.attrs["warnings"])


def test_a_group_with_only_invalid_rows_is_kept_with_rows_0_after_counting(duck):
    """As evaluate keeps it (it used to be dropped without a word)."""
    frame = pd.DataFrame({"label": [1, 0, 1, None], "p": [0.9, 0.2, 0.6, 0.5], "g": ["a", "a", "a", "b"]})
    table = load(duck, "ds.thr_empty_group", frame)
    got = threshold(duck, table, EvalSpec(task="binary", label="label", score="p", by=["g"], invalid="exclude"), "f1")
    assert list(got["g"]) == ["a", "b"] and got.loc[0, "threshold"] == 0.6
    assert got.loc[1, "rows"] == 0 and pd.isna(got.loc[1, "threshold"])
    assert got.attrs["warnings"] == ["excluded 1 row(s) have a NULL label or one that is not binary in label "
                                     "(pass --positive VALUE for other labels)"]


def test_printed_and_bound_statements_agree(duck):
    frame = predictions(seed=4, decimals=3)
    load(duck, "ds.thr_printed", frame)
    for goal in GOALS:
        for mode in ("exact", "binned"):
            spec = EvalSpec(task="binary", label="label", score="p", by=["g"], auc=mode)
            printed = duck.connection.execute(threshold_query("ds.thr_printed", spec, goal, "duckdb", engine=duck).sql).df()
            bound = duck.run(threshold_query("ds.thr_printed", spec, goal, "duckdb", engine=duck, inline=False))
            pd.testing.assert_frame_equal(printed, bound, check_dtype=False)
            assert list(bound.columns) == ["g", *OUTPUT_COLUMNS]


def test_output_columns_match_the_rendered_sql():
    import sqlglot

    from render_cases import cases

    for name, query in cases().items():
        if name.startswith("threshold_"):
            selected = sqlglot.parse_one(query.sql, read=query.dialect).named_selects
            spec = EvalSpec(task="binary", label="y", score="p", weight="w" if "weight" in name else None)
            columns = list(output_columns(spec))
            assert selected[len(selected) - len(columns):] == columns, name


@pytest.mark.parametrize("text, error", [
    ("recall>=1.5", r"goal 'recall>=1.5': X must be a number in \(0, 1\]"),
    ("recall>=0", r"must be a number in \(0, 1\]"),
    ("recall>=x", r"goal recall>= 'x' is not a number"),
    ("accuracy>=0.9", r"goal 'accuracy>=0.9': write recall>=X, precision>=X \(X in \(0, 1\]\) or f1"),
    ("f1>=0.5", r"write recall>=X"),
])
def test_bad_targets(text, error):
    with pytest.raises(BqmlToolsError, match=error):
        parse_target(text)


@pytest.mark.parametrize("text, error", [
    ("fp=1", r"give both"), ("fp=1,fn=-2", r"fn=-2 must be a finite number >= 0"),
    ("fp=0,fn=0", r"make every threshold free"), ("fp=1,fn=2,fp=3", r"write fp=COST,fn=COST"),
    ("tp=1,fn=2", r"write fp=COST,fn=COST"),
])
def test_bad_costs(text, error):
    with pytest.raises(BqmlToolsError, match=error):
        parse_cost(text)


def test_goal_parsing_reads_numbers_like_every_option():
    assert parse_target("recall>=95%") == Goal("recall", target=0.95)
    assert parse_target(" Precision >= 19/20 ") == Goal("precision", target=0.95)
    assert parse_target("f1") == Goal("f1")
    assert parse_cost("fn=20, fp=1") == Goal("cost", fp_cost=1.0, fn_cost=20.0)
    with pytest.raises(BqmlToolsError, match="give one goal"):
        goal_of("f1", "fp=1,fn=2")
    with pytest.raises(BqmlToolsError, match="give one goal"):
        goal_of()


def test_refused_options_and_names(duck):
    goal = Goal("f1")
    with pytest.raises(BqmlToolsError, match=r"threshold does nothing for threshold"):
        threshold_query("t", EvalSpec(task="binary", label="y", score="p", threshold=0.3), goal, "duckdb")
    with pytest.raises(BqmlToolsError, match=r"group column 'Cost' has the name of a column threshold returns"):
        threshold_query("t", EvalSpec(task="binary", label="y", score="p", by=["Cost"]), goal, "duckdb")
    with pytest.raises(BqmlToolsError, match=r"a threshold is for binary classification, not regression"):
        threshold_query("t", EvalSpec(task="regression", label="y", prediction="p"), goal, "duckdb")


# ---------------------------------------------------------------- the imbalance guard

def imbalanced(seed=5, n=4000, useful=False):
    """2% positives; a useless model flags nothing (scores below 0.5), a useful one flags most positives."""
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.02).astype(int)
    s = rng.random(n) * 0.4 + (0.55 * y if useful else 0.0)
    split = np.where(rng.random(n) < 0.7, "train", "valid")
    return pd.DataFrame({"label": y, "p": s, "split": split})


def gain(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    accuracy = float(((s >= 0.5) == (y == 1)).mean())
    baseline = max(y.mean(), 1 - y.mean())
    return accuracy, baseline


def test_accuracy_near_the_constant_predictors_warns(engine):
    frame = imbalanced()
    table = load(engine, "ds.imbalanced", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="p", by=["split"]))
    accuracy, baseline = gain(frame["label"].to_numpy(), frame["p"].to_numpy())
    warnings = [w for w in got.attrs["warnings"] if w.startswith("accuracy")]
    assert len(warnings) == 2 and "(split=train)" in warnings[0] and "(split=valid)" in warnings[1]
    assert all("read balanced_accuracy and average_precision instead" in w for w in warnings)
    whole = evaluate(engine, table, EvalSpec(task="binary", label="label", score="p"))
    removed = (accuracy - baseline) / (1 - baseline)  # the share of the constant's errors removed
    said = f"it removes {removed:.0%} of its errors, under 10%" if removed >= 0.005 else \
        "it removes next to none of its errors" if removed > -0.005 else f"it makes {-removed:.0%} more errors"
    assert [w for w in whole.attrs["warnings"] if w.startswith("accuracy")] == [
        f"accuracy {accuracy:.4g} is no real gain over {baseline:.4g}, the accuracy of always predicting the "
        f"majority class ({said}): read balanced_accuracy and average_precision instead"]
    diagnosed = diagnose(engine, table, EvalSpec(task="binary", label="label", score="p"))
    assert [w for w in diagnosed.attrs["warnings"] if w.startswith("accuracy")] == warnings


def test_a_useful_model_on_imbalanced_labels_does_not_warn(engine):
    frame = imbalanced(useful=True)
    table = load(engine, "ds.imbalanced_useful", frame)
    accuracy, baseline = gain(frame["label"].to_numpy(), frame["p"].to_numpy())
    assert (accuracy - baseline) / (1 - baseline) > 0.5
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="p"))
    assert got.attrs["warnings"] == []


def test_multiclass_accuracy_guard(duck):
    rng = np.random.default_rng(6)
    y = rng.choice(["a", "b", "c"], 3000, p=[0.9, 0.05, 0.05])
    majority = pd.DataFrame({"y": y, "p": "a"})
    got = evaluate(duck, majority, EvalSpec(task="multiclass", label="y", prediction="p"))
    assert got.attrs["warnings"] == [
        f"accuracy {got.loc[0, 'accuracy']:.4g} is no real gain over {got.loc[0, 'baseline_accuracy']:.4g}, the "
        "accuracy of always predicting the majority class (it removes next to none of its errors): read "
        "macro_recall (balanced accuracy) and macro_f1 instead"]
    worse = pd.DataFrame({"y": y, "p": np.where(np.arange(3000) % 10 == 0, "b", "a")})  # 10% wrong on purpose
    warnings = evaluate(duck, worse, EvalSpec(task="multiclass", label="y", prediction="p")).attrs["warnings"]
    assert len(warnings) == 1 and "(it makes " in warnings[0] and "% more errors)" in warnings[0], warnings
    assert evaluate(duck, pd.DataFrame({"y": y, "p": y}), EvalSpec(task="multiclass", label="y", prediction="p")
                    ).attrs["warnings"] == []


# ---------------------------------------------------------------- the command line



@pytest.fixture
def preds_file(tmp_path):
    path = tmp_path / "preds.parquet"
    predictions(seed=7, decimals=3).to_parquet(path)
    return str(path)


def test_cli_threshold_table_json_and_sql(capsys, preds_file, duck):
    frame = pd.read_parquet(preds_file)
    t, _, _ = brute_force(frame["label"].to_numpy(), frame["p"].to_numpy(), Goal("recall", target=0.95))
    code, out, err = run(capsys, "threshold", preds_file, "--label", "label", "--score", "p", "--target", "recall>=0.95")
    assert code == 0 and err == ""
    assert out.splitlines()[1].split() == ["threshold", f"{t:g}"]
    assert out.splitlines()[-1].startswith(f"positive when score >= {t:g}: recall ")
    assert out.splitlines()[-1].endswith("(recall>=0.95: the highest threshold that reaches it)")
    code, out, err = run(capsys, "threshold", preds_file, "--label", "label", "--score", "p", "--cost", "fp=1,fn=20",
                         "--by", "g", "--format", "json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()] if out.lstrip().startswith("{") else json.loads(out)
    want = threshold(duck, frame, EvalSpec(task="binary", label="label", score="p", by=["g"]), cost="fp=1,fn=20")
    assert [r["threshold"] for r in rows] == list(want["threshold"])
    code, out, err = run(capsys, "threshold", "my-project.ml.preds", "--label", "label", "--score", "p",
                         "--target", "f1", "--dialect", "bigquery")
    assert code == 0 and "ROW_NUMBER() OVER (ORDER BY f1_at DESC, bin DESC)" in out


@pytest.mark.parametrize("args, error", [
    ((), "give one goal"),
    (("--target", "f1", "--cost", "fp=1,fn=2"), "give one goal"),
    (("--target", "recall>=2"), r"--target 'recall>=2': X must be a number in (0, 1]"),  # as typed
    (("--target", "precision>=1"), "precision>=1 is not reachable: the best precision is"),
    (("--target", "f1", "--search", "exact", "--bins-per-logit", "10"), "--bins-per-logit does nothing with --search exact"),
])
def test_cli_threshold_errors_are_one_line(capsys, preds_file, args, error):
    frame = pd.read_parquet(preds_file)
    frame.loc[frame["label"] == 0, "p"] = frame["p"].max()  # a negative shares the top score
    frame.to_parquet(preds_file)
    code, out, err = run(capsys, "threshold", preds_file, "--label", "label", "--score", "p", *args)
    assert code == 2 and out == "" and err.startswith("Error: ") and error in err and len(err.splitlines()) == 1


# ---------------------------------------------------------------- property: any small table, every goal

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from cli_runner import run  # noqa: E402

_DUCK = None


def _duck():
    global _DUCK
    if _DUCK is None:
        from bqml_tools.engines import DuckDBEngine

        _DUCK = DuckDBEngine()
    return _DUCK


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.0, 1e-300, 0.1, 0.25, 0.5, 0.5000000000000001,
                                                                   0.6, 0.65, 0.75, 0.9, 1 - 1e-16, 1.0])),
                     min_size=1, max_size=25),
       goal=st.sampled_from(GOALS + [Goal("precision", target=1.0), Goal("cost", fp_cost=0.0, fn_cost=1.0)]),
       mode=st.sampled_from(["exact", "binned"]), bins=st.sampled_from([1, 3, 10_000]))
def test_any_table_agrees_with_the_brute_force(rows, goal, mode, bins):
    """Exact mode returns the brute force's threshold; both modes return exact metrics at their
    threshold, and refuse exactly when the brute force finds no positives or an unmet target."""
    frame = pd.DataFrame(rows, columns=["label", "p"])
    y, s = frame["label"].to_numpy(), frame["p"].to_numpy()
    spec = EvalSpec(task="binary", label="label", score="p", auc=mode, bins_per_logit=bins if mode == "binned" else None)
    no_positives = goal.objective != "cost" and y.sum() == 0
    t, met, best = brute_force(y, s, goal) if not no_positives else (math.nan, False, math.nan)
    if no_positives or not met:
        # binned mode sees bin edges only: an unmet target may also be "not reached at any bin edge"
        # (said with the hint that a threshold inside a bin might reach it), never a threshold
        unmet = "is not reachable" if mode == "exact" else "is not reachable|is not reached at any bin edge"
        with pytest.raises(BqmlToolsError, match="no positive row" if no_positives else unmet):
            threshold(_duck(), frame, spec, goal)
        return
    try:
        row = threshold(_duck(), frame, spec, goal).iloc[0]
    except BqmlToolsError as error:  # with bins, a target reachable inside a bin only, and said so
        assert mode == "binned" and "is not reached at any bin edge" in str(error), error
        return
    if mode == "exact":
        assert row["threshold"] == t and row["bound"] == 0
    for name, value in at(y, s, row["threshold"]).items():
        assert close(row[name], value), name
    if mode == "exact":
        assert close(row["best_reachable"], best)
    else:  # the best over bin edges
        assert row["best_reachable"] >= best - 1e-12 if goal.objective == "cost" else row["best_reachable"] <= best + 1e-12
    exact, slack = at(y, s, t), row["bound"] + 1e-12
    if goal.objective == "recall":
        assert row["threshold"] <= t <= row["threshold_upper"] and exact["precision"] <= row["precision"] + slack
    elif goal.objective == "precision":
        assert row["threshold"] >= t and exact["recall"] <= row["recall"] + slack
    elif goal.objective == "f1":
        assert row["f1"] <= best + 1e-12 and best <= row["f1"] + slack
    else:
        assert row["cost"] - slack <= best <= row["cost"] + 1e-12


# ---------------------------------------------------------------- costs compared exactly (issue 17, item 8)

def brute_force_cost(y, s, fp_cost: str, fn_cost: str) -> float:
    """Every distinct score as a threshold, its cost in exact fractions, the least; ties to the higher."""
    from fractions import Fraction

    a, b = Fraction(fp_cost), Fraction(fn_cost)
    best = None
    for t in sorted(set(s), reverse=True):  # higher first: a later tie does not replace it
        fp = int(((y == 0) & (s >= t)).sum())
        fn = int(((y == 1) & (s < t)).sum())
        cost = a * fp + b * fn
        if best is None or cost < best[0]:
            best = (cost, t)
    return best[1]


def test_a_tiny_cost_is_not_zero_and_ties_go_to_the_higher_threshold(engine):
    """fn=1e-30 was snapped to 0 (threshold 0.998 instead of the least-fp one with the fewest
    misses); fp=0.1,fn=0.2 ties were broken by float rounding (0.1 * 3 + 0.2 * 1 != 0.1 * 1 + 0.2 * 2)."""
    rng = np.random.default_rng(8)
    n = 400
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(0.4 * y + rng.random(n) * 0.6, 0, 1), 2)
    table = load(engine, "ds.costs", pd.DataFrame({"y": y, "s": s}))
    spec = EvalSpec(task="binary", label="y", score="s", auc="exact")
    for fp_cost, fn_cost in (("1", "1e-30"), ("1e-30", "1"), ("0.1", "0.2"), ("0.3", "0.1"), ("1/3", "2/3")):
        got = threshold(engine, table, spec, cost=f"fp={fp_cost},fn={fn_cost}").iloc[0]
        assert got["threshold"] == brute_force_cost(y, s, fp_cost, fn_cost), (fp_cost, fn_cost)
    tiny = threshold(engine, table, spec, cost="fp=1,fn=1e-30").iloc[0]
    assert tiny["fp"] == 0 and tiny["cost"] > 0
    assert parse_cost("fp=1,fn=1e-30").fn_cost == Fraction(1, 10 ** 30)


def test_costs_that_cannot_be_compared_exactly_are_refused():
    with pytest.raises(BqmlToolsError, match=r"their exact ratio .* needs integers beyond 2\^63 to compare; write them "
                                             "with fewer digits"):
        threshold_query("t", EvalSpec(task="binary", label="y", score="s"),
                        parse_cost("fp=0.1234567890123456789012345,fn=0.9876543210987654321098767"), "duckdb")
    with pytest.raises(BqmlToolsError, match=r"goal fn= '1e999999' is not a number"):
        parse_cost("fp=1,fn=1e999999")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 1), st.sampled_from([0.1, 0.2, 0.3, 0.5, 0.7, 0.9])), min_size=10,
                     max_size=60),
       fp_cost=st.sampled_from(["0.1", "0.2", "0.3", "1", "3", "1e-30", "1e30", "1/3", "0"]),
       fn_cost=st.sampled_from(["0.1", "0.2", "0.3", "1", "7", "1e-30", "1/7"]))
def test_any_costs_choose_the_exact_least_cost_threshold(engine, rows, fp_cost, fn_cost):
    """Decimal costs that are not binary fractions, extreme ratios and ties everywhere: the threshold
    is the brute force's in exact arithmetic, ties to the higher threshold."""
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows])
    table = load(engine, "ds.anycosts", pd.DataFrame({"y": y, "s": s}))
    got = threshold(engine, table, EvalSpec(task="binary", label="y", score="s", auc="exact"),
                    cost=f"fp={fp_cost},fn={fn_cost}").iloc[0]
    assert got["threshold"] == brute_force_cost(y, s, fp_cost, fn_cost)
