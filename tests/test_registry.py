"""The metric registry (bqml_tools.evaluation.registry) drives every command's output names, and the
generic checks every metric must pass: what a command returns is declared, a group column may not take a
declared name, unit weights change nothing and integer weights are repeated rows."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bqml_tools as bt
from bqml_tools.engines import DuckDBEngine
from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import intervals, registry
from bqml_tools.evaluation.outputs import OUTPUTS

from cli_runner import run as run_cli
from tables import load

LABELS = {"binary": "label", "regression": "y", "multiclass": "c"}
MODELS = {"binary": ("p", "q"), "regression": ("yh", "yh2"), "multiclass": ("ch", "ch2")}


def predictions(n: int = 300, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    classes = np.array(["x", "y", "z"])
    c = rng.integers(0, 3, n)
    y = rng.normal(3, 1, n)
    return pd.DataFrame({
        "k": rng.integers(0, 60, n), "g": rng.choice(["a", "b"], n), "w": rng.integers(0, 4, n).astype(float),
        "label": label, "p": np.clip(0.3 * label + rng.uniform(0, 0.7, n), 0, 1), "q": rng.uniform(size=n),
        "y": y, "yh": y + rng.normal(0, 0.7, n), "yh2": y + rng.normal(0, 1.0, n),
        "c": classes[c], "ch": classes[np.where(rng.uniform(size=n) < 0.6, c, rng.integers(0, 3, n))],
        "ch2": classes[rng.integers(0, 3, n)],
    })


def spec_for(task: str, *, by: tuple[str, ...] = ("g",), weight: str | None = None, ci: float | None = None,
             min_slice_rows: int | None = None) -> bt.EvalSpec:
    model = {"score": "p"} if task == "binary" else {"prediction": MODELS[task][0]}
    return bt.EvalSpec(task=task, label=LABELS[task], by=by, weight=weight, ci=ci, key=("k",) if ci else (),
                       min_slice_rows=min_slice_rows, **model)


# ---- the registry is what the rest of the package reads

def test_the_intervals_and_outputs_read_the_registry():
    for task in registry.TASKS:
        assert OUTPUTS[task] == tuple(m.name for m in registry.metrics(task))
        assert intervals.METRICS[task] == tuple(m.name for m in registry.metrics(task) if m.interval != "none")
    assert intervals.NOT_A_SCORE == {"mean_label", "mean_prediction", "base_rate"}
    assert intervals.LOWER_IS_BETTER == {m.name for m in registry.REGISTRY if m.lower_is_better and m.name in intervals.BOUNDS}
    for m in registry.REGISTRY:
        assert m.doc and m.role in (registry.SCORE, registry.DESCRIPTION, registry.COUNT, registry.REFERENCE), m
        low, high = m.bounds
        assert low < high, m
        if m.role == registry.SCORE and m.bounds == registry.PROBABILITY and not m.lower_is_better:
            assert m.name not in intervals.LOWER_IS_BETTER


def test_bigquery_ml_evaluate_names_map_to_the_metrics_with_the_same_value():
    """ML.EVALUATE's columns (BigQuery ML reference) and the bqml_tools metric each one equals."""
    assert registry.ml_evaluate("binary") == {"precision": "precision", "recall": "recall", "accuracy": "accuracy",
                                              "f1_score": "f1", "log_loss": "log_loss", "roc_auc": "roc_auc"}
    assert registry.ml_evaluate("regression") == {
        "mean_absolute_error": "mae", "mean_squared_error": "mse", "mean_squared_log_error": "mean_squared_log_error",
        "median_absolute_error": "median_absolute_error", "r2_score": "r2", "explained_variance": "explained_variance"}
    assert registry.ml_evaluate("multiclass") == {"precision": "macro_precision", "recall": "macro_recall",
                                                  "accuracy": "accuracy", "f1_score": "macro_f1",
                                                  "log_loss": "log_loss", "roc_auc": "roc_auc"}


# ---- issue 17, item 1: an output name as a group column

def test_an_interval_bound_as_the_group_column_is_refused_not_silently_replaced():
    frame = predictions().rename(columns={"g": "roc_auc_lower"})
    spec = bt.EvalSpec(task="binary", label="label", score="p", by=("roc_auc_lower",), ci=0.9, key=("k",))
    with pytest.raises(BqmlToolsError, match="group column 'roc_auc_lower' has the name of a column evaluate returns"):
        bt.evaluate(DuckDBEngine(), frame, spec)


def test_the_cli_refuses_an_interval_bound_as_by_in_one_line(capsys, tmp_path):
    path = tmp_path / "preds.parquet"
    predictions().rename(columns={"g": "roc_auc_lower"}).to_parquet(path)
    code, out, err = run_cli(capsys, "evaluate", str(path), "--task", "binary", "--label", "label", "--score", "p",
                             "--by", "roc_auc_lower", "--ci", "0.9", "--key", "k")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "group column 'roc_auc_lower' has the name of a column evaluate returns" in err


COMMANDS = st.one_of(
    st.fixed_dictionaries({"command": st.just("evaluate"), "task": st.sampled_from(registry.TASKS),
                           "weight": st.booleans(), "ci": st.booleans(), "slices": st.booleans()}),
    st.fixed_dictionaries({"command": st.just("evaluate"), "task": st.just("multiclass"),
                           "view": st.sampled_from(sorted(registry.VIEWS)), "weight": st.booleans()}),
    st.fixed_dictionaries({"command": st.just("curve"), "kind": st.sampled_from(sorted(registry.CURVES)),
                           "weight": st.booleans()}),
    st.fixed_dictionaries({"command": st.just("threshold"), "weight": st.booleans()}),
    st.fixed_dictionaries({"command": st.just("compare"), "task": st.sampled_from(registry.TASKS),
                           "weight": st.booleans()}),
)


