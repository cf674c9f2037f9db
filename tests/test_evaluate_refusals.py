"""Hostile input for evaluate, curve and diagnose (issue 7, items 3, 4, 6 and 7).

Each test here failed on the code before the fix: column names that collide with the templates'
own, NaN and infinite numbers, scikit-learn edge conventions, options that do nothing.
"""
from __future__ import annotations

import math
import re
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from bqml_tools.core import identifiers
from bqml_tools.engines import DuckDBEngine
from bqml_tools.errors import BqmlToolsError, InvalidIdentifier
from bqml_tools.evaluation import (CURVES, EvalSpec, Thresholds, curve, curve_query, curve_unused, diagnose,
                                   evaluate, evaluate_query, output_columns)
from approx import REL, close
from tables import create_table_as, load, sized

sys.path.insert(0, str(Path(__file__).parent))
from render_cases import cases  # noqa: E402



def _literal(value, sql_type: str, dialect: str) -> str:
    float_type = "FLOAT64" if dialect == "bigquery" else "DOUBLE"
    if value is None:
        return f"CAST(NULL AS {sql_type})"
    if isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return f"CAST('{text}' AS {float_type})"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return f"CAST({value!r} AS {sql_type})"


def load_values(engine, name: str, columns: dict[str, str], rows: list[tuple]) -> str:
    """A table with exact values, NaN and infinities included (DataFrames turn NaN into NULL)."""
    types = {"float": ("FLOAT64", "DOUBLE"), "int": ("INT64", "BIGINT"), "string": ("STRING", "VARCHAR")}
    dialect = engine.dialect
    selects = []
    for row in rows:
        parts = []
        for (column, kind), value in zip(columns.items(), row):
            sql_type = types[kind][0 if dialect == "bigquery" else 1]
            parts.append(f"{_literal(value, sql_type, dialect)} AS {column}")
        selects.append("SELECT " + ", ".join(parts))
    return create_table_as(engine, name, " UNION ALL ".join(selects))


# ---------------------------------------------------------------- item 3: names never collide

def binary_frame(seed=0, n=600):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.45).astype(int)
    score = np.clip(rng.beta(2, 5, n) + 0.3 * y, 0, 1).round(3)
    return pd.DataFrame({"label": y, "score": score, "grp": rng.choice(["a", "b"], n)})


@pytest.mark.parametrize("by", ["y", "s", "n", "pos", "bin", "score_min", "pairs", "concordant", "invalid_label"])
def test_binary_by_a_working_column_name(engine, by):
    """--by y used to replace the label (positives 0 instead of 256); any working name is safe now."""
    frame = binary_frame().rename(columns={"grp": by})
    table = load(engine, "ds.collide", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=[by], auc="exact"))
    for row in got.to_dict("records"):
        part = frame[frame[by] == row[by]]
        assert row["positives"] == part["label"].sum() and row["rows"] == len(part)
        assert close(row["roc_auc"], skm.roc_auc_score(part["label"], part["score"]))
        assert close(row["log_loss"], skm.log_loss(part["label"], part["score"], labels=[0, 1]))


