"""Issue 19 on DuckDB: one exact default, a linear threshold sweep, the cost of --ci (prints, never asserts).

Part 1, exact AUC plans (ROWS rows, nearly every score distinct, one group): the default plan on
DuckDB (one sorted window over the rows), BigQuery's plan run on DuckDB (logit buckets carrying
their distinct scores as arrays, offsets over the buckets, running counts PARTITIONed BY bucket:
the plan printed for BigQuery), binned AUC (10,000 bins per logit unit), and DuckDB's own floors
on the same file: a scan, ORDER BY score, GROUP BY score. Each evaluate figure is the library call
(statement plus Python checks), in one process; cases interleaved round by round.

Part 1b, the two exact plans side by side at CI_ROWS rows (the BigQuery plan cannot spill its
arrays on DuckDB: at 10M rows it exceeds the engine's memory limit).

Part 2, `curve thresholds` at STEP_ROWS rows for --steps 1,000 / 10,000 / 30,000 / 100,000: linear
in steps means the time stays near the scan's (the issue's quadratic sweep took 5.2 / 22.9 / 134.8 s
for the first three at 1M rows).

Part 3, --ci 0.95 --key id (K = 20) against a plain evaluate at CI_ROWS rows of continuous scores.

Usage:  python benchmarks/bench_scale.py [ROWS] [RUNS] [STEP_ROWS] [CI_ROWS]
        (defaults 10000000 3 1000000 1000000)
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header  # noqa: E402

from bqml_tools.evaluation import metrics  # noqa: E402
from bqml_tools.engines import DuckDBEngine  # noqa: E402
from bqml_tools.evaluation import EvalSpec, curve, evaluate  # noqa: E402


def write(path: str, rows: int) -> None:
    engine = DuckDBEngine()
    engine.connection.execute(f"""
        COPY (SELECT i AS id, CAST(random() < 0.1 AS INTEGER) AS label,
                     1 / (1 + exp(-(2 * random() - 1) * 6)) AS score
              FROM range({rows}) AS t(i)) TO '{path}' (FORMAT parquet)""")


def interleaved(cases: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    for name, run in cases.items():  # warm-up: file cache, imports
        run()
    for _ in range(runs):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def with_plan(plan: str) -> Callable[..., object]:
    original = metrics.render

    def render(*args, **context):
        return original(*args, **{**context, "exact_plan": plan})
    return render


def part1(path: str, rows: int, runs: int) -> None:
    engine = DuckDBEngine()
    con = engine.connection
    spec = EvalSpec(task="binary", label="label", score="score")
    cases = {
        "exact (default), DuckDB plan: one sorted window over the rows": lambda: evaluate(engine, path, spec),
        "binned (10,000 per logit unit)": lambda: evaluate(engine, path, EvalSpec(task="binary", label="label", score="score", auc="binned")),
        "floor: scan (SUM(score))": lambda: con.execute(f"SELECT SUM(score) FROM read_parquet('{path}')").fetchall(),
        "floor: ORDER BY score": lambda: con.execute(f"SELECT MAX(r) FROM (SELECT row_number() OVER (ORDER BY score) AS r FROM read_parquet('{path}'))").fetchall(),
        "floor: GROUP BY score": lambda: con.execute(f"SELECT COUNT(*) FROM (SELECT score, COUNT(*) FROM read_parquet('{path}') GROUP BY score)").fetchall(),
    }
    medians = interleaved(cases, runs)
    for name, seconds in medians.items():
        figure(f"part 1, {name}", seconds, "s", f"{rows:,} rows, median of {runs}")
    window = medians["exact (default), DuckDB plan: one sorted window over the rows"]
    figure("part 1, exact default / ORDER BY score", window / medians["floor: ORDER BY score"], "x", "target <= 2x", digits=2)


def part1b(path: str, rows: int, runs: int) -> None:
    """BigQuery's exact plan run on DuckDB beside DuckDB's (same answer; DuckDB cannot spill ARRAY_AGG,
    and at 10M rows it runs out of the engine's memory_limit: one more reason for two plans)."""
    engine = DuckDBEngine()
    spec = EvalSpec(task="binary", label="label", score="score")
    original = metrics.render
    buckets = with_plan("buckets")
    results: dict[str, float] = {}

    def bucket_plan() -> object:
        metrics.render = buckets
        try:
            return evaluate(engine, path, spec)
        finally:
            metrics.render = original
    cases = {
        "exact, DuckDB plan (sorted window over rows)": lambda: results.__setitem__("window", float(evaluate(engine, path, spec)["roc_auc"][0])),
        "exact, BigQuery plan (logit buckets) on DuckDB": lambda: results.__setitem__("buckets", float(bucket_plan()["roc_auc"][0])),
    }
    medians = interleaved(cases, runs)
    for name, seconds in medians.items():
        figure(f"part 1b, {name}", seconds, "s", f"{rows:,} rows, median of {runs}")
    figure("part 1b, BigQuery plan / DuckDB plan, on DuckDB", medians["exact, BigQuery plan (logit buckets) on DuckDB"]
           / medians["exact, DuckDB plan (sorted window over rows)"], "x", digits=2)
    figure("part 1b, |AUC(window) - AUC(buckets)|", abs(results["window"] - results["buckets"]), "", digits=17)


def part2(path: str, rows: int, runs: int) -> None:
    engine = DuckDBEngine()
    spec = EvalSpec(task="binary", label="label", score="score")
    cases = {f"steps {steps:,}": (lambda steps=steps: curve(engine, path, spec, "thresholds", steps=steps))
             for steps in (1_000, 10_000, 30_000, 100_000)}
    medians = interleaved(cases, runs)
    for name, seconds in medians.items():
        figure(f"part 2, curve thresholds, {name}", seconds, "s", f"{rows:,} rows, median of {runs}")
    figure("part 2, steps 10,000 / steps 1,000", medians["steps 10,000"] / medians["steps 1,000"], "x",
           "10x steps; linear: at most 10x (the scan is shared); the cross join: 4.4x", digits=2)
    figure("part 2, steps 100,000 / steps 10,000", medians["steps 100,000"] / medians["steps 10,000"], "x",
           "10x steps; quadratic would be 100x", digits=2)
    figure("part 2, steps 30,000 / steps 10,000", medians["steps 30,000"] / medians["steps 10,000"], "x",
           "3x steps; the cross join: 5.9x (22.9 s to 134.8 s)", digits=2)


def part3(path: str, rows: int, runs: int) -> None:
    engine = DuckDBEngine()
    plain = EvalSpec(task="binary", label="label", score="score")
    ci = EvalSpec(task="binary", label="label", score="score", ci=0.95, key="id")
    fine = EvalSpec(task="binary", label="label", score="score", ci=0.95, key="id", bins_per_logit=10_000)
    medians = interleaved({"plain evaluate (exact)": lambda: evaluate(engine, path, plain),
                           "--ci (default: 1,000 bins per logit unit)": lambda: evaluate(engine, path, ci),
                           "--ci --bins-per-logit 10000 (the old default)": lambda: evaluate(engine, path, fine)}, runs)
    for name, seconds in medians.items():
        figure(f"part 3, {name}", seconds, "s", f"{rows:,} rows, median of {runs}")
    base = medians["plain evaluate (exact)"]
    figure("part 3, --ci / plain", medians["--ci (default: 1,000 bins per logit unit)"] / base, "x", "target <= 4x", digits=2)
    figure("part 3, --ci at 10,000 bins / plain", medians["--ci --bins-per-logit 10000 (the old default)"] / base, "x", digits=2)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    step_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    ci_rows = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
    header("issue 19: one exact default, a linear threshold sweep, the cost of --ci",
           f"python benchmarks/bench_scale.py {rows} {runs} {step_rows} {ci_rows}")
    print(f"# load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        for part, n in ((part1, rows), (part1b, ci_rows), (part2, step_rows), (part3, ci_rows)):
            path = os.path.join(folder, f"scores_{n}.parquet")
            if not os.path.exists(path):
                write(path, n)
            part(path, n, runs)
    print(f"# load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
