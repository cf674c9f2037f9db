"""Targets 2 and 3 of issue 8: ``evaluate --task binary`` against pandas + scikit-learn, whole processes.

Each case is a fresh process, like a user running it, timed round by round (cases interleaved: the
machine is shared) with its own peak RSS (os.wait4):
  - ``bqml-tools evaluate --task binary --by split``: default mode (exact AUC on DuckDB), and ``--auc binned``
  - pandas + scikit-learn, every metric evaluate prints (read the Parquet file, then per group
    roc_auc_score, average_precision_score, log_loss, brier_score_loss, confusion_matrix, f1, ...)
  - pandas + scikit-learn, exact AUC only (read, then roc_auc_score per group)
Target 2: sklearn-all / evaluate >= 10x (goal 20x). Target 3: sklearn-AUC / evaluate >= 5x with evaluate's
peak RSS < 1 GiB at ROWS and at BIG_ROWS (BIG_ROWS runs evaluate once; scikit-learn is not run there:
pandas alone needs several GiB). Also the largest relative difference of evaluate's metrics from
scikit-learn's, and the load average before and after. Prints, never asserts.

Usage:  python benchmarks/bench_evaluate.py [ROWS] [RUNS] [BIG_ROWS]   (defaults 10000000 5 100000000;
        BIG_ROWS 0 skips the big file)
"""
from __future__ import annotations

import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header  # noqa: E402

CLI = [sys.executable, "-c", "import sys; from bqml_tools.cli import main; sys.argv[0] = 'bqml-tools'; main()"]
METRICS = ("accuracy", "precision", "recall", "specificity", "f1", "balanced_accuracy", "log_loss", "brier",
           "roc_auc", "average_precision")

SKLEARN_ALL = """
import json, sys
import numpy as np, pandas as pd
from sklearn import metrics as m
frame = pd.read_parquet(sys.argv[1], columns=["split", "label", "score"])
out = {}
for name, part in frame.groupby("split"):
    y, s = part["label"].to_numpy(), part["score"].to_numpy()
    pred = s >= 0.5
    tn, fp, fn, tp = m.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    out[name] = {"accuracy": m.accuracy_score(y, pred), "precision": m.precision_score(y, pred),
                 "recall": m.recall_score(y, pred), "specificity": tn / (tn + fp), "f1": m.f1_score(y, pred),
                 "balanced_accuracy": m.balanced_accuracy_score(y, pred), "log_loss": m.log_loss(y, s),
                 "brier": m.brier_score_loss(y, s), "roc_auc": m.roc_auc_score(y, s),
                 "average_precision": m.average_precision_score(y, s)}
print(json.dumps(out))
"""
SKLEARN_AUC = """
import json, sys
import pandas as pd
from sklearn.metrics import roc_auc_score
frame = pd.read_parquet(sys.argv[1], columns=["split", "label", "score"])
print(json.dumps({name: {"roc_auc": roc_auc_score(part["label"], part["score"])}
                  for name, part in frame.groupby("split")}))
"""


