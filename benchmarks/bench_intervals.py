"""Issue 10: which interval method evaluate --ci uses, measured side by side (prints, never asserts).

Part 1, simulation in numpy (fixed seeds). DATASETS binormal datasets of ROWS rows each: labels
Bernoulli(0.3); scores sigmoid(N(1.2, 1)) for positives, sigmoid(N(0, 1)) for negatives. Truths in
closed form or by quadrature: AUC = Phi(1.2 / sqrt 2); accuracy at 0.5 = pi Phi(1.2) + (1 - pi) / 2;
log loss = pi E softplus(-X+) + (1 - pi) E softplus(X-). Candidates, each at 95%:
  - delete-a-group jackknife, K = 10, 20, 50: rows partitioned by ABS(MOD(FARM_FINGERPRINT(salted
    id), K)) exactly as evaluate does; estimate +- t(K - 1) se (bqml_tools.evaluation.intervals);
  - Poisson bootstrap, B = 100, 200: weight Poisson(1) per key and replicate (in SQL it would come
    from a hash of (key, b); here a seeded generator), estimate +- 1.96 sd of the B replicates;
  - analytic: DeLong for AUC; for accuracy and log loss the iid standard error sd / sqrt(n).
For each: bias of the standard error (mean SE / sd of the estimates over the datasets - 1), coverage
of the truth, mean width, and the cost in SQL (row-level work each needs after the one scan).

The same again with clustered rows: USERS users per dataset, whose rows share random effects on the
label's odds and on the score (truths from one 2,000,000-row sample); the jackknife partitions and
the bootstrap weights go by user (the key), DeLong and sd / sqrt(n) treat rows as independent.

Part 2, the real thing on DuckDB: evaluate --task binary on ROWS_SQL rows without --ci, then with
--ci 0.95 --key id (K = 20), exact AUC and binned; median of RUNS, interleaved; the ratios.

Usage:  python benchmarks/bench_intervals.py [DATASETS] [ROWS] [ROWS_SQL] [RUNS]   (defaults 500 1000 1000000 3)
"""
from __future__ import annotations

import math
import os
import statistics
import sys
import time
from functools import lru_cache

import numpy as np
from scipy import integrate, stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import figure, header  # noqa: E402

from bqml_tools.evaluation import intervals  # noqa: E402
from bqml_tools.evaluation import PARTITION_SALT, EvalSpec, evaluate  # noqa: E402
from bqml_tools.core.fingerprint import farm_fingerprint  # noqa: E402
from bqml_tools.core.keys import key_string  # noqa: E402

MU, PI, LEVEL = 1.2, 0.3, 0.95
JACKKNIFE = (10, 20, 50)
BOOTSTRAP = (100, 200)
METRICS = ("roc_auc", "accuracy", "log_loss")
CLUSTER = 1.0  # sd of each user's random effects in the clustered scenario
USERS = 100  # users per dataset in the clustered scenario (ROWS / USERS rows each)


def truths() -> dict[str, float]:
    def softplus(x: float) -> float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    positive = integrate.quad(lambda x: softplus(-x) * stats.norm.pdf(x, MU), -np.inf, np.inf)[0]
    negative = integrate.quad(lambda x: softplus(x) * stats.norm.pdf(x), -np.inf, np.inf)[0]
    return {"roc_auc": float(stats.norm.cdf(MU / math.sqrt(2))),
            "accuracy": float(PI * stats.norm.cdf(MU) + (1 - PI) / 2),
            "log_loss": PI * positive + (1 - PI) * negative}


def weighted_metrics(y: np.ndarray, s: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """The three metrics under each row of ``weights`` (replicates x rows): 0/1 for the jackknife,
    Poisson counts for the bootstrap, ones for the estimate. Scores are continuous (no ties)."""
    order = np.argsort(s)
    ys, w = y[order], weights[:, order]
    negatives = w * (1 - ys)
    below = np.cumsum(negatives, axis=1) - negatives  # negative weight strictly below each score
    pos_total, neg_total = (w * ys).sum(axis=1), negatives.sum(axis=1)
    auc = (w * ys * below).sum(axis=1) / (pos_total * neg_total)
    correct = ((s >= 0.5) == (y == 1)).astype(float)
    loss = -(y * np.log(s) + (1 - y) * np.log1p(-s))
    total = weights.sum(axis=1)
    return {"roc_auc": auc, "accuracy": weights @ correct / total, "log_loss": weights @ loss / total}


def delong(y: np.ndarray, s: np.ndarray) -> float:
    """DeLong's standard error of the AUC (structural components, no ties)."""
    pos, neg = s[y == 1], s[y == 0]
    m, n = len(pos), len(neg)
    ranks_all = stats.rankdata(np.concatenate([pos, neg]))
    v10 = (ranks_all[:m] - stats.rankdata(pos)) / n  # share of negatives below each positive
    v01 = 1 - (ranks_all[m:] - stats.rankdata(neg)) / m  # share of positives above each negative
    return math.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n)