@pytest.mark.parametrize("by", ["n", "y", "p", "sums", "var_y", "msle"])
def test_regression_by_a_working_column_name(engine, by):
    """--by n used to give accuracy -82; regression's working names are just as safe."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"target": rng.normal(size=300), by: rng.choice([1, 2, 3], 300)})
    frame["guess"] = frame["target"] + rng.normal(scale=0.5, size=300)
    table = load(engine, "ds.collide_reg", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="target", prediction="guess", by=[by]))
    for row in got.to_dict("records"):
        part = frame[frame[by] == row[by]]
        assert row["rows"] == len(part)
        assert close(row["mse"], skm.mean_squared_error(part["target"], part["guess"]))
        assert close(row["r2"], skm.r2_score(part["target"], part["guess"]))


@pytest.mark.parametrize("by,command", [("roc_auc", "evaluate"), ("invalid_label_rows", "evaluate"),
                                        ("ROWS", "evaluate"), ("threshold", "curve roc"), ("bin", "curve calibration"),
                                        ("positives", "curve thresholds")])
def test_by_an_output_column_name_is_refused(by, command):
    """--by invalid_label_rows used to raise a false "11 rows are invalid"; --by roc_auc made two columns."""
    spec = EvalSpec(task="binary", label="label", score="score", by=[by])
    with pytest.raises(BqmlToolsError, match=f"group column '{by}' has the name of a column {command} returns"):
        if command == "evaluate":
            evaluate_query("ds.t", spec, "duckdb")
        else:
            curve_query("ds.t", spec, command.split()[1], "duckdb")


def test_multiclass_view_output_names_are_refused():
    spec = EvalSpec(task="multiclass", label="y", prediction="p", by=["predicted"])
    evaluate_query("ds.t", spec, "duckdb")  # not an output of the metrics
    for view in ("classes", "confusion"):
        with pytest.raises(BqmlToolsError, match="group column 'predicted' has the name of a column evaluate returns"):
            evaluate_query("ds.t", spec, "duckdb", view=view)


def test_by_the_label_or_score_column_is_correct(engine):
    frame = binary_frame()
    table = load(engine, "ds.bylabel", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=["label"])).set_index("label")
    assert got.loc[1, "positives"] == got.loc[1, "rows"] == frame["label"].sum()
    assert got.loc[0, "positives"] == 0 and got.loc[0, "rows"] == (frame["label"] == 0).sum()
    by_score = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=["score"]))
    assert by_score["rows"].sum() == len(frame) and by_score["score"].nunique() == frame["score"].nunique()


def test_reserved_prefix_is_refused(engine):
    frame = binary_frame().rename(columns={"grp": "_bqml_g0"})
    table = load(engine, "ds.reserved", frame)
    with pytest.raises(InvalidIdentifier, match="'_bqml_g0'.*reserved"):
        evaluate(engine, table, EvalSpec(task="binary", label="label", score="score"))
    with pytest.raises(InvalidIdentifier, match="reserved"):
        EvalSpec(task="binary", label="_BQML_label", score="score")


def test_by_columns_differing_in_case_only_are_refused():
    with pytest.raises(BqmlToolsError, match="repeat"):
        EvalSpec(task="binary", label="label", score="score", by=["g", "G"])


def test_probability_struct_fields_cannot_shadow_the_label(engine):
    """A label column named like the probability struct's fields (label, prob) or the lambda variable."""
    rng = np.random.default_rng(3)
    classes = np.array(["a", "b", "c"])
    n = 300
    probs = rng.dirichlet([1, 1, 1], n)
    y = classes[rng.integers(0, 3, n)]
    frame = pd.DataFrame({"prob": y, "_p": classes[probs.argmax(axis=1)],
                          "label": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)] for row in probs]})
    table = load(engine, "ds.shadow", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="prob", prediction="_p", probs="label", top_k=1)).iloc[0]
    assert close(got["log_loss"], skm.log_loss(y, probs, labels=classes))
    assert close(got["top_k_accuracy"], skm.top_k_accuracy_score(y, probs, k=1, labels=classes))


def _vocabulary() -> list[str]:
    """Every identifier the evaluation templates write, in any rendering."""
    words: set[str] = set()
    for name, query in cases().items():
        if name.startswith(("evaluate_", "curve_")):
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query.sql))
    return sorted(w for w in words if not w.lower().startswith(identifiers.RESERVED_PREFIX) and len(w) <= 40)


VOCABULARY = _vocabulary()
ROLES = ("bin_label", "score", "reg_label", "reg_pred", "mc_label", "mc_pred", "probs", "group", "split")


def _property_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 240
    classes = np.array(["ant", "bee", "cat"])
    probs = rng.dirichlet([2, 1, 1], n)
    y = (rng.random(n) < 0.4).astype(int)
    reg = rng.normal(size=n)
    mc = classes[rng.integers(0, 3, n)]
    mc_pred = np.where(rng.random(n) < 0.6, mc, classes[probs.argmax(axis=1)])
    return pd.DataFrame({
        "bin_label": y, "score": np.clip(rng.beta(2, 5, n) + 0.3 * y, 0, 1).round(2),
        "reg_label": reg, "reg_pred": reg + rng.normal(scale=0.7, size=n),
        "mc_label": mc, "mc_pred": mc_pred,
        "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)] for row in probs],
        "group": rng.choice(["g1", "g2"], n), "split": np.where(np.arange(n) % 4 == 0, "valid", "train"),
    })


def _runs(engine, table: str, names: dict[str, str]):
    """(label, thunk) for every evaluation template, with the columns named by ``names``."""
    b = dict(task="binary", label=names["bin_label"], score=names["score"], by=[names["group"]])
    r = dict(task="regression", label=names["reg_label"], prediction=names["reg_pred"], by=[names["group"]])
    m = dict(task="multiclass", label=names["mc_label"], prediction=names["mc_pred"], by=[names["group"]])
    yield "regression", lambda: evaluate(engine, table, EvalSpec(**r))
    yield "binary", lambda: evaluate(engine, table, EvalSpec(**b, auc="binned", bins_per_logit=100))
    yield "binary_exact", lambda: evaluate(engine, table, EvalSpec(**b, auc="exact"))
    yield "multiclass", lambda: evaluate(engine, table, EvalSpec(**m, probs=names["probs"], top_k=2))
    for view in ("classes", "confusion"):
        yield view, lambda view=view: evaluate(engine, table, EvalSpec(**m), view=view)
    for kind in CURVES:
        yield kind, lambda kind=kind: curve(engine, table, EvalSpec(**b), kind, steps=10, bins=7)
    yield "diagnose", lambda: diagnose(engine, table, EvalSpec(task="regression", label=names["reg_label"],
                                                                prediction=names["reg_pred"]),
                                       split_column=names["split"])