def make_file(path: str, rows: int) -> None:
    """ROWS predictions: split train/valid (80/20), label 1 for 10%, a score in [0, 1] that mostly
    differs row to row (ties where positives reach 1). Written by DuckDB in bounded memory."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "1GB"})
    con.execute("SELECT setseed(0.42)")
    con.execute(f"""
        COPY (SELECT IF(random() < 0.8, 'train', 'valid') AS split, label,
                     least(1.0, random() * random() + 0.25 * label) AS score
              FROM (SELECT CAST(random() < 0.1 AS TINYINT) AS label FROM range({int(rows)})))
        TO '{path}' (FORMAT parquet)""")
    con.close()


def run(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[3:7])} failed: {err.read().strip()}")
        out.seek(0)
        return elapsed, usage.ru_maxrss / 1024, out.read()


def evaluate_argv(path: str, *extra: str) -> list[str]:
    return CLI + ["evaluate", path, "--task", "binary", "--label", "label", "--score", "score", "--by", "split",
                  "--format", "csv", *extra]


def from_csv(text: str) -> dict[str, dict[str, float]]:
    return {row["split"]: {k: float(v) for k, v in row.items() if k in METRICS}
            for row in csv.DictReader(io.StringIO(text))}


def worst_difference(got: dict[str, dict[str, float]], want: dict[str, dict[str, float]]) -> float:
    return max(abs(got[group][name] - value) / abs(value)
               for group, metrics in want.items() for name, value in metrics.items())


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    big_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000_000
    header(f"bench_evaluate: evaluate --task binary on {rows:,} predictions vs pandas + scikit-learn, whole "
           "processes (issue 8, targets 2 and 3)", f"python benchmarks/bench_evaluate.py {rows} {runs} {big_rows}")
    folder = tempfile.mkdtemp(prefix="bqml-bench-evaluate-")
    try:
        path = os.path.join(folder, "preds.parquet")
        make_file(path, rows)
        cases = {
            "evaluate (exact AUC, default)": evaluate_argv(path),
            "evaluate --auc binned": evaluate_argv(path, "--auc", "binned"),
            "pandas + scikit-learn, every metric": [sys.executable, "-c", SKLEARN_ALL, path],
            "pandas + scikit-learn, roc_auc_score only": [sys.executable, "-c", SKLEARN_AUC, path],
        }
        print(f"# before: {load()}", flush=True)
        times: dict[str, list[float]] = {name: [] for name in cases}
        peaks: dict[str, list[float]] = {name: [] for name in cases}
        outputs: dict[str, str] = {}
        for _ in range(runs):
            for name, argv in cases.items():
                elapsed, peak, out = run(argv)
                times[name].append(elapsed)
                peaks[name].append(peak)
                outputs.setdefault(name, out)
        print(f"# after: {load()}", flush=True)
        median = {name: statistics.median(values) for name, values in times.items()}
        for name in cases:
            figure(f"{name}, {rows:,} rows", median[name], "s",
                   f"median of {runs}: {' '.join(f'{t:.2f}' for t in times[name])}; peak RSS {max(peaks[name]):.0f} MiB")
        exact, binned = "evaluate (exact AUC, default)", "evaluate --auc binned"
        every, auc = "pandas + scikit-learn, every metric", "pandas + scikit-learn, roc_auc_score only"
        figure("target 2: evaluate (default) speed-up over pandas + scikit-learn, every metric",
               median[every] / median[exact], "x", "target >= 10x, goal 20x")
        figure("target 2: evaluate --auc binned speed-up over pandas + scikit-learn, every metric",
               median[every] / median[binned], "x")
        figure("target 3: exact AUC speed-up over pandas + roc_auc_score", median[auc] / median[exact], "x",
               "target >= 5x")
        figure(f"target 3: evaluate (exact) peak RSS, {rows:,} rows", max(peaks[exact]), "MiB", "target < 1024 MiB",
               digits=0)
        want = json.loads(outputs[every])
        print("largest relative difference from scikit-learn (10 metrics per group), exact: "
              f"{worst_difference(from_csv(outputs[exact]), want):.1e}", flush=True)
        print(f"largest relative difference from scikit-learn, binned: "
              f"{worst_difference(from_csv(outputs[binned]), want):.1e}", flush=True)
        if big_rows:
            os.remove(path)
            make_file(path, big_rows)
            print(f"# before {big_rows:,} rows: {load()}", flush=True)
            elapsed, peak, _ = run(evaluate_argv(path))
            figure(f"target 3: evaluate (exact) on {big_rows:,} rows", elapsed, "s", f"one run; {load()}")
            figure(f"target 3: evaluate (exact) peak RSS, {big_rows:,} rows", peak, "MiB", "target < 1024 MiB", digits=0)
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


if __name__ == "__main__":
    main()
