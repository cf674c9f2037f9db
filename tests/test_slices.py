"""evaluate --by --min-slice-rows: too-small slices, and (with --ci) slices worse than the whole."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import PARTITION_SALT, EvalSpec, evaluate
from bqml_tools.evaluation.slices import whole_line
from cli_runner import run
from oracle import fingerprint, key_string, truncated_mod
from tables import load

K = 5


def partitions(keys, k: int = K) -> np.ndarray:
    return np.array([abs(truncated_mod(fingerprint(key_string([str(int(v))], PARTITION_SALT)), k)) for v in keys])


def sliced_frame(seed=0):
    """Slice 'big' scores well, slice 'noise' is random (clearly worse), 'tiny' has 37 rows."""
    rng = np.random.default_rng(seed)
    sizes = {"big": 900, "noise": 500, "tiny": 37}
    g = np.repeat(list(sizes), list(sizes.values()))
    n = len(g)
    y = rng.integers(0, 2, n)
    p = np.where(g == "noise", rng.random(n), np.clip(0.5 * y + 0.5 * rng.random(n), 0, 1))
    return pd.DataFrame({"id": np.arange(n), "y": y, "p": p, "g": g})


def spec(**options):
    return EvalSpec(**{"task": "binary", "label": "y", "score": "p", "by": "g", "auc": "exact", **options})


def test_too_small_slices_have_null_metrics_and_say_why(engine):
    frame = sliced_frame()
    table = load(engine, "ds.slices", frame)
    plain = evaluate(engine, table, spec())
    got = evaluate(engine, table, spec(min_slice_rows=100))
    assert list(got.columns[:2]) == ["g", "slice"] and "worse_than_whole" not in got.columns
    assert "whole" not in got.attrs  # the whole comes with --ci
    status = dict(zip(got["g"], got["slice"]))
    assert status == {"big": "ok", "noise": "ok", "tiny": "too small (37 rows < 100)"}
    tiny = got.loc[got["g"] == "tiny"].iloc[0]
    assert tiny["rows"] == 37 and tiny["tp"] == plain.loc[plain["g"] == "tiny", "tp"].iloc[0]  # counts stay
    for metric in ("accuracy", "roc_auc", "log_loss", "base_rate", "baseline_log_loss"):
        assert pd.isna(tiny[metric]), metric
    ok = got.loc[got["slice"] == "ok"].drop(columns=["slice"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ok, plain.loc[plain["g"] != "tiny"].reset_index(drop=True))
    assert any("1 slice(s) have fewer than 100 valid rows" in w for w in got.attrs["warnings"])
    assert not any("(g=tiny)" in w for w in got.attrs["warnings"])


def test_a_clearly_worse_slice_is_worse_than_the_whole(engine):
    frame = sliced_frame(seed=1)
    table = load(engine, "ds.slices_ci", frame)
    got = evaluate(engine, table, spec(min_slice_rows=100, ci=0.95, key="id", partitions=K))
    worse = dict(zip(got["g"], got["worse_than_whole"]))
    assert worse["big"] == ""  # better than the whole: not worse on anything
    assert set(worse["noise"].split(", ")) >= {"accuracy", "roc_auc", "log_loss", "brier", "average_precision"}
    assert "base_rate" not in worse["noise"]  # a description, not a score
    assert pd.isna(worse["tiny"]) and pd.isna(got.loc[got["g"] == "tiny", "roc_auc_lower"]).all()
    # the whole: the same numbers as evaluating every row without --by, with the same partitions
    whole = got.attrs["whole"]
    alone = evaluate(engine, table, EvalSpec(task="binary", label="y", score="p", auc="exact", ci=0.95, key="id",
                                             partitions=K))
    pd.testing.assert_frame_equal(whole, alone, check_dtype=False, rtol=1e-9)
    assert whole_line(whole, ["roc_auc"]).startswith(f"whole: rows={len(frame):,}, roc_auc=")


def test_slice_minus_whole_matches_a_python_recomputation(engine):
    frame = sliced_frame(seed=2)
    table = load(engine, "ds.slices_oracle", frame)
    got = evaluate(engine, table, spec(min_slice_rows=100, ci=0.9, key="id", partitions=K))
    part = partitions(frame["id"])
    y, p = frame["y"].to_numpy(), frame["p"].to_numpy()
    differences = got.attrs["differences"]
    for name, function in (("roc_auc", skm.roc_auc_score), ("log_loss", skm.log_loss)):
        for group in ("big", "noise"):
            in_slice = (frame["g"] == group).to_numpy()

            def diff(keep):
                return function(y[keep & in_slice], p[keep & in_slice]) - function(y[keep], p[keep])

            estimate = diff(np.ones(len(frame), bool))
            replicates = np.array([diff(part != r) for r in range(K)])
            se = math.sqrt((K - 1) / K * np.sum((replicates - replicates.mean()) ** 2))
            half = stats.t.ppf(0.95, K - 1) * se
            row = differences.loc[(differences["g"] == group) & (differences["metric"] == name)].iloc[0]
            assert row["difference"] == pytest.approx(estimate, rel=1e-7, abs=1e-10)
            assert row["lower"] == pytest.approx(estimate - half, rel=1e-7, abs=1e-10)
            assert row["upper"] == pytest.approx(estimate + half, rel=1e-7, abs=1e-10)


def test_a_slice_that_is_the_whole_is_not_worse(engine):
    frame = sliced_frame(seed=3).assign(g="all")
    table = load(engine, "ds.slices_all", frame)
    got = evaluate(engine, table, spec(min_slice_rows=10, ci=0.95, key="id"))
    assert list(got["worse_than_whole"]) == [""]
    differences = got.attrs["differences"]
    assert (differences["difference"].abs() <= 1e-12).all() and not differences["worse"].any()


def test_a_null_slice_is_not_the_whole(engine):
    frame = sliced_frame(seed=4)
    frame["g"] = frame["g"].where(frame["g"] != "noise", None)
    table = load(engine, "ds.slices_null", frame)
    got = evaluate(engine, table, spec(min_slice_rows=100, ci=0.95, key="id"))
    null = got.loc[got["g"].isna()].iloc[0]
    assert null["rows"] == 500 and "roc_auc" in null["worse_than_whole"]
    assert got.attrs["whole"]["rows"].iloc[0] == len(frame)


def test_min_slice_rows_is_refused_where_it_does_nothing():
    with pytest.raises(BqmlToolsError, match=r"EvalSpec\(min_slice_rows=.*\) needs by="):
        EvalSpec(task="binary", label="y", score="p", min_slice_rows=10)
    with pytest.raises(BqmlToolsError, match="group column 'slice' has the name of a column"):
        from bqml_tools.evaluation import evaluate_query

        evaluate_query("ml.preds", spec(by="slice", min_slice_rows=10), "bigquery")


@pytest.fixture
def sliced_file(tmp_path):
    path = tmp_path / "sliced.parquet"
    sliced_frame().to_parquet(path)
    return str(path)


ARGS = ["--task", "binary", "--label", "y", "--score", "p", "--by", "g", "--min-slice-rows", "100"]


def test_cli_prints_the_whole_first_then_the_slices(capsys, sliced_file):
    code, out, err = run(capsys, "evaluate", sliced_file, *ARGS, "--ci", "0.95", "--key", "id",
                         "--metrics", "rows,roc_auc")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("whole: rows=1,437, roc_auc=") and lines[0].endswith("]")
    assert lines[1].split() == ["g", "slice", "worse_than_whole", "rows", "roc_auc"]
    assert "too small (37 rows < 100)" in out
    code, out, err = run(capsys, "evaluate", sliced_file, *ARGS, "--ci", "0.95", "--key", "id", "--format", "json")
    rows = json.loads(out)  # stdout stays one JSON document; the whole's line goes to stderr
    assert code == 0 and err.startswith("whole: ") and {r["slice"] for r in rows} == {"ok", "too small (37 rows < 100)"}
    code, out, _ = run(capsys, "evaluate", sliced_file, *ARGS, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("g,slice,rows,")


def test_cli_error_is_one_line(capsys, sliced_file):
    code, out, err = run(capsys, "evaluate", sliced_file, *ARGS[:-4], "--min-slice-rows", "0")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--min-slice-rows 0" in err