FRAME = _property_frame()
NEUTRAL = {role: f"c{i}" for i, role in enumerate(ROLES)}


@pytest.fixture(scope="module")
def neutral_results():
    engine = DuckDBEngine()
    table = load(engine, "ds.neutral", FRAME.rename(columns=NEUTRAL))
    return {what: run() for what, run in _runs(engine, table, NEUTRAL)}


@pytest.mark.duckdb
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(VOCABULARY), min_size=len(ROLES), max_size=len(ROLES),
                unique_by=lambda w: w.lower()))
def test_any_template_word_as_a_column_name_gives_the_same_answer(neutral_results, words):
    """Every template, with every user column named after a word the templates themselves use:
    the same numbers as with neutral names, or (a group named like an output column) a refusal."""
    names = dict(zip(ROLES, words))
    engine = DuckDBEngine()
    table = load(engine, "ds.hostile", FRAME.rename(columns=names))
    renamed = {NEUTRAL[role]: names[role] for role in ROLES}
    for what, run in _runs(engine, table, names):
        outputs = {c.lower() for c in output_columns(EvalSpec(task="multiclass", label="x", prediction="y", probs="p"),
                                                    {"diagnose": "regression", "binary_exact": "binary"}.get(what, what))}
        grouped = names["split"] if what == "diagnose" else names["group"]
        if grouped.lower() in outputs:
            with pytest.raises(BqmlToolsError, match="has the name of a column"):
                run()
            continue
        got = run()
        want = neutral_results[what].rename(columns=renamed)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"{what} with {names}")


@pytest.mark.duckdb
def test_results_hold_plain_numbers(neutral_results):
    """No DECIMAL from a literal like 0.0 on DuckDB: JSON output and float arithmetic need plain numbers."""
    import decimal

    for what, frame in neutral_results.items():
        for column in frame.columns:
            assert not any(isinstance(v, decimal.Decimal) for v in frame[column]), (what, column)


def test_output_lists_match_the_rendered_sql():
    """OUTPUTS (used to refuse colliding --by names) is what the statements really return."""
    sqlglot = pytest.importorskip("sqlglot")
    for name, query in cases().items():
        if not name.startswith(("evaluate_", "curve_")):
            continue
        tree = sqlglot.parse_one(query.sql, read=query.dialect)
        selected = [s.lower() for s in tree.named_selects]
        what = name.split(".")[0]
        kind = next((k for k in CURVES if what.startswith(f"curve_{k}_")), None)
        view = next((v for v in ("classes", "confusion") if what.endswith("_" + v)), None)
        task = kind or view or ("binary" if "binary" in what else "multiclass" if "multiclass" in what else "regression")
        spec = EvalSpec(task="multiclass", label="y", prediction="p", probs="probs" if "probs" in what else None,
                        weight="w" if "weight" in what else None)
        groups = len(selected) - len(output_columns(spec, task))
        assert selected[groups:] == list(output_columns(spec, task)), name


# ---------------------------------------------------------------- item 4: NaN and infinities

NAN, INF = float("nan"), float("inf")


def test_nan_scores_in_parquet_are_invalid(tmp_path):
    """DuckDB compared NaN as inside [0, 1] in a Parquet scan: NaN scores counted as true positives."""
    path = tmp_path / "preds.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    # a real NaN (pandas would write NULL); the file's statistics (min 0.2, max 0.9) leave NaN out,
    # and DuckDB used them to decide that `score >= 0 AND score <= 1` held for every row
    pq.write_table(pa.table({"label": pa.array([1, 0, 1, 0, 1]),
                             "score": pa.array([0.9, 0.2, NAN, 0.7, 0.6], from_pandas=False)}), path)
    engine = DuckDBEngine()
    spec = EvalSpec(task="binary", label="label", score="score")
    with pytest.raises(BqmlToolsError, match=r"^1 row\(s\) have a NULL, NaN or infinite score or one outside \[0, 1\]"):
        evaluate(engine, str(path), spec)
    got = evaluate(engine, str(path), EvalSpec(task="binary", label="label", score="score", invalid="exclude")).iloc[0]
    assert got["rows"] == 4 and got["tp"] == 2 and got["invalid_score_rows"] == 1
    for kind in CURVES:
        with pytest.raises(BqmlToolsError, match=r"^1 row\(s\) have a NULL, NaN or infinite score"):
            curve(engine, str(path), spec, kind)


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_regression_nan_and_inf_are_counted(engine, bad):
    rows = [(1.0, 1.5), (2.0, bad), (bad, 3.0), (4.0, 4.5), (5.0, 4.0)]
    table = load_values(engine, "ds.regnan", {"y": "float", "p": "float"}, rows)
    with pytest.raises(BqmlToolsError, match=r"2 row\(s\) have a NULL, NaN or infinite label \(y\) or prediction \(p\)"):
        evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p"))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", invalid="exclude")).iloc[0]
    assert got["rows"] == 3 and got["invalid_rows"] == 2
    assert close(got["mse"], skm.mean_squared_error([1, 4, 5], [1.5, 4.5, 4.0]))
    assert close(got["mean_squared_log_error"], skm.mean_squared_log_error([1, 4, 5], [1.5, 4.5, 4.0]))