def partition(ids: np.ndarray, k: int) -> np.ndarray:
    """evaluate's partition of each id: ABS(MOD(FARM_FINGERPRINT(salted id string), K)); SQL's MOD
    truncates, so ABS(MOD(h, K)) == |h| % K (integers: a float would lose h's low bits)."""
    return np.array([abs(farm_fingerprint(key_string([str(i)], PARTITION_SALT))) % k for i in ids])


def draw(rng: np.random.Generator, rows: int, users: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, scores, key of each row). Without users: binormal, one key per row. With users: each
    user's rows share a random effect on the label's odds and on the score (clustered rows)."""
    if users is None:
        y = (rng.random(rows) < PI).astype(float)
        return y, 1 / (1 + np.exp(-(rng.normal(0, 1, rows) + MU * y))), np.arange(rows)
    key = np.repeat(np.arange(users), rows // users)
    odds, shift = rng.normal(0, CLUSTER, users)[key], rng.normal(0, CLUSTER, users)[key]
    y = (rng.random(len(key)) < 1 / (1 + np.exp(-(math.log(PI / (1 - PI)) + odds)))).astype(float)
    return y, 1 / (1 + np.exp(-(rng.normal(0, 1, len(key)) + MU * y + shift))), key


@lru_cache(maxsize=None)
def clustered_truths(users: int) -> dict[str, float]:
    """The clustered model's metrics on one very large sample (Monte Carlo; no closed form)."""
    y, s, _ = draw(np.random.default_rng(7), 2_000_000, 200_000)
    return {m: float(v[0]) for m, v in weighted_metrics(y, s, np.ones((1, len(y)))).items()}


