"""A metrics history: evaluate/compare --append-to keeps every run (Parquet file, DuckDB table, BigQuery
table), never loses earlier rows, refuses a table of another shape, and bqml_tools.plots.history draws it."""
from __future__ import annotations

import datetime as dt
import json
import os

import pandas as pd
import pytest
from sklearn import metrics as skm

import bqml_tools as bt
from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import history
from breast_cancer import POSITIVE, predictions
from cli_runner import run
from tables import load

FRAME = predictions()
SPEC = bt.EvalSpec(task="binary", label="label", probs="probs_a", positive=POSITIVE, by=("split",),
                   where=[("split", "test")])
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _rows(engine, table, model_name: str, when: dt.datetime) -> pd.DataFrame:
    return history.records(bt.evaluate(engine, table, SPEC), SPEC, model_name=model_name, command="evaluate",
                           source=table, run_at=when)


def test_two_appends_keep_both_runs_on_every_destination(engine, tmp_path):
    table = load(engine, "bqml_history.preds", FRAME)
    first, second = _rows(engine, table, "bc-a", T0), _rows(engine, table, "bc-a", T0 + dt.timedelta(days=1))
    destinations = [str(tmp_path / "history.parquet"), "bqml_history.metrics"]
    if engine.dialect == "bigquery":  # a fresh table per run: the emulator keeps tables for the session
        destinations[1] = f"bqml_history.metrics_{os.getpid()}_{id(first)}"
    for destination in destinations:
        assert history.append(first, destination, engine) == len(first)
        assert history.append(second, destination, engine) == len(first) + len(second)
        back = history.read(destination, engine)
        auc = back.loc[back["metric"] == "roc_auc"]
        assert len(auc) == 2 and list(pd.to_datetime(auc["run_at"], utc=True)) == [T0, T0 + dt.timedelta(days=1)]
        test = FRAME[FRAME["split"] == "test"]
        assert auc["value"].tolist() == pytest.approx([skm.roc_auc_score(test["label"] == POSITIVE, test["p_a"])] * 2)
        row = auc.iloc[0]
        assert row["model_name"] == "bc-a" and row["filters"] == "split = 'test'"
        assert json.loads(row["group_key"]) == {"split": "test"}
        assert json.loads(row["options"]) == {"invalid": "error", "label": "label", "positive": POSITIVE,
                                              "probs": "probs_a", "threshold": 0.5}


def test_a_file_of_another_shape_is_refused_and_left_alone(tmp_path, duck):
    path = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    before = path.read_bytes()
    rows = _rows(duck, load(duck, "h.preds", FRAME), "bc-a", T0)
    with pytest.raises(BqmlToolsError, match=r"^destination .*other.parquet is not a bqml_tools metrics history: it "
                                             r"has columns a, a history has run_at, model_name"):
        history.append(rows, str(path), duck)
    assert path.read_bytes() == before
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(BqmlToolsError, match="cannot be read as Parquet"):
        history.append(rows, str(broken), duck)
    assert broken.read_bytes() == b"not parquet"


def test_cli_appends_evaluate_and_compare_and_the_plot_draws_them(capsys, tmp_path):
    preds = tmp_path / "preds.parquet"
    FRAME.to_parquet(preds)
    target = str(tmp_path / "h.parquet")
    model = ["--task", "binary", "--label", "label", "--positive", POSITIVE, "--where", "split=test"]
    for probs, name in (("probs_a", "bc-a"), ("probs_b", "bc-b")):
        code, _, err = run(capsys, "evaluate", str(preds), *model, "--probs", probs, "--append-to", target,
                           "--model-name", name)
        assert code == 0 and f"of {name} to {target}" in err, err
    code, _, err = run(capsys, "compare", str(preds), *model, "--probs", "probs_a", "--against-probs", "probs_b",
                       "--key", "id", "--append-to", target, "--model-name", "a-vs-b")
    assert code == 0, err
    back = history.read(target)
    assert set(back["model_name"]) == {"bc-a", "bc-b", "a-vs-b"}
    difference = back.loc[(back["command"] == "compare") & (back["metric"] == "roc_auc")].iloc[0]
    values = back.loc[(back["command"] == "evaluate") & (back["metric"] == "roc_auc")].set_index("model_name")["value"]
    assert difference["value"] == pytest.approx(values["bc-b"] - values["bc-a"], abs=1e-12)
    assert difference["lower"] <= difference["value"] <= difference["upper"]
    import bqml_tools.plots as plots

    figure = plots.history(back, "roc_auc", command="evaluate")
    assert len(figure.axes[0].lines) == 2  # one line per model
    figure.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 0
    with pytest.raises(BqmlToolsError, match="the history has no 'nope' rows"):
        plots.history(back, "nope")


@pytest.mark.parametrize("args,message", [
    (["--append-to", "h.parquet"], "--append-to TABLE_OR_FILE and --model-name NAME go together"),
    (["--append-to", "ml.history", "--model-name", "m"], "an in-memory DuckDB table is gone"),
    (["--append-to", "h.parquet", "--model-name", "m", "--dialect", "duckdb"], "appends the result of a run"),
])
def test_cli_refusals(capsys, tmp_path, args, message):
    preds = tmp_path / "preds.parquet"
    FRAME.to_parquet(preds)
    code, _, err = run(capsys, "evaluate", str(preds), "--task", "binary", "--label", "label", "--score", "p_a",
                       "--positive", POSITIVE, *args)
    assert code == 2 and message in err, err


def test_a_table_of_another_shape_is_refused(duck):
    duck.connection.execute("CREATE SCHEMA IF NOT EXISTS ml").fetchall()
    duck.connection.execute("CREATE TABLE ml.other (a INTEGER)").fetchall()
    duck.connection.execute("INSERT INTO ml.other VALUES (1)").fetchall()
    rows = _rows(duck, load(duck, "h.preds", FRAME), "bc-a", T0)
    with pytest.raises(BqmlToolsError, match=r"^destination ml.other is not a bqml_tools metrics history: it has columns a,"):
        history.append(rows, "ml.other", duck)
    assert duck.connection.execute("SELECT COUNT(*) FROM ml.other").fetchall()[0][0] == 1