@pytest.mark.parametrize("bad", [NAN, INF])
def test_binary_nan_scores_and_labels(engine, bad):
    rows = [(1.0, 0.9), (0.0, 0.2), (1.0, bad), (bad, 0.4), (0.0, 0.6), (1.0, 0.3)]
    table = load_values(engine, "ds.binnan", {"label": "float", "score": "float"}, rows)
    spec = EvalSpec(task="binary", label="label", score="score", invalid="exclude")
    got = evaluate(engine, table, spec).iloc[0]
    assert (got["rows"], got["invalid_label_rows"], got["invalid_score_rows"]) == (4, 1, 1)
    assert close(got["log_loss"], skm.log_loss([1, 0, 0, 1], [0.9, 0.2, 0.6, 0.3]))


def test_multiclass_nan_class_and_probability(engine):
    rows = [(1.0, 1.0, 0.7), (2.0, 1.0, 0.2), (NAN, 2.0, 0.5), (2.0, 2.0, NAN), (1.0, 2.0, 0.4)]
    table = load_values(engine, "ds.mcnan", {"y": "float", "p": "float", "q": "float"}, rows)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", invalid="exclude")).iloc[0]
    assert got["rows"] == 4 and got["invalid_rows"] == 1
    assert close(got["accuracy"], skm.accuracy_score([1, 2, 2, 1], [1, 1, 2, 2]))


@pytest.mark.parametrize("kind", CURVES)
def test_curves_refuse_or_exclude_invalid_rows_like_evaluate(engine, kind):
    frame = pd.DataFrame({"label": [0, 1, 2, None, 1, 0, 1, 0], "score": [0.1, 1.2, 0.5, 0.5, None, 0.3, 0.8, 0.6],
                          "g": ["a", "a", "a", "a", "b", "b", "b", "c"]})
    table = load(engine, "ds.badcurve", frame.astype({"label": "Int64"}))
    spec = EvalSpec(task="binary", label="label", score="score", by=["g"])
    with pytest.raises(BqmlToolsError) as evaluate_error:
        evaluate(engine, table, spec)
    with pytest.raises(BqmlToolsError) as curve_error:
        curve(engine, table, spec, kind)
    assert str(curve_error.value) == str(evaluate_error.value)
    assert str(curve_error.value).startswith("2 row(s) have a NULL label or one that is not binary in label")
    excluded = EvalSpec(task="binary", label="label", score="score", by=["g"], invalid="exclude")
    got = curve(engine, table, excluded, kind)
    counted = [w for w in evaluate(engine, table, excluded).attrs["warnings"] if w.startswith("excluded")]
    assert got.attrs["warnings"] == counted and len(counted) == 2
    valid = frame.dropna().query("label in (0, 1) and score <= 1")
    if kind == "roc":
        assert list(got.columns) == ["g", "threshold", "fpr", "tpr", "tp", "fp"]
        assert sorted(got["g"].unique()) == ["a", "b", "c"]  # group a keeps its one valid row
        assert got.groupby("g")["tp"].max().to_dict() == valid.groupby("g")["label"].sum().to_dict()
    if kind == "calibration":
        assert got["rows"].sum() == len(valid)


def test_curves_of_a_group_with_only_invalid_rows(engine):
    frame = pd.DataFrame({"label": [0, 1, 1, 0], "score": [0.2, 0.9, 1.5, 1.7], "g": ["a", "a", "b", "b"]})
    table = load(engine, "ds.onlybad", frame)
    spec = EvalSpec(task="binary", label="label", score="score", by=["g"], invalid="exclude")
    for kind in CURVES:
        got = curve(engine, table, spec, kind, steps=4)
        assert set(got["g"]) == {"a"}, kind
        assert got.attrs["warnings"] == ["excluded 2 row(s) have a NULL, NaN or infinite score or one outside [0, 1] in score"]