def declared(case: dict) -> tuple[str, ...]:
    task = case.get("task", "binary")
    return registry.output_names(case["command"], task=task, view=case.get("view", "metrics"), kind=case.get("kind"),
                                 probs=False, weight=case["weight"], ci=case.get("ci", False),
                                 slices=case.get("slices", False), models=MODELS[task] if case["command"] == "compare" else ())


def run(case: dict, frame: pd.DataFrame, group: str) -> pd.DataFrame:
    engine, task = DuckDBEngine(), case.get("task", "binary")
    weight = "w" if case["weight"] else None
    if case["command"] == "evaluate":
        spec = spec_for(task, by=(group,), weight=weight, ci=0.9 if case.get("ci") else None,
                        min_slice_rows=5 if case.get("slices") else None)
        return bt.evaluate(engine, frame, spec, view=case.get("view", "metrics"))
    if case["command"] == "curve":
        return bt.curve(engine, frame, spec_for("binary", by=(group,), weight=weight), case["kind"])
    if case["command"] == "threshold":
        return bt.threshold(engine, frame, spec_for("binary", by=(group,), weight=weight), "f1")
    spec = bt.EvalSpec(task=task, label=LABELS[task], by=(group,), weight=weight, ci=0.9, key=("k",),
                       **({"score": "p"} if task == "binary" else {"prediction": MODELS[task][0]}))
    return bt.compare(engine, frame, spec, MODELS[task][1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=COMMANDS, data=st.data())
def test_every_output_of_every_command_is_declared_and_refused_as_a_group_column(case, data):
    """The class of issue 17 item 1: whatever a command returns is in registry.output_names, and a group
    column with any of those names (in any case) is refused in one line before a query runs."""
    frame = predictions()
    result = run(case, frame, "g")
    names = declared(case)
    assert set(result.columns) - {"g"} <= set(names), set(result.columns) - {"g"} - set(names)
    name = data.draw(st.sampled_from(sorted(names)))
    name = data.draw(st.sampled_from([name, name.upper()]))
    if name.lower() in {c.lower() for c in frame.columns}:
        frame = frame.drop(columns=[c for c in frame.columns if c.lower() == name.lower()])
    if name.lower() in {"w", "k", "label", "p", "q", "y", "yh", "yh2", "c", "ch", "ch2"}:
        return  # a model, label, key or weight column of the case itself (refused on other grounds)
    with pytest.raises(BqmlToolsError, match=f"group column '{name}' has the name of a column .* returns"):
        run(case, frame.rename(columns={"g": name}), name)


# ---- generic, registry-driven checks of every metric on every engine

def _values(frame: pd.DataFrame, task: str, roles: tuple[str, ...], dialect: str) -> dict[tuple[str, str], float]:
    """(group, metric) -> value for the registry's metrics of ``roles``, except those approximate on ``dialect``
    (BigQuery's unweighted median is APPROX_QUANTILES, its weighted one exact to 12 bits)."""
    names = [m.name for m in registry.metrics(task)
             if m.role in roles and m.name in frame.columns and dialect not in m.approximate_on]
    return {(row["g"], n): row[n] for row in frame.to_dict("records") for n in names}


def _same(got: dict, expected: dict, tolerance: float = 1e-9) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        other = got[key]
        if pd.isna(value) or pd.isna(other):
            assert pd.isna(value) and pd.isna(other), (key, other, value)
        else:
            assert math.isclose(float(other), float(value), rel_tol=tolerance, abs_tol=tolerance), (key, other, value)


ESTIMATES = (registry.SCORE, registry.DESCRIPTION, registry.REFERENCE)


@pytest.mark.parametrize("task", registry.TASKS)
def test_unit_weights_give_every_metric_of_the_unweighted_evaluation(engine, task):
    frame = predictions().assign(w=1.0)
    table = load(engine, f"ds.registry_unit_{task}", frame)
    weighted = bt.evaluate(engine, table, spec_for(task, weight="w"))
    plain = bt.evaluate(engine, table, spec_for(task))
    roles = ESTIMATES + (registry.COUNT,)
    _same(_values(weighted, task, roles, engine.dialect), _values(plain, task, roles, engine.dialect))


@pytest.mark.parametrize("task", registry.TASKS)
def test_integer_weights_are_repeated_rows_for_every_metric(engine, task):
    # weights 1..3: a weight-0 row is not quite a dropped row (its negative label still makes
    # mean_squared_log_error NULL, as scikit-learn refuses negative values whatever their weight)
    frame = predictions(seed=3).assign(w=lambda f: f["w"].clip(lower=1))
    repeated = frame.loc[frame.index.repeat(frame["w"].astype(int))].reset_index(drop=True)
    weighted = bt.evaluate(engine, load(engine, f"ds.registry_w_{task}", frame), spec_for(task, weight="w"))
    plain = bt.evaluate(engine, load(engine, f"ds.registry_rep_{task}", repeated), spec_for(task))
    # rows counts rows (not weight), so it differs; every estimate, and every weighted count, is the same
    _same(_values(weighted, task, ESTIMATES, engine.dialect), _values(plain, task, ESTIMATES, engine.dialect))
