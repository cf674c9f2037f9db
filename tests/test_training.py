"""Training-history diagnosis: hand-made histories with known answers, and a brute force on random
histories, on DuckDB and the emulator."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bqml_tools.errors import BqmlToolsError, UnknownColumn
from bqml_tools.evaluation.training import diagnose_history, diagnose_training, history, training_query
from tables import load

IT = np.arange(1, 21)


def frame(run=0, loss=None, eval_loss=None, rate=0.1, iterations=IT):
    n = len(iterations)
    return pd.DataFrame({"training_run": run, "iteration": iterations,
                         "loss": loss if loss is not None else 1 / iterations,
                         "eval_loss": eval_loss if eval_loss is not None else [math.nan] * n,
                         "learning_rate": rate})


HISTORIES = {
    # loss and eval_loss flatten out: converged, best at the end
    "smooth": frame(0, 1 / IT ** 2, 0.1 + 1 / IT ** 2),
    # eval_loss is lowest at 8 and rises from there while loss falls
    "over-fitting": frame(1, 1 / IT, 0.5 + 0.002 * (IT - 8) ** 2),
    # loss zigzags: oscillating, the suggestion halves the rate
    "oscillating": frame(2, 1 / IT + 0.1 * (-1.0) ** IT, 1.2 / IT + 0.1 * (-1.0) ** IT, rate=0.8),
    # two iterations
    "too short": frame(3, np.array([1.0, 0.5]), np.array([1.1, 0.7]), iterations=np.array([1, 2])),
    # no validation: the loss still falls steeply at the end
    "no validation": frame(4, 10 - IT * 0.5),
}


def load_history(engine, name, data):
    data = data.copy()
    data["training_run"] = data["training_run"].astype("int64")
    return load(engine, name, data)


def test_hand_made_histories(engine):
    table = load_history(engine, "ds.history", pd.concat(HISTORIES.values(), ignore_index=True))
    got = diagnose_training(engine, table).set_index("training_run")
    assert list(got.index) == [0, 1, 2, 3, 4]
    assert got.loc[0, "verdict"] == "converged" and got.loc[0, "best_iteration"] == 20
    assert pd.isna(got.loc[0, "overfit_from_iteration"]) and not got.loc[0, "oscillating"]
    assert got.loc[0, "gap"] == pytest.approx(0.1 / (0.1 + 1 / 400))  # eval_loss 0.1025, loss 0.0025
    assert "eval_loss is 98% above the training loss (more than 10%): the model fits train better" in got.loc[0, "reason"]
    over = got.loc[1]
    assert over["verdict"] == "over-fitting" and over["best_iteration"] == 8 and over["best_eval_loss"] == 0.5
    # eval_loss stays within 1% of its range (0.288) above 0.5 up to iteration 9 (0.502): over-fitting from 10
    assert over["overfit_from_iteration"] == 10
    assert "stop at iteration 8 (early stopping)" in over["reason"]
    osc = got.loc[2]
    assert osc["verdict"] == "oscillating" and osc["oscillating"] and osc["loss_direction_changes"] == 17  # 0.9, 0.6, 0.23 fall, then zigzag
    assert osc["learning_rate"] == 0.8 and osc["suggested_learning_rate"] == 0.4
    assert "lower the learning rate (now 0.8; try 0.4)" in osc["reason"]
    short = got.loc[3]
    assert short["verdict"] == "too short" and short["iterations"] == 2 and short["best_iteration"] == 2
    none = got.loc[4]
    assert none["verdict"] == "still improving" and pd.isna(none["best_iteration"])
    assert "no validation loss" in none["reason"] and math.isnan(none["final_eval_loss"])
    read = got.attrs["history"]
    assert len(read) == sum(len(h) for h in HISTORIES.values())
    assert list(read.columns) == ["training_run", "iteration", "loss", "eval_loss", "learning_rate", "loss_step",
                                  "min_eval_loss"]


def brute_force(rows: pd.DataFrame, tolerance: float) -> dict:
    """The definitions, written out the long way."""
    rows = rows.sort_values("iteration")
    its, loss, ev = list(rows["iteration"]), list(rows["loss"]), list(rows["eval_loss"])
    out = {"best_iteration": None, "overfit_from_iteration": None, "changes": 0}
    has_eval = not all(math.isnan(e) for e in ev)
    if has_eval:
        lowest = min(ev)
        out["best_iteration"] = [i for i, e in zip(its, ev) if e == lowest][0]
    if len(its) < 3:
        return out
    span = max(loss) - min(loss)
    directions = []
    for k in range(1, len(loss)):
        step = loss[k] - loss[k - 1]
        if span > 0 and abs(step) > tolerance * span:
            directions.append(step > 0)
    out["changes"] = sum(directions[k] != directions[k - 1] for k in range(1, len(directions)))
    if has_eval:
        espan = max(ev) - min(ev)
        for k in range(len(ev) - 1):  # the first k after which every eval_loss stays above the band
            if all(e > min(ev) + tolerance * espan for e in ev[k + 1:]) and ev[k] <= min(ev) + tolerance * espan:
                if loss[-1] < loss[k] - tolerance * span:
                    out["overfit_from_iteration"] = its[k + 1]
                break
    return out


@pytest.mark.parametrize("seed", range(30))
def test_random_histories_match_the_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    iterations = np.sort(rng.choice(np.arange(200), n, replace=False))
    loss = np.cumsum(rng.normal(-0.1, 0.2, n)) + 10
    ev = np.cumsum(rng.normal(rng.choice([-0.1, 0.05]), 0.1, n)) + 10 if rng.random() < 0.8 else np.full(n, np.nan)
    ev = np.round(ev, 1)  # ties in eval_loss
    data = frame(0, loss, ev, iterations=iterations)
    tolerance = float(rng.choice([0.0, 0.01, 0.2]))
    got = diagnose_history(data, tolerance).iloc[0]
    want = brute_force(data, tolerance)
    if not np.isnan(ev[-1]) and ev[-1] != 0:
        assert got["gap"] == pytest.approx((ev[-1] - loss[-1]) / abs(ev[-1]))
    else:
        assert math.isnan(got["gap"])
    assert (None if pd.isna(got["best_iteration"]) else got["best_iteration"]) == want["best_iteration"]
    if n >= 3:
        assert got["loss_direction_changes"] == want["changes"]
        assert (None if pd.isna(got["overfit_from_iteration"]) else got["overfit_from_iteration"]) == \
            want["overfit_from_iteration"]
        assert got["oscillating"] == (want["changes"] >= 3)
    else:
        assert got["verdict"] == "too short"


def test_a_converged_run_whose_losses_agree():
    got = diagnose_history(frame(0, 1 / IT ** 2, 1.05 / IT ** 2)).iloc[0]
    assert got["verdict"] == "converged" and got["gap"] == pytest.approx(0.05 / 1.05)
    assert got["reason"] == ("eval_loss levels off at 0.002625 (lowest 0.002625 at iteration 20), training loss "
                             "0.0025: train and validation agree (eval_loss 5% above loss)")


def test_missing_optional_columns_mean_one_run_no_validation_no_rate(engine):
    data = pd.DataFrame({"iteration": IT, "loss": 1 / IT})
    table = load(engine, "ds.history_min", data)
    got = diagnose_training(engine, table).iloc[0]
    assert got["training_run"] == 0 and got["iterations"] == 20 and pd.isna(got["best_iteration"])
    assert math.isnan(got["learning_rate"]) and got["verdict"] == "converged"


@pytest.mark.parametrize("change, error", [
    (lambda d: pd.concat([d, d.iloc[[3]]]), r"1 iteration\(s\) appear more than once \(run 0, iteration 4: 2 rows\)"),
    (lambda d: d.assign(loss=d["loss"].where(d["iteration"] != 5, np.nan)), r"1 row\(s\) have a NULL, NaN or infinite loss"),
    (lambda d: d.assign(eval_loss=d["eval_loss"].where(d["iteration"] != 5, np.inf)),
     r"1 row\(s\) have a NaN or infinite eval_loss"),
    (lambda d: d.assign(eval_loss=d["eval_loss"].where(d["iteration"] != 5, None)),
     r"eval_loss is NULL at some iterations but not others"),
])
def test_unusable_histories_are_refused(duck, change, error):
    data = change(HISTORIES["smooth"].copy())
    table = load_history(duck, "ds.history_bad", data)
    with pytest.raises(BqmlToolsError, match=error):
        diagnose_training(duck, table)


def test_refusals(duck):
    table = load(duck, "ds.history_cols", pd.DataFrame({"step": [1, 2], "loss": [1.0, 0.5]}))
    with pytest.raises(UnknownColumn, match=r"needs column\(s\) iteration"):
        history(duck, table)
    text = load(duck, "ds.history_text", pd.DataFrame({"iteration": [1, 2], "loss": ["a", "b"]}))
    with pytest.raises(BqmlToolsError, match=r"column loss is VARCHAR: a training history holds numbers there"):
        history(duck, text)
    empty = load(duck, "ds.history_empty", HISTORIES["smooth"].iloc[:0])
    with pytest.raises(BqmlToolsError, match=r"the training history is empty"):
        history(duck, empty)
    for bad in (-0.1, 1, math.nan, True):
        with pytest.raises(BqmlToolsError, match=r"tolerance .* must be a number from 0 to below 1"):
            diagnose_history(HISTORIES["smooth"], bad)


def test_plot_marks_best_iteration_and_overfitting(duck, tmp_path):
    pytest.importorskip("matplotlib")
    from bqml_tools import plots

    table = load_history(duck, "ds.history_plot", pd.concat([HISTORIES["over-fitting"], HISTORIES["no validation"]]))
    got = diagnose_training(duck, table)
    figure = plots.training(got)
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert "run 1 best iteration 8" in labels and "run 1 over-fitting from 10" in labels
    assert "run 4 loss" in labels and "run 4 eval_loss" not in labels
    assert "over-fitting" in figure.axes[0].get_title() and "still improving" in figure.axes[0].get_title()
    figure.savefig(tmp_path / "t.png")
    with pytest.raises(BqmlToolsError, match="needs the history"):
        plots.training(pd.DataFrame(got.to_dict("list")))  # a frame without the history it was read from


def test_printed_statement_matches_the_run(duck):
    table = load_history(duck, "ds.history_printed", pd.concat(HISTORIES.values(), ignore_index=True))
    printed = duck.connection.execute(training_query(table, "duckdb", engine=duck).sql).df()
    run = duck.run(training_query(table, "duckdb", engine=duck, inline=False))
    pd.testing.assert_frame_equal(printed, run, check_dtype=False)


# ---------------------------------------------------------------- the command line

def run_cli(capsys, *args):
    from bqml_tools.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_training(capsys, tmp_path):
    path = tmp_path / "history.parquet"
    pd.concat([HISTORIES["over-fitting"], HISTORIES["oscillating"]]).to_parquet(path)
    code, out, err = run_cli(capsys, "training", str(path), "--plot", str(tmp_path / "t.png"))
    assert code == 0 and err == f"wrote the training plot to {tmp_path / 't.png'}\n"
    lines = out.splitlines()
    assert lines[-2].startswith("run 1: over-fitting: eval_loss is lowest at iteration 8 (0.5)")
    assert lines[-1].startswith("run 2: oscillating: the loss changes direction 17 times")
    assert (tmp_path / "t.png").stat().st_size > 0
    code, out, err = run_cli(capsys, "training", str(path), "--history", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "training_run,iteration,loss,eval_loss,learning_rate,loss_step,min_eval_loss"
    code, out, err = run_cli(capsys, "training", str(path), "--tolerance", "2")
    assert code == 2 and err.startswith("Error: --tolerance 2 must be a number from 0 to below 1")  # echoed as typed
    code, out, err = run_cli(capsys, "training", str(path), "--plot", str(tmp_path / "t.png"))
    assert code == 2 and "already exists: pass --replace to overwrite it" in err
    code, out, err = run_cli(capsys, "training", "my-project.ml.info", "--dialect", "bigquery")
    assert code == 0 and "LAG(loss_value) OVER (PARTITION BY run ORDER BY step_index)" in out


def test_training_model_reads_ml_training_info_as_a_query(engine, capsys):
    """training --model reads ML.TRAINING_INFO(MODEL ...) as a query source: the same diagnosis as the
    history table (the emulator has no BigQuery ML: the model's query is replaced by a SELECT of the table)."""
    import bqml_tools as bt
    from bqml_tools.evaluation.training import training_info_query
    from cli_runner import run
    from tables import load

    history = pd.DataFrame({"training_run": [0] * 6, "iteration": range(6),
                            "loss": [1.0, 0.6, 0.4, 0.3, 0.25, 0.22], "eval_loss": [1.1, 0.7, 0.5, 0.45, 0.5, 0.6],
                            "learning_rate": [0.1] * 6})
    table = load(engine, "bqml_training.info", history)
    name = f"`{table}`" if engine.dialect == "bigquery" else table
    from_table = bt.diagnose_training(engine, table)
    from_query = bt.diagnose_training(engine, f"SELECT * FROM {name}")
    pd.testing.assert_frame_equal(from_table, from_query)
    assert int(from_query["best_iteration"][0]) == 3  # the lowest eval_loss
    code, out, err = run(capsys, "training", "--model", "my-project.ml.churn", "--dialect", "bigquery")
    assert code == 0, err
    assert "FROM (\nSELECT * FROM ML.TRAINING_INFO(MODEL `my-project.ml.churn`)\n) AS _bqml_query" in out
    assert training_info_query("ml.churn") == "SELECT * FROM ML.TRAINING_INFO(MODEL `ml.churn`)"
    for args, message in ((["--model", "x; drop", "--dialect", "bigquery"], "name the model as dataset.model"),
                          (["--model", "ml.churn"], "BigQuery ML: print it with --dialect bigquery"),
                          ([], "a SOURCE table or --model")):
        code, _, err = run(capsys, "training", *args)
        assert code == 2 and message in err, err


# ---------------------------------------------------------------- verdicts need evidence (issue 17, item 2)

def test_rising_and_exploding_losses_are_diverging_not_converged():
    """Both used to be 'converged: levels off' (the last step was small against the range, or rose)."""
    rising = diagnose_history(frame(0, 0.5 + 0.01 * IT, 0.6 + 0.012 * IT)).iloc[0]
    assert rising["verdict"] == "diverging" and rising["suggested_learning_rate"] == pytest.approx(0.01)
    assert rising["reason"].startswith("the training loss ends above where it started (0.51 to 0.7)")
    assert "lower the learning rate (now 0.1; try 0.01)" in rising["reason"]
    exploding = diagnose_history(frame(0, 1.3 ** IT)).iloc[0]
    assert exploding["verdict"] == "diverging"
    late = diagnose_history(frame(0, np.concatenate([1 / IT[:15], [0.2, 0.4, 0.8, 1.6, 3.2]]))).iloc[0]
    assert late["verdict"] == "diverging" and "ends above where it started" in late["reason"]


def test_a_long_smooth_run_still_falling_is_still_improving():
    """Falling 12.8% over its last 20% of iterations, best at the last: the last step alone is under
    1% of the range, so it was called 'converged'."""
    it = np.arange(1, 201)
    loss = 1 + 4 * np.exp(-it / 194)  # the time constant that gives 12.8%
    ev = 1.1 + 4 * np.exp(-it / 194)
    got = diagnose_history(frame(0, loss, ev, iterations=it)).iloc[0]
    assert (ev[159] - ev[-1]) / (ev.max() - ev.min()) == pytest.approx(0.128, abs=0.001)
    assert (ev[-2] - ev[-1]) / (ev.max() - ev.min()) < 0.01  # the last step alone is under the tolerance
    assert got["best_iteration"] == 200
    assert got["verdict"] == "still improving"
    assert got["reason"].startswith("eval_loss still falls over the last 20 iterations (181 to 200): by ")


def expected_kind(kind):
    return {"rising": "diverging", "exploding": "diverging", "still falling": "still improving",
            "levelling": "converged", "over-fitting": "over-fitting", "oscillating": "oscillating"}[kind]


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["rising", "exploding", "still falling", "levelling", "over-fitting", "oscillating"]),
       n=st.integers(20, 300), scale=st.floats(1e-3, 1e3), offset=st.floats(0, 10), factor=st.floats(1.5, 6),
       validation=st.booleans())