@pytest.mark.parametrize("view", ["classes", "confusion"])
def test_multiclass_views_refuse_or_exclude_invalid_rows_like_the_metrics(engine, view):
    """The per-class and confusion views used to drop invalid rows silently, whatever --invalid said."""
    frame = pd.DataFrame({"y": ["a", "b", None, "a", "b", "c"], "p": ["a", "a", "b", None, "b", None],
                          "g": ["x", "x", "x", "x", "x", "z"]})
    table = load(engine, "ds.mcviews", frame)
    spec = EvalSpec(task="multiclass", label="y", prediction="p", by=["g"])
    with pytest.raises(BqmlToolsError) as metrics_error:
        evaluate(engine, table, spec)
    with pytest.raises(BqmlToolsError) as view_error:
        evaluate(engine, table, spec, view=view)
    assert str(view_error.value) == str(metrics_error.value)
    assert str(view_error.value).startswith("3 row(s) have a NULL label (y) or prediction (p)")
    excluded = EvalSpec(task="multiclass", label="y", prediction="p", by=["g"], invalid="exclude")
    got = evaluate(engine, table, excluded, view=view)
    excluded_warnings = [w for w in evaluate(engine, table, excluded).attrs["warnings"] if w.startswith("excluded")]
    assert got.attrs["warnings"] == excluded_warnings  # the metrics add the imbalance guard's warning
    assert set(got["g"]) == {"x"}  # group z has no valid row
    assert (got["support"].sum() if view == "classes" else got["rows"].sum()) == 3


@pytest.mark.parametrize("what", ["evaluate"] + list(CURVES))
def test_positive_value_no_row_has_is_an_error(engine, what):
    frame = pd.DataFrame({"label": ["ham", "spam", "ham"], "score": [0.1, 0.8, 0.4]})
    table = load(engine, "ds.named", frame)
    spec = EvalSpec(task="binary", label="label", score="score", positive="Spam")
    with pytest.raises(BqmlToolsError, match="positive 'Spam': no evaluated row has this value in label"):
        evaluate(engine, table, spec) if what == "evaluate" else curve(engine, table, spec, what)


# ---------------------------------------------------------------- item 6: scikit-learn's edge conventions

def test_log_loss_clips_at_machine_epsilon(engine):
    """Confident mistakes (scores exactly 0 and 1, as random forests give) weigh as in scikit-learn 1.9."""
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    s = np.array([0.0, 1.0, 1.0, 0.0, 0.7, 1e-17, 0.3, 1 - 1e-17])
    table = load(engine, "ds.confident", pd.DataFrame({"label": y, "score": s}))
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score")).iloc[0]
    assert close(got["log_loss"], skm.log_loss(y, s))


