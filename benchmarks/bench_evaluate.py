"""10 million predictions on DuckDB: every binary metric in one scan, checked against scikit-learn.

Prints timings, the number of scans in DuckDB's plan, and the largest relative difference from
scikit-learn; asserts nothing. Usage:  python benchmarks/bench_evaluate.py [ROWS]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics as skm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import header  # noqa: E402

from bqml_tools import DuckDBEngine  # noqa: E402
from bqml_tools.evaluation import EvalSpec, evaluate, evaluate_query  # noqa: E402


def main(rows: int) -> None:
    header(f"evaluate --task binary on {rows:,} predictions, one run per mode",
           f"python benchmarks/bench_evaluate.py {rows}")
    rng = np.random.default_rng(0)
    label = (rng.random(rows) < 0.1).astype(np.int8)
    score = np.clip(rng.beta(2, 8, rows) + 0.25 * label, 0, 1)
    split = np.where(rng.random(rows) < 0.8, "train", "valid")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "preds.parquet")
        pd.DataFrame({"split": split, "label": label, "score": score}).to_parquet(path)
        engine = DuckDBEngine()
        for mode in ("exact", "binned"):
            spec = EvalSpec(task="binary", label="label", score="score", by=["split"], auc=mode)
            start = time.perf_counter()
            got = evaluate(engine, path, spec).set_index("split")
            elapsed = time.perf_counter() - start
            plan = engine.connection.execute(
                "EXPLAIN " + evaluate_query(path, spec, "duckdb", engine=engine).sql).fetchall()
            scans = sum(str(row[1]).count("READ_PARQUET") for row in plan)
            print(f"{mode:>6}: {rows:,} rows in {elapsed:.2f} s; parquet scans in plan: {scans}")
            worst = 0.0
            start = time.perf_counter()
            for name in ("train", "valid"):
                mask = split == name
                y, s = label[mask], score[mask]
                want = {
                    "roc_auc": skm.roc_auc_score(y, s), "average_precision": skm.average_precision_score(y, s),
                    "log_loss": skm.log_loss(y, s),  # scikit-learn clips at machine epsilon, as the SQL
                    "brier": skm.brier_score_loss(y, s), "f1": skm.f1_score(y, s >= 0.5),
                    "precision": skm.precision_score(y, s >= 0.5), "recall": skm.recall_score(y, s >= 0.5),
                    "accuracy": skm.accuracy_score(y, s >= 0.5),
                }
                for metric, value in want.items():
                    worst = max(worst, abs(got.loc[name, metric] - value) / abs(value))
                print(f"        {name}: roc_auc {got.loc[name, 'roc_auc']:.12f} (sklearn {want['roc_auc']:.12f}), "
                      f"bound {got.loc[name, 'roc_auc_error_bound']:.2e}")
            print(f"        largest relative difference from scikit-learn: {worst:.2e} "
                  f"(sklearn took {time.perf_counter() - start:.2f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