def simulate(datasets: int, rows: int, users: int | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """method -> metric -> {se_bias, coverage, width}; resampling units are the keys (rows or users)."""
    rng = np.random.default_rng(20261127 if users is None else 20261128)
    truth = truths() if users is None else clustered_truths(users)
    methods = [f"jackknife K={k}" for k in JACKKNIFE] + [f"Poisson bootstrap B={b}" for b in BOOTSTRAP] + \
        ["DeLong (AUC) / iid sd/sqrt(n)"]
    estimates = {m: [] for m in METRICS}
    ses = {method: {m: [] for m in METRICS} for method in methods}
    halves = {method: {m: [] for m in METRICS} for method in methods}
    keys = rows if users is None else users
    parts = {k: partition(np.arange(datasets * keys), k).reshape(datasets, keys) for k in JACKKNIFE}
    for d in range(datasets):
        y, s, key = draw(rng, rows, users)
        n = len(y)
        estimate = {m: float(v[0]) for m, v in weighted_metrics(y, s, np.ones((1, n))).items()}
        for m in METRICS:
            estimates[m].append(estimate[m])
        for k in JACKKNIFE:
            keep = (parts[k][d][key][None, :] != np.arange(k)[:, None]).astype(float)
            replicates = weighted_metrics(y, s, keep)
            held = np.isin(np.arange(k), parts[k][d])  # partitions holding keys (intervals.occupied)
            for m in METRICS:
                se = intervals.standard_error(replicates[m], held)
                ses[f"jackknife K={k}"][m].append(se)
                halves[f"jackknife K={k}"][m].append(intervals.t_quantile(LEVEL, int(held.sum())) * se)
        for b in BOOTSTRAP:
            weights = rng.poisson(1.0, (b, keys)).astype(float)[:, key]
            replicates = weighted_metrics(y, s, weights)
            for m in METRICS:
                se = float(np.std(replicates[m], ddof=1))
                ses[f"Poisson bootstrap B={b}"][m].append(se)
                halves[f"Poisson bootstrap B={b}"][m].append(stats.norm.ppf(0.5 + LEVEL / 2) * se)
        correct = ((s >= 0.5) == (y == 1)).astype(float)
        loss = -(y * np.log(s) + (1 - y) * np.log1p(-s))
        analytic = {"roc_auc": delong(y, s), "accuracy": correct.std(ddof=1) / math.sqrt(n),
                    "log_loss": loss.std(ddof=1) / math.sqrt(n)}
        for m in METRICS:
            ses[methods[-1]][m].append(analytic[m])
            halves[methods[-1]][m].append(stats.norm.ppf(0.5 + LEVEL / 2) * analytic[m])
    out: dict[str, dict[str, dict[str, float]]] = {}
    for method in methods:
        out[method] = {}
        for m in METRICS:
            est, se, half = np.array(estimates[m]), np.array(ses[method][m]), np.array(halves[method][m])
            sd = est.std(ddof=1)
            covered = np.mean((est - half <= truth[m]) & (truth[m] <= est + half))
            out[method][m] = {"se_bias": se.mean() / sd - 1, "coverage": float(covered), "width": 2 * half.mean(),
                              "sd": sd}
    return out


COST = {  # method -> the row-level work it adds after the one scan, in SQL
    "jackknife": "one scan; aggregates per (group, partition, bin), then each replicate as the cell's total "
                 "minus its own partition's share: cells x (K + 1) replicate rows (cells: distinct scores, or bins)",
    "Poisson bootstrap": "a Poisson weight per (row, replicate) before any aggregate: B x rows, B times the "
                         "scan's work (or B weighted passes)",
    "DeLong / iid": "AUC: each positive's rank among the negatives (a window over raw rows, the scale rule "
                    "forbids it except for DuckDB's exact AUC); accuracy / log loss: one sum of squares",
}


def time_sql(rows: int, runs: int) -> None:
    from bqml_tools.engines import DuckDBEngine

    engine = DuckDBEngine()
    con = engine.connection
    con.execute("SELECT setseed(0.42)")
    con.execute(f"""CREATE TABLE preds AS
        SELECT i AS id, label, 1 / (1 + exp(-(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + {MU} * label)))
               AS score
        FROM (SELECT i, CAST(random() < {PI} AS INTEGER) AS label FROM range({int(rows)}) AS t(i))""")
    base = dict(task="binary", label="label", score="score")
    cases = {
        "exact, no --ci": EvalSpec(**base, auc="exact"),
        "exact, --ci K=20": EvalSpec(**base, auc="exact", ci=LEVEL, key="id"),
        "binned, no --ci": EvalSpec(**base, auc="binned"),
        "binned, --ci K=20": EvalSpec(**base, auc="binned", ci=LEVEL, key="id"),
    }
    partition = (f"ABS(farm_fingerprint('{len(PARTITION_SALT)}:{PARTITION_SALT}' || CAST(LENGTH(CAST(id AS VARCHAR)) "
                 "AS VARCHAR) || ':' || CAST(id AS VARCHAR)) % 20)")
    for mode, bin_of in (("exact", "score"), ("binned", "FLOOR((LN(score) - LN(1 - score)) * 10000)")):
        parts, cells = con.execute(f"SELECT COUNT(DISTINCT ({partition}, {bin_of})), COUNT(DISTINCT {bin_of}) "
                                   "FROM preds").fetchone()
        print(f"# {mode}: {parts:,} (partition, {'score' if mode == 'exact' else 'bin'}) aggregates, {cells:,} cells, "
              f"so {21 * cells:,} replicate rows at K=20; a bootstrap with B=200 weighs {200 * rows:,} "
              "(row, replicate) pairs", flush=True)
    for spec in cases.values():  # warm-up
        evaluate(engine, "preds", spec)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, spec in cases.items():
            start = time.perf_counter()
            evaluate(engine, "preds", spec)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        figure(f"DuckDB evaluate binary {rows:,} rows, {name}", median[name], "s",
               f"median of {runs}: {' '.join(f'{x:.2f}' for x in t)}")
    for mode in ("exact", "binned"):
        figure(f"--ci K=20 / no --ci, {mode}", median[f"{mode}, --ci K=20"] / median[f"{mode}, no --ci"], "x")
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    datasets = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rows_sql = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    header(f"bench_intervals: interval methods on {datasets} binormal datasets of {rows} rows (issue 10), "
           f"then evaluate --ci on DuckDB, {rows_sql:,} rows",
           f"python benchmarks/bench_intervals.py {datasets} {rows} {rows_sql} {runs}")
    print(f"# truths: {', '.join(f'{m} {v:.4f}' for m, v in truths().items())}", flush=True)
    for users in (None, USERS):
        start = time.perf_counter()
        results = simulate(datasets, rows, users)
        what = "independent rows (key: the row)" if users is None else \
            f"clustered: {users} users of {rows // users} rows, random effects sd {CLUSTER} (key: the user)"
        print(f"## {what}; simulation {time.perf_counter() - start:.1f} s", flush=True)
        if users is not None:
            print(f"# truths (Monte Carlo, 2,000,000 rows): "
                  f"{', '.join(f'{m} {v:.4f}' for m, v in clustered_truths(users).items())}")
        print("| method | metric | SE bias | coverage (95%) | mean width | sd of the estimates |")
        print("|---|---|---|---|---|---|")
        for method, by_metric in results.items():
            for m, r in by_metric.items():
                print(f"| {method} | {m} | {r['se_bias']:+.1%} | {r['coverage']:.3f} | {r['width']:.4f} "
                      f"| {r['sd']:.4f} |")
    for method, cost in COST.items():
        print(f"# cost, {method}: {cost}")
    sys.stdout.flush()
    margin = 1.96 * math.sqrt(0.95 * 0.05 / datasets)
    print(f"# coverage of an exact 95% method over {datasets} datasets: 0.950 +- {margin:.3f} (1.96 binomial sd)")
    if rows_sql:
        time_sql(rows_sql, runs)


if __name__ == "__main__":
    main()