def test_multiclass_log_loss_clips_at_machine_epsilon(engine):
    classes = np.array(["a", "b", "c"])
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    y = np.array(["b", "b", "c", "c"])
    frame = pd.DataFrame({"y": y, "p": classes[probs.argmax(axis=1)],
                          "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)] for row in probs]})
    table = load(engine, "ds.mcconfident", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs")).iloc[0]
    assert close(got["log_loss"], skm.log_loss(y, probs, labels=classes))


def test_calibration_bin_edges_as_calibration_curve(engine):
    """Scores on an inner edge go to the lower bin, with edges as np.linspace computes them."""
    edges = np.linspace(0.0, 1.0, 11)
    s = np.concatenate([edges, [0.3, 0.7, 0.6, 0.05, 0.95, 0.1 + 1e-17], np.nextafter(edges[1:-1], 1)])
    y = (np.arange(len(s)) % 3 == 0).astype(int)
    table = load(engine, "ds.edges", pd.DataFrame({"label": y, "score": s}))
    got = curve(engine, table, EvalSpec(task="binary", label="label", score="score"), "calibration", bins=10)
    want = np.searchsorted(edges[1:-1], s)
    assert dict(zip(got["bin"], got["rows"])) == dict(zip(*np.unique(want, return_counts=True)))
    prob_true, prob_pred = calibration_curve(y, s, n_bins=10)
    np.testing.assert_allclose(got["observed_rate"], prob_true, rtol=REL)
    np.testing.assert_allclose(got["mean_score"], prob_pred, rtol=REL)
    np.testing.assert_array_equal(got["bin_lower"], edges[got["bin"]])
    np.testing.assert_array_equal(got["bin_upper"], edges[got["bin"] + 1])


def test_top_k_true_class_missing_from_the_probabilities(engine):
    """A class absent from the array has probability 0: not a hit at k=1 (it was: 1.0 vs 0.667)."""
    classes = np.array(["a", "b", "c"])
    probs = np.array([[0.7, 0.3, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]])
    y = np.array(["a", "b", "c"])
    frame = pd.DataFrame({"y": y, "p": classes[probs.argmax(axis=1)],
                          "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes[:2], row[:2])] for row in probs]})
    table = load(engine, "ds.missing", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs", top_k=1)).iloc[0]
    assert close(got["top_k_accuracy"], skm.top_k_accuracy_score(y, probs, k=1, labels=classes))
    assert close(got["log_loss"], skm.log_loss(y, probs, labels=classes))


@pytest.mark.parametrize("zero_division", ["null", "sklearn"])
def test_multiclass_macro_averages_ignore_excluded_rows(engine, zero_division):
    rng = np.random.default_rng(9)
    n = 400
    y = rng.choice(["a", "b", "c"], n)
    p = np.where(rng.random(n) < 0.7, y, rng.choice(["a", "b", "c", "d"], n))
    frame = pd.DataFrame({"y": y, "p": p})
    frame.loc[::7, "p"] = None
    frame.loc[::11, "y"] = None
    table = load(engine, "ds.mcexclude", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", invalid="exclude",
                                           zero_division=zero_division)).iloc[0]
    valid = frame.dropna()
    assert got["invalid_rows"] == len(frame) - len(valid)
    sk_zero = np.nan if zero_division == "null" else 0
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert close(got[f"macro_{name}"], fn(valid["y"], valid["p"], average="macro", zero_division=sk_zero)), name


def test_sklearn_zero_division_one_class_group(engine):
    frame = pd.DataFrame({"label": [0, 0, 0, 1, 1, 1, 0, 1], "score": [0.1, 0.6, 0.3, 0.2, 0.9, 0.7, 0.8, 0.4],
                          "g": ["neg", "neg", "neg", "pos", "pos", "pos", "mix", "mix"]})
    table = load(engine, "ds.oneclass", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=["g"],
                                           zero_division="sklearn")).set_index("g")
    for group, part in frame.groupby("g"):
        y, s = part["label"].to_numpy(), part["score"].to_numpy()
        with np.errstate(all="ignore"), pytest.warns() if len(set(y)) == 1 else _nothing():
            assert close(got.loc[group, "balanced_accuracy"], skm.balanced_accuracy_score(y, s >= 0.5)), group
            assert close(got.loc[group, "average_precision"], skm.average_precision_score(y, s)), group


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_binned_auc_order_is_total_at_the_finest_bins(engine):
    """1e-300's bin (logit -690.8 * 10^7) used to sort below the exact-0 sentinel -1e9."""
    s = np.array([0.0, 5e-324, 1e-300, 1 - 1e-16, 1.0])  # 5e-324: the smallest double, logit -744.4
    y = np.array([0, 0, 1, 0, 1])
    table = load(engine, "ds.sentinel", pd.DataFrame({"label": y, "score": s}))
    spec = EvalSpec(task="binary", label="label", score="score", auc="binned", bins_per_logit=10**7)
    got = evaluate(engine, table, spec).iloc[0]
    assert close(got["roc_auc"], skm.roc_auc_score(y, s)) and got["roc_auc_error_bound"] == 0
    roc = curve(engine, table, spec, "roc")
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(roc["fpr"], fpr[1:])
    np.testing.assert_allclose(roc["tpr"], tpr[1:])


# ---------------------------------------------------------------- item 7: nonsense settings, validation skill

@pytest.mark.parametrize("kwargs", [dict(overfit_gap=float("nan")), dict(overfit_gap=-1), dict(underfit_skill=float("inf")),
                                    dict(underfit_skill=-0.1), dict(underfit_skill=1.5), dict(overfit_gap=True),
                                    dict(overfit_gap="0.1")])
def test_nonsense_thresholds_are_refused(kwargs):
    with pytest.raises(BqmlToolsError, match=r"^(overfit_gap|underfit_skill) .* must be a finite number"):
        Thresholds(**kwargs)


@pytest.mark.parametrize("kwargs,message", [
    (dict(task="regression", label="y", prediction="p", score="s"), "score does nothing for task regression"),
    (dict(task="regression", label="y", prediction="p", threshold=0.3), "threshold does nothing for task regression"),
    (dict(task="binary", label="y", score="s", prediction="p"), "prediction does nothing for task binary"),
    (dict(task="binary", label="y", score="s", probs="q"), "score s and probs q both give the score: give one of them"),
    (dict(task="binary", label="y", probs="q"), "probs q needs positive=..."),
    (dict(task="multiclass", label="y", prediction="p", top_k=2), "EvalSpec(top_k=2) needs probs=..."),
    (dict(task="multiclass", label="y", prediction="p", positive="a"), "positive does nothing for task multiclass"),
    (dict(task="multiclass", label="y", prediction="p", auc="exact"), "auc does nothing for task multiclass"),
    (dict(task="binary", label="y", score="s", auc="exact", bins_per_logit=5), "EvalSpec(bins_per_logit=5) does nothing with auc='exact'"),
])
def test_options_that_do_nothing_are_refused(kwargs, message):
    with pytest.raises(BqmlToolsError, match="^" + re.escape(message)):
        EvalSpec(**kwargs)


@pytest.mark.parametrize("kind,option", [("roc", "threshold"), ("calibration", "zero_division"),
                                         ("thresholds", "auc"), ("calibration", "bins_per_logit")])
def test_curve_options_that_do_nothing_are_refused(kind, option):
    value = {"threshold": 0.3, "zero_division": "sklearn", "auc": "binned", "bins_per_logit": 50}[option]
    spec = EvalSpec(task="binary", label="y", score="s", **{option: value})
    assert option in curve_unused(kind)
    with pytest.raises(BqmlToolsError, match=f"{option} does nothing for curve {kind}"):
        curve_query("ds.t", spec, kind, "duckdb")


def test_diagnose_refuses_options_it_ignores(engine):
    with pytest.raises(BqmlToolsError, match=r"diagnose groups by the split column \(split\) itself: leave by out"):
        diagnose(engine, "ds.t", EvalSpec(task="regression", label="y", prediction="p", by=["g"]))
    with pytest.raises(BqmlToolsError, match="threshold does nothing for diagnose"):
        diagnose(engine, "ds.t", EvalSpec(task="binary", label="y", score="p", threshold=0.2))


def test_diagnose_reports_no_skill_on_validation(engine):
    """Train skill and gap both pass, but validation is no better than a constant: not a good fit."""
    rng = np.random.default_rng(4)
    n = 4000
    split = np.where(np.arange(n) % 5 == 0, "valid", "train")
    # train: labels N(0, 3), predictions 0.15 * label (skill 15%); valid: labels N(0, 2) and
    # predictions of pure noise (rmse 2.5 > the constant's 2), yet within 10% of train's error
    y = np.where(split == "train", rng.normal(0, 3, n), rng.normal(0, 2, n))
    p = np.where(split == "train", 0.15 * y, rng.normal(0, 1.5, n))
    frame = pd.DataFrame({"y": y, "p": p, "split": split})
    table = load(engine, "ds.noskill", frame)
    got = diagnose(engine, table, EvalSpec(task="regression", label="y", prediction="p")).iloc[0]
    valid = frame[frame["split"] == "valid"]
    assert close(got["valid_baseline"], float(np.std(valid["y"])))
    assert close(got["valid_skill"], 1 - math.sqrt(skm.mean_squared_error(valid["y"], valid["p"])) / np.std(valid["y"]))
    assert got["valid_skill"] <= 0 < got["skill"] and got["gap"] <= 0.1
    assert got["verdict"] == "no skill on validation", got["reason"]
    assert "no better than a constant predictor's" in got["reason"]


def test_top_k_ties_follow_sklearn(engine):
    """A one-hot classifier right half the time: every other class ties at 0. Counting each tie as a
    hit gave top-2 = 1.0; scikit-learn ranks the greater of tied classes first (0.72 here)."""
    rng = np.random.default_rng(5)
    classes = np.array(["a", "b", "c", "d"])
    n = 400
    y = rng.choice(classes, n, p=[0.4, 0.3, 0.2, 0.1])
    p = np.where(rng.random(n) < 0.5, y, rng.choice(classes, n))
    probs = (p[:, None] == classes[None, :]).astype(float)
    frame = pd.DataFrame({"y": y, "p": p, "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)]
                                                   for row in probs]})
    table = load(engine, "ds.topties", frame)
    for k in (1, 2, 3):
        got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs",
                                               top_k=k)).iloc[0]
        want = skm.top_k_accuracy_score(y, probs, k=k, labels=classes)
        assert close(got["top_k_accuracy"], want), (k, got["top_k_accuracy"], want)
    assert want < 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 3), st.lists(st.sampled_from([0.0, 0.25, 0.5]), min_size=4, max_size=4),
                               st.sampled_from([0.5, 1.0, 2.0])), min_size=1, max_size=30),
       k=st.integers(1, 3), numeric=st.booleans())
