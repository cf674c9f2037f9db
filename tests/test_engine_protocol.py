"""An engine that implements only the declared protocol (bqml_tools.engines.base) works for every library
call, and an engine missing a capability is refused in one line naming it.

The minimal engine wraps DuckDB but exposes nothing else: no ``connection``, ``database``, ``client`` or
``export``. Its answers must equal DuckDBEngine's on the same data (the oracle is the full engine)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bqml_tools as bt
from bqml_tools.engines import DuckDBEngine
from bqml_tools.engines.base import CanExecute, CanExport, Engine, HasConnection
from bqml_tools.errors import BqmlToolsError, UnsupportedEngine

pytestmark = pytest.mark.duckdb


class ProtocolOnly:
    """dialect, run and dry_run (the Engine protocol), and execute (CanExecute) when ``executes``."""

    dialect = "duckdb"

    def __init__(self, inner: DuckDBEngine, executes: bool = True) -> None:
        self._inner = inner
        if executes:
            self.execute = inner.execute

    def run(self, query, params=None):
        return self._inner.run(query, params)

    def dry_run(self, query, params=None):
        return self._inner.dry_run(query, params)


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(16)
    n = 600
    users = rng.integers(0, 150, n)
    label = rng.integers(0, 2, n)
    p = np.clip(0.35 * label + rng.uniform(0, 0.65, n), 0, 1)
    preds = pd.DataFrame({"user_id": users, "label": label, "p": p, "q": np.clip(p + rng.normal(0, 0.1, n), 0, 1),
                          "y": rng.normal(size=n), "split": rng.choice(["train", "valid"], n, p=[0.7, 0.3])})
    preds["y_hat"] = preds["y"] + rng.normal(0, 0.5, n)
    history = pd.DataFrame({"training_run": 0, "iteration": range(12),
                            "loss": [1 / (i + 1) for i in range(12)], "eval_loss": [1.1 / (i + 1) + 0.01 for i in range(12)],
                            "learning_rate": 0.1})
    paths = {"preds": tmp_path / "preds.parquet", "history": tmp_path / "history.parquet"}
    preds.to_parquet(paths["preds"])
    history.to_parquet(paths["history"])
    return {k: str(v) for k, v in paths.items()}


def test_the_minimal_engine_has_the_protocol_and_nothing_else():
    engine = ProtocolOnly(DuckDBEngine())
    assert isinstance(engine, Engine) and isinstance(engine, CanExecute)
    assert not isinstance(engine, CanExport) and not isinstance(engine, HasConnection)
    assert not isinstance(ProtocolOnly(DuckDBEngine(), executes=False), CanExecute)


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert a.attrs.get("warnings") == b.attrs.get("warnings")


def test_every_library_call_runs_on_an_engine_with_only_the_declared_protocol(data, tmp_path):
    full = DuckDBEngine()
    minimal = ProtocolOnly(DuckDBEngine())
    split_spec = bt.SplitSpec(key=["user_id"], split_column="part")
    binary = bt.EvalSpec(task="binary", label="label", score="p", by=("split",))
    calls = {
        "split": lambda e: bt.split(e, data["preds"], split_spec),
        "split_report": lambda e: bt.split_report(e, data["preds"], split_spec).table,
        "evaluate": lambda e: bt.evaluate(e, data["preds"], binary),
        "evaluate --ci": lambda e: bt.evaluate(e, data["preds"], bt.EvalSpec(task="binary", label="label", score="p",
                                                                            ci=0.9, key=("user_id",))),
        "curve": lambda e: bt.curve(e, data["preds"], binary, "roc"),
        "threshold": lambda e: bt.threshold(e, data["preds"], bt.EvalSpec(task="binary", label="label", score="p"), "f1"),
        "compare": lambda e: bt.compare(e, data["preds"], bt.EvalSpec(task="binary", label="label", score="p",
                                                                      ci=0.9, key=("user_id",)), "q"),
        "diagnose": lambda e: bt.diagnose(e, data["preds"], bt.EvalSpec(task="regression", label="y",
                                                                        prediction="y_hat")),
        "diagnose_training": lambda e: bt.diagnose_training(e, data["history"]),
    }
    for name, call in calls.items():
        expected, got = call(full), call(minimal)
        assert len(got) > 0, name
        same(got, expected)
    for query in (bt.evaluate_query(data["preds"], binary, "duckdb", engine=minimal),
                  bt.split_query(data["preds"], split_spec, "duckdb", engine=minimal)):
        assert query.sql  # printing SQL reads the schema through dry_run only

    stored = {}
    for name, engine in (("full", full), ("minimal", ProtocolOnly(DuckDBEngine(database=str(tmp_path / "m.duckdb"))))):
        report = bt.materialize(engine, data["preds"], split_spec, "stored")
        stored[name] = engine.run("SELECT part, count(*) AS n FROM stored GROUP BY part ORDER BY part")
        assert int(report.table["rows"].sum()) == 600 == int(stored[name]["n"].sum())
    same(stored["minimal"], stored["full"])


def test_materialize_names_the_missing_capability_in_one_line(data):
    engine = ProtocolOnly(DuckDBEngine(), executes=False)
    with pytest.raises(UnsupportedEngine) as caught:
        bt.materialize(engine, data["preds"], bt.SplitSpec(key=["user_id"]), "stored")
    message = str(caught.value)
    assert "\n" not in message
    assert "materialize needs an engine with execute(query) (CanExecute)" in message and "ProtocolOnly" in message


@pytest.mark.parametrize("call", ["evaluate", "curve", "threshold", "compare", "diagnose", "diagnose_training"])
def test_an_object_that_is_not_an_engine_is_refused_naming_the_protocol(call, data):
    spec = bt.EvalSpec(task="binary", label="label", score="p")
    paired = bt.EvalSpec(task="binary", label="label", score="p", ci=0.9, key=("user_id",))
    run = {"evaluate": lambda: bt.evaluate("duckdb", data["preds"], spec),
           "curve": lambda: bt.curve("duckdb", data["preds"], spec, "roc"),
           "threshold": lambda: bt.threshold("duckdb", data["preds"], spec, "f1"),
           "compare": lambda: bt.compare("duckdb", data["preds"], paired, "q"),
           "diagnose": lambda: bt.diagnose("duckdb", data["preds"], bt.EvalSpec(task="binary", label="label", score="p")),
           "diagnose_training": lambda: bt.diagnose_training("duckdb", data["history"])}[call]
    with pytest.raises(BqmlToolsError, match=r"engine must be an engine .*dialect, run\(query\) and dry_run\(query\).*not str"):
        run()
