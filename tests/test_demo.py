"""The demo data carries signal, is deterministic, and its predictions behave as a fitted model's."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

import bqml_tools as bt
from bqml_tools import demo, splitting
from bqml_tools.engines import DuckDBEngine
from bqml_tools.errors import BqmlToolsError

pytestmark = pytest.mark.duckdb


@pytest.fixture(scope="module")
def demo_rows():
    engine = DuckDBEngine()
    events = demo.make_events(engine, 40_000)
    return engine, events, demo.predictions(splitting.split(engine, demo.DEMO_TABLE, demo.SPLIT))


def test_events_are_deterministic_and_typed(demo_rows):
    engine, events, _ = demo_rows
    pd.testing.assert_frame_equal(events, demo.events_frame(40_000))
    assert not events.equals(demo.events_frame(40_000, seed=demo.SEED + 1))
    types = dict(engine.connection.execute("SELECT column_name, data_type FROM information_schema.columns "
                                           "WHERE table_name = 'events'").fetchall())
    assert types["day"] == "DATE" and types["user_id"] == "BIGINT" and types["label"] == "BIGINT"
    assert events.groupby("user_id")[["age", "country", "plan"]].nunique().max().max() == 1  # user features
    assert set(events["label"]) == {0, 1} and 0.1 < events["label"].mean() < 0.5


def test_models_match_scikit_learn_fits(demo_rows):
    """The numpy Newton and least-squares fits are the unpenalised optimum scikit-learn finds."""
    engine, _, _ = demo_rows
    rows = splitting.split(engine, demo.DEMO_TABLE, demo.SPLIT).sort_values(demo.ORDER).reset_index(drop=True)
    preds = demo.predictions(rows)
    x = demo.features(rows)[:, 1:]
    train = (rows["split"] == "train").to_numpy()
    logistic = LogisticRegression(C=1e12, max_iter=5000, tol=1e-10).fit(x[train], rows["label"][train])
    np.testing.assert_allclose(preds["p"], logistic.predict_proba(x)[:, 1], atol=2e-6)
    linear = LinearRegression().fit(x[train], rows["amount"][train])
    np.testing.assert_allclose(preds["y_hat"], linear.predict(x), atol=1e-3)


def test_features_carry_signal_and_the_gap_is_small(demo_rows):
    _, _, preds = demo_rows
    for name, rows in preds.groupby("split"):
        assert roc_auc_score(rows["label"], rows["p"]) > 0.72, name
        assert log_loss(rows["label"], rows["p"]) < log_loss(rows["label"], np.full(len(rows), rows["label"].mean()))
        rmse = float(np.sqrt(np.mean((rows["y"] - rows["y_hat"]) ** 2)))
        assert abs(rmse - demo.AMOUNT_NOISE) < 0.3, (name, rmse)  # the known noise is the floor
        assert (rows["predicted_plan"] == rows["plan"]).mean() > rows["plan"].value_counts(normalize=True).max() - 0.1
    sums = preds["plan_probs"].map(lambda probs: sum(item["prob"] for item in probs))
    np.testing.assert_allclose(sums, 1, atol=1e-5)
    assert preds["predicted_label_probs"].map(lambda probs: probs[0]["prob"]).equals(preds["p"])


def test_diagnose_reads_the_demo_predictions_as_a_good_fit(demo_rows):
    engine, _, preds = demo_rows
    engine.connection.register("demo_preds", preds.drop(columns=["day"]))
    for spec in (bt.EvalSpec(task="binary", label="label", score="p"),
                 bt.EvalSpec(task="regression", label="y", prediction="y_hat")):
        verdict = bt.diagnose(engine, "demo_preds", spec)
        assert verdict.loc[0, "verdict"] == "good fit", verdict.loc[0, "reason"]


@pytest.mark.parametrize("sample", [None, "1/10", "1/70"])
def test_the_demo_split_raises_no_warning(demo_rows, sample):
    engine, _, _ = demo_rows
    spec = splitting.SplitSpec(key=["user_id"], fractions=demo.SPLIT.fractions, sample=sample)
    assert splitting.split_report(engine, demo.DEMO_TABLE, spec).warnings == []


def test_an_uneven_hash_is_named_as_such():
    """FARM_FINGERPRINT of '1000'..'9999' puts 1,018 of 9,000 keys in bucket 8 of 10: +4.1 sd, a property
    of the hash on these values (the same on BigQuery), not of the key column; a salt rehashes them."""
    engine = DuckDBEngine()
    engine.connection.execute("CREATE TABLE t AS SELECT range AS user_id FROM range(1000, 10000)")
    report = splitting.split_report(engine, "t", splitting.SplitSpec(key=["user_id"]))
    assert report.table.set_index("split").loc["valid", "distinct_keys"] == 1018
    assert len(report.warnings) == 1 and "+4.1 standard deviations" in report.warnings[0]
    assert "unevenly" in report.warnings[0] and "--salt" in report.warnings[0]
    assert splitting.split_report(engine, "t", splitting.SplitSpec(key=["user_id"], salt="a")).warnings == []


def test_demo_writes_both_files(tmp_path):
    lines: list[str] = []
    events, preds = tmp_path / "events.parquet", tmp_path / "preds.parquet"
    demo.run_demo(20_000, echo=lines.append, save=str(events), predictions_path=str(preds))
    assert pd.read_parquet(events).shape == (20_000, 9)
    written = pd.read_parquet(preds)
    assert {"split", "label", "p", "y", "y_hat", "plan", "predicted_plan", "plan_probs"} <= set(written.columns)
    assert set(written["split"]) == {"train", "valid", "test"} and len(written) == 20_000
    assert any("100%" in line for line in lines) and not any(line.startswith("warning") for line in lines)


def test_a_tiny_demo_still_fits():
    """With almost no train rows the ridge keeps every solve defined: no NaN probability."""
    engine = DuckDBEngine()
    demo.make_events(engine, 10)
    preds = demo.predictions(splitting.split(engine, demo.DEMO_TABLE, demo.SPLIT))
    assert preds["p"].between(0, 1).all() and np.isfinite(preds["y_hat"]).all()


def test_demo_refuses_one_file_for_both(tmp_path):
    from click.testing import CliRunner

    from bqml_tools.cli import cli

    path = str(tmp_path / "x.parquet")
    with pytest.raises(BqmlToolsError, match="--save and --predictions"):
        CliRunner().invoke(cli, ["demo", "--rows", "100", "--save", path, "--predictions", path],
                           standalone_mode=False, catch_exceptions=False)


def test_demo_predictions_never_overwrite(tmp_path):
    from click.testing import CliRunner

    from bqml_tools.cli import cli

    kept = tmp_path / "preds.parquet"
    kept.write_text("precious\n")
    for target, message in ((kept, "already exists"), (tmp_path / "preds.json", ".parquet")):
        with pytest.raises(BqmlToolsError, match=message):
            CliRunner().invoke(cli, ["demo", "--rows", "100", "--predictions", str(target)],
                               standalone_mode=False, catch_exceptions=False)
    assert kept.read_text() == "precious\n" and not (tmp_path / "preds.json").exists()