def test_any_tied_probabilities_give_sklearns_top_k(engine, rows, k, numeric):
    """Probabilities from three values, so ties everywhere, for text or integer classes, with and
    without weights: top_k_accuracy is scikit-learn's (its tie rule: the greater class first)."""
    classes = np.array([3, 10, 20, 100]) if numeric else np.array(["B", "a", "b", "ab"])  # sorted: B < a < ab < b
    classes = np.sort(classes)
    y = classes[[r[0] for r in rows]]
    probs = np.array([r[1] for r in rows])
    w = np.array([r[2] for r in rows])
    frame = pd.DataFrame({"y": y, "p": y, "w": w, "probs": [
        [{"label": c.item(), "prob": float(q)} for c, q in zip(classes, row)] for row in probs]})
    table = load(engine, "ds.anyties", frame)
    for weight in (None, "w"):
        got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs", top_k=k,
                                               weight=weight)).iloc[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = skm.top_k_accuracy_score(y, probs, k=k, labels=classes, sample_weight=w if weight else None)
        assert close(got["top_k_accuracy"], want), (weight, got["top_k_accuracy"], want)


# ---------------------------------------------------------------- a text label with a stray value (issue 17, item 4)

def stray_frame(n=300, seed=4):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1), 3)
    label = np.where(y == 1, "malignant", "benign").astype(object)
    label[rng.choice(np.flatnonzero(y == 1), 12, replace=False)] = "Malignant "  # a typo of the positive
    return pd.DataFrame({"diagnosis": label, "score": s, "other": np.round(s[::-1], 3), "id": np.arange(n)})