def test_any_generated_history_gets_the_verdict_of_its_shape(kind, n, scale, offset, factor, validation):
    """Histories made to a shape, at any scale and length: the verdict is the shape's, never
    'converged' unless the loss levels off. The shapes: a loss rising linearly or geometrically; a
    decay whose time constant is `factor` times the run (still falling at the end) or a `factor`-th
    of an eighth of it (level for the last tenth); a loss falling linearly whose eval_loss turns up half way;
    a falling loss that zigzags by a tenth of its range."""
    it = np.arange(1, n + 1, dtype=float)
    if kind == "rising":
        loss = offset + scale * it / n
    elif kind == "exploding":
        loss = offset + scale * np.exp(factor * it / n)
    elif kind == "still falling":
        loss = offset + scale * np.exp(-it / (factor * n))
    elif kind == "levelling":
        loss = offset + scale * np.exp(-it * 8 * factor / n)
    elif kind == "over-fitting":
        loss = offset + scale * (2 - it / n)
    else:
        loss = offset + scale * (1 / it + 0.1 * (-1.0) ** it)
    if kind == "over-fitting":
        ev = offset + scale * (0.5 + ((it - n / 2) / n) ** 2)
    else:
        ev = loss * 1.05 + 0.01 * scale
    assume(np.ptp(loss) > 1e-9 * (offset + scale))  # a loss that changes at all, in doubles
    if not validation and kind == "over-fitting":
        return  # without validation over-fitting cannot be seen
    got = diagnose_history(frame(0, loss, ev if validation else None, iterations=it.astype(int))).iloc[0]
    assert got["verdict"] == expected_kind(kind), (kind, got["verdict"], got["reason"])
