"""Coverage of evaluate --ci by simulation: 200 datasets with a known truth, one query per task.

Each task runs ONE evaluate statement on DuckDB with ``--by dataset`` over 200 simulated datasets
(fixed seeds), then counts how many 95% intervals hold the true value.

The margin. If the intervals had exactly 95% coverage, the number of the 200 datasets covered would
be Binomial(200, 0.95): mean 190, sd sqrt(200 * 0.95 * 0.05) = 3.08. The test accepts 180 to 198
covered, coverage in [0.90, 0.99]: an exact method falls outside with probability
P(X <= 179) + P(X >= 199) = 0.0012 + 0.0004 = 0.16% (scipy.stats.binom). The data are fixed, so the
test is deterministic; the margin says how far from 95% a pass can hide.

Not needlessly wide: the mean half-width must stay within 1.35 x 1.96 x the sd of the 200 estimates
(the width a normal interval would have if the standard error were known). The jackknife's t(19)
quantile alone is 2.093 / 1.96 = 1.07 of that; 1.35 leaves room for the noise of a 20-group variance
estimate but not for an interval inflated by a wrong formula (e.g. a K times too large variance).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from bqml_tools.engines import DuckDBEngine
from bqml_tools.evaluation import EvalSpec, evaluate
from tables import load

pytestmark = pytest.mark.duckdb

DATASETS = 200
ROWS = 300
LEVEL = 0.95
COVERED = (0.90, 0.99)
WIDTH_RATIO = 1.35


def check(frame: pd.DataFrame, metric: str, truth: float) -> tuple[float, float]:
    """Coverage and width ratio of ``metric`` over the datasets; asserts both."""
    assert len(frame) == DATASETS and frame[f"{metric}_lower"].notna().all()
    covered = float(((frame[f"{metric}_lower"] <= truth) & (truth <= frame[f"{metric}_upper"])).mean())
    half_width = float(((frame[f"{metric}_upper"] - frame[f"{metric}_lower"]) / 2).mean())
    spread = float(frame[metric].std(ddof=1))
    ratio = half_width / (norm.ppf(0.5 + LEVEL / 2) * spread)
    assert COVERED[0] <= covered <= COVERED[1], (metric, covered)
    assert ratio <= WIDTH_RATIO, (metric, ratio)
    return covered, ratio


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def test_binary_intervals_cover_the_true_auc_and_accuracy():
    """Binormal scores: positives sigmoid(N(mu, 1)), negatives sigmoid(N(0, 1)), labels Bernoulli(pi).

    True AUC = P(X+ > X-) = Phi(mu / sqrt(2)). At threshold 0.5 (x >= 0) a positive is right with
    probability Phi(mu), a negative with 1/2: true accuracy = pi Phi(mu) + (1 - pi) / 2. The base rate's
    truth is pi.
    """
    mu, pi = 1.2, 0.4
    rng = np.random.default_rng(20261127)
    n = DATASETS * ROWS
    label = (rng.random(n) < pi).astype(int)
    score = sigmoid(rng.normal(0, 1, n) + mu * label)
    frame = pd.DataFrame({"dataset": np.repeat(np.arange(DATASETS), ROWS), "id": np.arange(n),
                          "label": label, "score": score})
    engine = DuckDBEngine()
    table = load(engine, "ds.coverage_binary", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by="dataset",
                                           auc="exact", ci=LEVEL, key="id"))
    check(got, "roc_auc", norm.cdf(mu / math.sqrt(2)))
    check(got, "accuracy", pi * norm.cdf(mu) + (1 - pi) / 2)
    check(got, "base_rate", pi)


def test_regression_intervals_cover_the_true_errors():
    """y = f(x) + N(0, sigma^2) and the prediction is f(x): the error is N(0, sigma^2), so the true
    MSE is sigma^2, the true RMSE sigma and the true MAE sigma sqrt(2 / pi)."""
    sigma = 2.0
    rng = np.random.default_rng(11272026)
    n = DATASETS * ROWS
    x = rng.uniform(-3, 3, n)
    f = 3 * np.sin(x) + x
    frame = pd.DataFrame({"dataset": np.repeat(np.arange(DATASETS), ROWS), "id": np.arange(n),
                          "y": f + rng.normal(0, sigma, n), "p": f})
    engine = DuckDBEngine()
    table = load(engine, "ds.coverage_regression", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by="dataset",
                                           ci=LEVEL, key="id"))
    check(got, "mse", sigma ** 2)
    check(got, "rmse", sigma)
    check(got, "mae", sigma * math.sqrt(2 / math.pi))


def test_intervals_near_the_bound_cover_a_true_recall_of_0_98():
    """Recall 0.98 on about 60 positives: 30% of the datasets get every positive right (0.98^60),
    where the jackknife has no spread and gave [1, 1], which never holds the truth (coverage was
    ~70%). There Wilson's interval on the counts takes its place; the coverage counts both kinds."""
    rng = np.random.default_rng(12042026)
    n = DATASETS * ROWS
    y = (rng.random(n) < 0.2).astype(int)
    hit = rng.random(n) < 0.98
    s = np.where(y == 1, np.where(hit, 0.9, 0.1), rng.random(n))
    frame = pd.DataFrame({"dataset": np.repeat(np.arange(DATASETS), ROWS), "id": np.arange(n), "y": y, "s": s})
    engine = DuckDBEngine()
    table = load(engine, "ds.coverage_bound", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="y", score="s", by="dataset", ci=LEVEL, key="id"))
    at_bound = got["recall"] == 1
    assert 0.2 < at_bound.mean() < 0.45
    assert (got.loc[at_bound, "recall_lower"] < 1).all()
    covered = float(((got["recall_lower"] <= 0.98) & (0.98 <= got["recall_upper"])).mean())
    assert COVERED[0] <= covered <= 1.0, covered
    assert any("recall is 1 (dataset=" in w and "Wilson's" in w for w in got.attrs["warnings"])