def test_a_third_label_value_is_refused_naming_it(engine):
    """The typo counted as negative without a word (AUC 0.997 -> 0.967); scikit-learn raises."""
    from bqml_tools.evaluation.comparison import compare
    from bqml_tools.evaluation.decisions import threshold

    frame = stray_frame()
    table = load(engine, "ds.stray", frame)
    with pytest.raises(ValueError, match="multiclass"):  # the oracle refuses the label too
        skm.precision_score(frame["diagnosis"], np.where(frame["score"] >= 0.5, "malignant", "benign"),
                            pos_label="malignant")
    spec = EvalSpec(task="binary", label="diagnosis", score="score", positive="malignant")
    match = "label 'diagnosis' holds more than one value besides the positive 'malignant': at least 'Malignant ' and 'benign'"
    for run in (lambda: evaluate(engine, table, spec),
                lambda: evaluate(engine, table, replace(spec, invalid="exclude", by=["id"])),
                lambda: curve(engine, table, spec, "roc"),
                lambda: threshold(engine, table, spec, "recall>=0.9"),
                lambda: compare(engine, table, replace(spec, key=["id"], ci=0.9), "other")):
        with pytest.raises(BqmlToolsError, match=match):
            run()
    fixed = frame.assign(diagnosis=frame["diagnosis"].str.strip().str.lower())
    got = evaluate(engine, load(engine, "ds.stray_fixed", fixed), spec).iloc[0]
    assert close(got["roc_auc"], skm.roc_auc_score(fixed["diagnosis"] == "malignant", fixed["score"]))


def test_a_third_numeric_label_value_is_refused(engine):
    table = load(engine, "ds.stray_numbers", pd.DataFrame({"y": [1, 2, 3, 1, 2], "s": [0.9, 0.2, 0.4, 0.8, 0.1]}))
    with pytest.raises(BqmlToolsError, match=r"label 'y' holds more than one value besides the positive 1: at least 2 and 3, .*a CASE on y"):
        evaluate(engine, table, EvalSpec(task="binary", label="y", score="s", positive="1"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["yes", "no", "No", "yes ", None]),
                               st.sampled_from([0.1, 0.35, 0.5, 0.8, 1.0])), min_size=1, max_size=25))
def test_any_label_with_an_extra_value_is_refused(engine, rows):
    """Labels from 'yes' (the positive), 'no', and the strays 'No' and 'yes ' (and NULL, left out):
    refused exactly when more than one value other than the positive occurs (scikit-learn refuses those
    labels); else its AUC."""
    frame = pd.DataFrame(rows, columns=["y", "s"])
    assume(frame["y"].notna().any())  # a column of NULLs only has no text type
    table = load(engine, "ds.anystray", frame)
    spec = EvalSpec(task="binary", label="y", score="s", positive="yes", invalid="exclude")
    values = set(frame["y"].dropna())
    if "yes" not in values:  # the positive value itself is the typo: said first
        with pytest.raises(BqmlToolsError, match="no evaluated row"):
            evaluate(engine, table, spec)
        return
    if len(values) > 2:
        with pytest.raises(BqmlToolsError, match="holds more than one value besides the positive 'yes'"):
            evaluate(engine, table, spec)
        return
    got = evaluate(engine, table, spec).iloc[0]
    valid = frame.dropna()
    want = skm.roc_auc_score(valid["y"] == "yes", valid["s"]) if len(values) == 2 else float("nan")
    assert close(got["roc_auc"], want)
